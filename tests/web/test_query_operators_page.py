"""The query operators as readers meet them: the search page's understood line and the
JSON API, on a real index; hostile operator syntax never gives a 500."""

import datetime as dt

import pytest
from django.test import Client

from archive.models import Language, Source
from archive.search.indexer import drain_queue
from tests.factories import make_article

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def archive():
    xinhua = Source.objects.create(name="新华社", name_en="Xinhua", slug="xinhua")
    articles = {
        "zh": make_article(
            "包头稀土", "包头市稀土高性能永磁材料。", source=xinhua, published=dt.date(2024, 5, 2)
        ),
        "economy": make_article("The economy", "The economy grew.", language=Language.ENGLISH),
        "economic": make_article("Economic news", "Economic growth.", language=Language.ENGLISH),
    }
    drain_queue()
    return articles


def page(client, q: str, headers=EN) -> str:
    response = client.get("/search/", {"q": q}, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_what_a_prefix_searched(client, archive):
    html = page(client, "econom*")
    assert "econom* searched:" in html
    for article in (archive["economy"], archive["economic"]):
        assert f'href="/articles/{article.pk}/' in html


def test_the_page_shows_pinyin_readings_with_a_latin_only_link(client, archive):
    html = page(client, "xitu")
    assert f'href="/articles/{archive["zh"].pk}/' in html
    assert "Read as pinyin, “xitu” also searched:" in html and "稀土</span>" in html
    assert 'href="?q=%22xitu%22' in html
    chinese = page(client, "xitu", ZH)
    assert "按拼音读" in chinese  # the same line in the Chinese interface


def test_the_page_shows_field_filters_and_applies_them(client, archive):
    html = page(client, "稀土 source:xinhua date:2024")
    link = f'href="/articles/{archive["zh"].pk}/'
    assert "Filtered by:" in html and "source:xinhua" in html and link in html
    assert link not in page(client, "稀土 -source:xinhua")


def test_the_api_reports_expansions_and_filters(client, archive):
    data = client.get("/api/search", {"q": "econom* xitu OR growth lang:en"}).json()
    understood = data["understood"]
    assert understood["prefixes"][0]["typed"] == "econom*"
    assert understood["filters"] == ["lang:en"]
    proximity = client.get("/api/search", {"q": '"稀土 永磁"~5'}).json()
    assert proximity["total"] == 1 and proximity["results"][0]["id"] == archive["zh"].pk
    pinyin = client.get("/api/search", {"q": "xitu"}).json()["understood"]
    assert pinyin["pinyin"] == [{"typed": "xitu", "words": ["稀土"]}]
    assert pinyin["latin_only_query"] == '"xitu"'


HOSTILE = [
    "title:",
    "title:::",
    '-title:""',
    "source:",
    'source:"',
    "topic:*",
    "lang:",
    "lang:zh-Hant-TW-xx",
    "date:",
    "date:..",
    "date:9999..0001",
    "date:0000-00-00",
    "date:99999999999",
    "date:2024-02-30",
    '"a b"~',
    '"a b"~~~9',
    '"a b"~99999999999999999999',
    "NEAR/3",
    "a NEAR/3",
    "NEAR/3 b",
    "a NEAR/x b",
    "a NEAR/999999 b NEAR/2 c NEAR/1 -d",
    "*",
    "**",
    "a*b*",
    "ab****",
    "-ab*",
    "title:ab*",
    "xī tǔ xī tǔ xī tǔ xī tǔ",
    '(((title:稀土 OR source:x) NEAR/2 "y z"~3)',
    "标题：" * 40,
    "source:" + "x" * 300,
    'title:"稀土 永磁"~3 -source:"新华社" lang:zh date:2020..',
]


@pytest.mark.parametrize("q", HOSTILE)
@pytest.mark.parametrize("url", ["/search/", "/api/search", "/feeds/search/"])
def test_hostile_operator_syntax_never_gives_a_500(archive, url, q):
    client = Client(raise_request_exception=False)
    response = client.get(url, {"q": q}, **EN)
    assert response.status_code == 200, (url, q)
