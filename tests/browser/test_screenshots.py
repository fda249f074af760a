"""Screenshots of the main pages at phone and desktop widths, in both languages.

Saved to test-artifacts/screenshots/ (git-ignored) for a person to look at.
"""

import pytest
from django.core.cache import cache

from archive.search.indexer import drain_queue
from tests.factories import make_archive, numbered_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": 390, "desktop": 1280}
LOCALES = {"zh": "zh-CN", "en": "en-US"}


@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize("device", WIDTHS)
def test_screenshots_of_main_pages(
    live_server, transactional_db, open_page, screenshot_dir, device, language
):
    cache.clear()
    data = make_archive()
    for n in range(10, 36):
        numbered_article(
            n,
            title=f"包头稀土产业园区第{n}期项目开工",
            body="包头市稀土高新区今天举行项目集中开工仪式，涉及稀土新材料、永磁电机等领域。",
            source=data["xinhua"],
        )
    pages = {
        "home": "/",
        "search": "/search/?q=稀土",
        "search-filtered": "/search/?q=稀土&source=xinhua&sort=newest",
        "search-empty": "/search/?q=疫苗&language=en",
        "article": data["hans"].get_absolute_url(),
        "article-hant": data["hant"].get_absolute_url(),
        "topic": data["economy"].get_absolute_url(),
    }
    drain_queue()
    page = open_page(locale=LOCALES[language], width=WIDTHS[device])
    for name, path in pages.items():
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTHS[device], f"{name} scrolls sideways at {WIDTHS[device]}px"
        page.screenshot(path=screenshot_dir / f"{name}-{device}-{language}.png", full_page=True)
        page.screenshot(path=screenshot_dir / f"{name}-{device}-{language}-top.png")
    cache.clear()
