"""Playwright against Debian's chromium and pytest-django's live server.

Skipped with a reason when /usr/bin/chromium is missing, unless
ARCHIVE_REQUIRE_BROWSER=1 (CI), which turns the skip into a failure.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path(os.environ.get("ARCHIVE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = settings.BASE_DIR / "test-artifacts" / "screenshots"


def _require_browser() -> bool:
    return os.environ.get("ARCHIVE_REQUIRE_BROWSER", "") == "1"


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
        )
        if _require_browser():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make themselves are still plain synchronous calls. Set only while
    # browser tests run, so no other test inherits it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(chromium):
    """Open a page with a given interface language and width; closed after the test."""
    contexts = []

    def _open(*, locale: str = "zh-CN", width: int = 1280, height: int = 900, javascript=True):
        context = chromium.new_context(
            locale=locale,
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
