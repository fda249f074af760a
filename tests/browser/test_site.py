"""A reader in a real browser: browse, read, switch language and script, follow a feed."""

import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache

from tests.factories import make_archive, numbered_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def archive(transactional_db):
    cache.clear()
    data = make_archive()
    for n in range(10, 40):
        numbered_article(n, title=f"稀土产业新闻 {n}", source=data["xinhua"])
    yield data
    cache.clear()


def test_open_an_article_from_home_and_switch_script(live_server, archive, open_page):
    page = open_page(locale="zh-CN")
    page.goto(live_server.url + "/")
    assert page.locator("h1").first.inner_text() == "新闻档案"
    page.locator(".home-side").get_by_role("link", name="衛生福利部").click()
    page.wait_for_url("**/sources/mohw/")
    page.get_by_role("link", name="衛生福利部發布疫苗接種統計").click()
    page.wait_for_url("**/articles/*/")
    assert page.locator("h1#article-title").inner_text() == "衛生福利部發布疫苗接種統計"
    assert page.locator(".article-body").get_attribute("lang") == "zh-Hant"
    page.get_by_role("link", name="简体字").click()
    page.wait_for_url("**?script=hans")
    assert page.locator("h1#article-title").inner_text() == "卫生福利部发布疫苗接种统计"
    assert page.locator(".article-body").get_attribute("lang") == "zh-Hans"
    page.get_by_role("link", name="原文").click()
    assert page.locator("h1#article-title").inner_text() == "衛生福利部發布疫苗接種統計"


def test_switch_interface_language(live_server, archive, open_page):
    page = open_page(locale="zh-CN")
    page.goto(live_server.url + "/topics/")
    assert page.locator("h1").inner_text() == "主题"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Topics"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Economy").count() == 1
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "主题"


def test_browse_a_topic_and_page_forward(live_server, archive, open_page):
    page = open_page(locale="en-US")
    page.goto(live_server.url + "/sources/xinhua/")
    assert "31 articles" in page.locator(".count-line").inner_text()
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**/sources/xinhua/?page=2")
    assert "Page 2 of 2" in page.locator(".pagination").inner_text()


def test_read_a_feed(live_server, archive, open_page):
    page = open_page(locale="en-US")
    page.goto(live_server.url + "/topics/economy/")
    href = page.get_by_role("link", name="RSS", exact=True).get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.ok
    titles = [item.findtext("title") for item in ET.fromstring(response.body()).iter("item")]
    assert titles == ["内蒙古打造稀土交易中心", "Rare earth prices rise"]


def test_slash_key_focuses_the_search_box(live_server, archive, open_page):
    page = open_page(locale="en-US")
    page.goto(live_server.url + "/topics/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"


def test_skip_link_is_first_and_reaches_the_content(live_server, archive, open_page):
    page = open_page(locale="en-US")
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def test_no_console_errors_or_csp_violations(live_server, archive, open_page):
    page = open_page(locale="en-US")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for path in ["/", archive["hans"].get_absolute_url(), "/topics/economy/", "/archive/2021/"]:
        page.goto(live_server.url + path)
    assert errors == []
