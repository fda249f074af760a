"""Suggestions in a real browser: the list opens as one types, keys and clicks choose."""

import pytest
from django.core.cache import cache

from archive.models import Language
from archive.search.indexer import drain_queue
from tests.factories import make_archive, numbered_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def indexed(transactional_db):
    cache.clear()
    data = make_archive()
    for n in range(10, 16):
        numbered_article(
            n, title=f"稀土产业新闻 {n}", body=f"稀土产业第{n}条消息。", source=data["xinhua"]
        )
    numbered_article(
        20,
        title="Economy grows",
        body="The economy grew.",
        language=Language.ENGLISH,
        source=data["reuters"],
    )
    drain_queue()
    yield data
    cache.clear()


def box(page, label: str):
    return page.get_by_role("combobox", name=label)


def test_typing_shows_suggestions_and_arrows_enter_open_one(live_server, indexed, open_page):
    page = open_page(locale="zh-CN")
    page.goto(live_server.url + "/")
    search = box(page, "搜索档案")
    assert search.get_attribute("aria-expanded") == "false"
    search.press_sequentially("稀", delay=30)
    listbox = page.get_by_role("listbox")  # named "Suggestions" in the interface language
    listbox.wait_for()
    assert listbox.get_attribute("aria-label")
    assert search.get_attribute("aria-expanded") == "true"
    assert search.get_attribute("aria-controls") == listbox.get_attribute("id")
    options = listbox.get_by_role("option")
    assert options.first.inner_text() == "稀土"
    assert listbox.locator(".suggest-title .suggest-kind").count() >= 1  # titles are labelled

    search.press("ArrowDown")
    first = options.first
    assert first.get_attribute("aria-selected") == "true"
    assert search.get_attribute("aria-activedescendant") == first.get_attribute("id")
    search.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    search.press("ArrowUp")
    assert first.get_attribute("aria-selected") == "true"
    search.press("Enter")
    page.wait_for_url("**/search/?q=%E7%A8%80%E5%9C%9F")
    assert page.locator("h1").inner_text() == "“稀土”的搜索结果"


def test_escape_closes_the_list_and_keeps_the_text(live_server, indexed, open_page):
    page = open_page(locale="en-US", width=375, height=740)
    page.goto(live_server.url + "/topics/")
    search = box(page, "Search the archive")
    search.press_sequentially("econ", delay=30)
    listbox = page.get_by_role("listbox", name="Suggestions")
    listbox.wait_for()
    assert "Topic" in listbox.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    search.press("Escape")
    assert listbox.is_hidden()
    assert search.get_attribute("aria-expanded") == "false"
    assert search.input_value() == "econ"
    # Enter with nothing chosen searches for the text as typed.
    search.press("Enter")
    page.wait_for_url("**/search/?q=econ*")


def test_clicking_a_suggestion_opens_it(live_server, indexed, open_page):
    page = open_page(locale="en-US")
    page.goto(live_server.url + "/")
    search = box(page, "Search the archive")
    search.press_sequentially("xit", delay=30)  # pinyin
    option = page.get_by_role("option", name="稀土", exact=True)  # not the topic 稀土
    option.click()
    page.wait_for_url("**/search/?q=%E7%A8%80%E5%9C%9F")
    # A title leads to its article.
    search = box(page, "Search the archive")
    search.fill("")
    search.press_sequentially("Economy gr", delay=30)
    # The words as typed, completed, and the article of that title (its kind named).
    title = page.get_by_role("option", name="Economy grows Article", exact=True)
    title.wait_for()
    assert page.get_by_role("option", name="Economy grows", exact=True).count() == 1
    title.click()
    page.wait_for_url("**/articles/*/")
    assert page.locator("h1#article-title").inner_text() == "Economy grows"


def test_without_javascript_the_form_still_submits(live_server, indexed, open_page):
    page = open_page(locale="zh-CN", javascript=False)
    page.goto(live_server.url + "/")
    search = page.get_by_label("搜索档案")
    assert search.get_attribute("role") is None  # a plain search field
    search.fill("稀土")
    search.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert "稀土" in page.locator("h1").inner_text()
    assert page.get_by_role("listbox").count() == 0
