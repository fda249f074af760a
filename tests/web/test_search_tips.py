"""The "Search tips" page: one clickable example per operator, in both languages."""

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest

from archive.models import GlossaryTerm, Language, Source
from archive.search.indexer import drain_queue
from archive.web.search_tips import TIPS
from tests.factories import make_article, make_tag

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def example_links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'<a href="(/search/\?q=[^"]+)"', html)]


@pytest.fixture
def archive():
    GlossaryTerm.objects.get_or_create(zh="稀土", en="rare earth")
    make_article("包头稀土产业", "包头市稀土价格上涨，高性能永磁材料需求增加。")
    make_article("臺灣永磁電機", "臺灣研究稀土永磁材料。", language=Language.TRADITIONAL)
    paper = Source.objects.create(name="中国工业报", slug="zhong-guo-gong-ye-bao")
    economy = make_tag("economy", "经济", "Economy")
    make_article("稀土出口", "稀土出口管制。", source=paper, published=dt.date(2023, 4, 1))
    make_article("Economic outlook", "Interest in rates rose.", language="en", tags=[economy])
    make_article("磁铁工厂", "磁铁产量。")
    make_article("Shanghai-based rare earth magnets", "Magnets made of rare earth.", language="en")
    drain_queue()


def test_every_example_is_a_link_that_finds_articles(client, archive):
    html = client.get("/search/tips/", **EN).content.decode()
    links = example_links(html)
    assert [parse_qs(urlparse(link).query)["q"][0] for link in links] == [t.query for t in TIPS]
    for link in links:
        found = client.get(link.replace("/search/", "/api/search", 1)).json()
        assert found["total"] >= 1, link


def test_the_page_reads_in_both_interface_languages(client):
    english = client.get("/search/tips/", **EN).content.decode()
    chinese = client.get("/search/tips/", **ZH).content.decode()
    assert "<h1>Search tips</h1>" in english and "An exact phrase" in english
    assert "<h1>搜索技巧</h1>" in chinese and "精确短语" in chinese
    assert "An exact phrase" not in chinese


def test_the_search_box_links_to_the_tips(client):
    for path in ("/", "/search/?q=x"):
        html = client.get(path, **EN).content.decode()
        assert 'href="/search/tips/"' in html, path


def test_the_tips_page_is_in_the_sitemap(client):
    assert "/search/tips/" in client.get("/sitemap-pages.xml").content.decode()
