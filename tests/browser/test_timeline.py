"""The timeline and the coverage map in a real browser: bars drawn, a click filters."""

import datetime as dt
import re

import pytest
from django.core.cache import cache

from archive.models import Language, Source
from archive.search.indexer import drain_queue
from tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def indexed(transactional_db):
    cache.clear()
    xinhua = Source.objects.create(name="新华社", name_en="Xinhua", slug="xinhua")
    reuters = Source.objects.create(name="Reuters", slug="reuters")
    for year, n in ((2016, 3), (2019, 5), (2024, 2)):
        for i in range(n):
            make_article(f"稀土产业 {year}-{i}", source=xinhua, published=dt.date(year, 1 + i, 10))
    for i in range(4):
        make_article(
            f"稀土 rare earth {i}",
            language=Language.ENGLISH,
            source=reuters,
            published=dt.date(2019, 6, 1 + i),
        )
    make_article("稀土 undated")
    drain_queue()
    yield
    cache.clear()


def _count(text: str) -> int:
    """The number of articles in "9 articles", "9 篇文章" or "2019: 9 articles (…)"."""
    return int(re.search(r"(?:^|: )([\d,]+) ", text).group(1).replace(",", ""))


@pytest.mark.parametrize("width", [375, 1280])
def test_bars_are_drawn_and_a_click_filters_the_search(
    live_server, indexed, open_page, screenshot_dir, width
):
    page = open_page(locale="en-US", width=width, height=800)
    page.goto(live_server.url + "/search/?q=%E7%A8%80%E5%9C%9F&sort=newest")
    chart = page.locator("svg.tl-chart")
    assert chart.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways page
    bars = page.locator("a.tl-bar")
    assert bars.count() == 3  # 2016, 2019, 2024; the years between are empty
    assert page.locator("g.tl-nil").count() == 6
    for kind in ("tl-zh", "tl-en"):
        box = page.locator(f"a.tl-bar rect.{kind}").first.bounding_box()
        assert box and box["height"] > 1 and box["width"] > 1
    assert page.locator(".tl-legend").inner_text().count("Undated: 1 article") == 1
    page.locator(".timeline").screenshot(path=screenshot_dir / f"timeline-{width}-en.png")

    # 2019: five Chinese articles and four English ones.
    bar = bars.nth(1)
    title = bar.locator("title").text_content()
    assert title == "2019: 9 articles (Chinese 5, English 4)"
    bar.click()
    page.wait_for_url("**date=2019*")
    assert "sort=newest" in page.url and "q=%E7%A8%80%E5%9C%9F" in page.url
    assert _count(page.locator("#results-count").inner_text()) == _count(title)
    # A selected year is shown by month; a month's bar narrows it again.
    assert "per month" in page.locator("#timeline-title").inner_text()
    june = page.locator("a.tl-bar", has=page.locator("title", has_text="June 2019"))
    june.click()
    page.wait_for_url("**date=2019-06*")
    assert _count(page.locator("#results-count").inner_text()) == 4


def test_the_timeline_works_without_javascript(live_server, indexed, open_page):
    page = open_page(locale="zh-CN", javascript=False)
    page.goto(live_server.url + "/")
    assert page.locator("svg.tl-chart a.tl-bar").count() == 3
    page.locator("a.tl-bar").last.click()
    page.wait_for_url("**/search/?date=2024")
    assert _count(page.locator("#results-count").inner_text()) == 2


@pytest.mark.parametrize("width", [375, 1280])
def test_the_coverage_map_scrolls_inside_its_figure(
    live_server, indexed, open_page, screenshot_dir, width
):
    page = open_page(locale="en-US", width=width, height=800)
    page.goto(live_server.url + "/coverage/")
    assert page.locator("svg.cov-chart").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    cells = page.locator("svg.cov-chart rect.heat-1, svg.cov-chart rect.heat-5")
    assert cells.count() > 0 and cells.first.bounding_box()["height"] >= 14
    page.screenshot(path=screenshot_dir / f"coverage-{width}-en.png", full_page=True)
