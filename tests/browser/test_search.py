"""A reader searches in a real browser: query, facet, chip, next page, article."""

import pytest
from django.core.cache import cache

from archive.search.indexer import drain_queue
from tests.factories import make_archive, numbered_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def indexed(transactional_db):
    cache.clear()
    data = make_archive()
    for n in range(10, 40):
        numbered_article(
            n, title=f"稀土产业新闻 {n}", body=f"稀土产业第{n}条消息。", source=data["xinhua"]
        )
    drain_queue()
    yield data
    cache.clear()


def test_search_from_home_facet_chip_page_and_article(live_server, indexed, open_page):
    page = open_page(locale="en-US")
    page.goto(live_server.url + "/")
    page.get_by_label("Search the archive").fill("稀土")
    page.get_by_label("Search the archive").press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator("h1").inner_text() == "Results for “稀土”"
    total = int(page.locator("#results-count").inner_text().split()[0])
    assert total >= 31  # Xinhua's 31, and whatever else mentions rare earths
    assert "稀土" in page.locator(".results-list mark").all_inner_texts()

    # click a facet: only Xinhua remains, and a chip says so
    page.locator(".facets").get_by_role("link", name="新华社").click()
    page.wait_for_url("**source=xinhua*")
    assert page.locator(".chips").get_by_role("link", name="Remove filter: 新华社").count() == 1
    assert "31 articles" in page.locator("#results-count").inner_text()

    # page forward: the filter and the query survive
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**page=2*")
    assert "q=%E7%A8%80%E5%9C%9F" in page.url and "source=xinhua" in page.url
    assert "Page 2 of 2" in page.locator(".pagination").inner_text()

    # remove the chip: back to every source, page 1
    page.get_by_role("link", name="Remove filter: 新华社").click()
    page.wait_for_load_state()
    assert "source=" not in page.url and "page=" not in page.url
    assert page.locator(".chips").count() == 0

    # open an article from the results
    first = page.locator(".results-list .article-title a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/articles/*/?q=*")  # result links carry the query
    assert page.title().startswith(title)  # the heading also holds the match links


def test_search_works_without_javascript(live_server, indexed, open_page):
    page = open_page(locale="zh-CN", javascript=False)
    page.goto(live_server.url + "/")
    page.get_by_label("搜索档案").fill("Rare earth")
    page.get_by_role("button", name="搜索").first.click()
    page.wait_for_url("**/search/?q=*")
    assert page.get_by_role("link", name="Rare earth prices rise").count() == 1
    page.get_by_label("排序方式").select_option("oldest")
    page.get_by_role("button", name="排序").click()
    page.wait_for_url("**sort=oldest*")
    assert "q=Rare+earth" in page.url


def test_choosing_a_sort_order_applies_it(live_server, indexed, open_page):
    page = open_page(locale="en-US")
    page.goto(live_server.url + "/search/?q=%E7%A8%80%E5%9C%9F&source=xinhua")
    page.get_by_label("Sort by").select_option("oldest")
    page.wait_for_url("**sort=oldest*")
    assert "source=xinhua" in page.url
    assert page.get_by_label("Sort by").input_value() == "oldest"
