"""The article page with ``?q=``: every match marked, numbered and linked; without it, as before."""

import re
from pathlib import Path

import pytest
from django.core.cache import cache

from archive.models import Article, GlossaryTerm, Language
from archive.search.indexer import drain_queue
from tests.factories import make_article

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
MARK = re.compile(r'<mark id="match-(\d+)">(.*?)</mark>')
NAV = re.compile(
    r'<span class="match-nav">(.*?<span>match \d+ of \d+</span>(?: <a [^>]*>[^<]*</a>)?)</span>'
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hant():
    article = make_article(
        "臺灣經濟展望",
        "經濟部表示，今年經濟成長率可望回升。\n<b>經濟</b> & <script>alert(1)</script>",
        language=Language.TRADITIONAL,
        subtitle="經濟學者看法",
    )
    drain_queue()
    return article


def page(client, article, headers=EN, **params) -> str:
    response = client.get(article.get_absolute_url(), params, **headers)
    assert response.status_code == 200
    return CSRF.sub("CSRF", response.content.decode())  # masked anew for each response


def cached_pages(settings) -> int:
    return len(list(Path(settings.CACHES["pages"]["LOCATION"]).glob("*.djcache")))


def test_matches_marked_in_title_subtitle_and_body(client, hant):
    html = page(client, hant, q="经济")
    marks = MARK.findall(html)
    assert [int(n) for n, _text in marks] == [1, 2, 3, 4, 5]
    assert {text for _n, text in marks} == {"經濟"}  # as written, for a simplified query
    title = re.search(r'<h1 id="article-title" lang="zh-Hant">(.*?)</h1>', html).group(1)
    # The heading's marks carry no links, so its accessible name stays the title.
    assert title == '臺灣<mark id="match-1">經濟</mark>展望'

    assert '<mark id="match-2">經濟</mark>' in html.split('class="subtitle"')[1][:200]
    # Untrusted text stays text: the article's own tags are escaped, marks sit outside them.
    assert '&lt;b&gt;<mark id="match-5">經濟</mark>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_next_and_previous_links_and_summary(client, hant):
    html = page(client, hant, q="经济")
    assert "5 matches for “经济”" in html
    assert '<a href="#match-1">first</a>' in html and '<a href="#match-5">last</a>' in html
    nav = NAV.findall(html)
    assert len(nav) == 4  # match 1 is in the heading, reached from "first" and match 2
    assert '<a href="#match-1" rel="prev">' in nav[0] and "match 2 of 5" in nav[0]
    assert '<a href="#match-2" rel="prev">' in nav[1] and '<a href="#match-4" rel="next">' in nav[1]
    assert "match 3 of 5" in nav[1]
    assert 'rel="next"' not in nav[3] and "match 5 of 5" in nav[3]
    assert f'<a href="{hant.get_absolute_url()}">Show the article without marks</a>' in html


def test_summary_in_chinese_interface(client, hant):
    html = page(client, hant, headers=ZH, q="经济")
    assert 'class="match-summary"' in html and 'id="match-1"' in html


def test_english_inflections_and_phrases_are_marked(client):
    article = make_article(
        "Rates rise",
        "The interest rate rose. Interest rates moved.",
        language=Language.ENGLISH,
    )
    drain_queue()
    marks = [text for _n, text in MARK.findall(page(client, article, q="rate"))]
    assert marks == ["Rates", "rate", "rates"]
    marks = [text for _n, text in MARK.findall(page(client, article, q='"interest rates"'))]
    assert marks == ["Rates", "interest rate", "Interest rates"]


def test_glossary_terms_are_marked(client):
    GlossaryTerm.objects.get_or_create(zh="稀土", en="rare earth")
    article = make_article("包头稀土产业", "稀土永磁材料。")
    drain_queue()
    html = page(client, article, q="rare earth")
    assert [text for _n, text in MARK.findall(html)] == ["稀土", "稀土"]


def test_no_match_in_this_article(client, hant):
    html = page(client, hant, q="稀土")
    assert "No matches for “稀土” in this article." in html and "<mark" not in html


def test_without_q_the_page_is_unchanged_and_served_from_cache(client, settings, hant):
    plain = page(client, hant)
    assert cached_pages(settings) == 1
    assert "<mark" not in plain and "match-summary" not in plain and "?q=" not in plain
    for params in ({"q": ""}, {"q": "  \x00 "}, {"x": "1"}):
        assert page(client, hant, **params) == plain
    page(client, hant, q="经济")
    page(client, hant, q="经济", script="hans")
    assert cached_pages(settings) == 1  # pages with marks are not cached
    # Still the cached page: a change that does not touch ``updated_at`` is not seen.
    Article.objects.filter(pk=hant.pk).update(title="換了標題")
    assert page(client, hant) == plain
    assert "換了標題" in page(client, hant, q="经济")


def test_script_switch_and_language_switch_keep_q(client, hant):
    html = page(client, hant, q="经济")
    assert 'href="?script=hans&amp;q=%E7%BB%8F%E6%B5%8E"' in html
    assert f'value="{hant.get_absolute_url()}?q=%E7%BB%8F%E6%B5%8E"' in html  # language switch
    converted = page(client, hant, q="经济", script="hans")
    assert '<h1 id="article-title" lang="zh-Hans">台湾<mark id="match-1">经济</mark>' in converted
    assert f'href="{hant.get_absolute_url()}?q=%E7%BB%8F%E6%B5%8E"' in converted
    assert f'value="{hant.get_absolute_url()}?script=hans&amp;q=%E7%BB%8F%E6%B5%8E"' in converted
    assert f'<a href="{hant.get_absolute_url()}?script=hans">Show the article' in converted


def test_search_results_link_to_the_article_with_the_query(client, hant):
    html = client.get("/search/", {"q": "经济"}, **EN).content.decode()
    assert f'href="{hant.get_absolute_url()}?q=%E7%BB%8F%E6%B5%8E"' in html
    browse = client.get("/search/", **EN).content.decode()
    assert f'href="{hant.get_absolute_url()}"' in browse


@pytest.mark.parametrize(
    "q",
    [
        '<img src=x onerror=alert(1)>"经济',
        "经济\x00\x07\u202e\ufeff",
        "经济 " + "x" * 3_000,
        '"""',
        "-经济",
        "title:经济 source:nowhere",
        "econom*",
        "</mark><script>",
    ],
)
def test_hostile_q_is_escaped(client, hant, q):
    response = client.get(hant.get_absolute_url(), {"q": q}, **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<img src=x" not in html and "<script>" not in html and "</mark><script" not in html
    assert "\x00" not in html
    assert 'class="match-summary"' in html
    assert all("<" not in text and ">" not in text for _n, text in MARK.findall(html))


def test_very_long_q_is_refused_politely(client, hant):
    response = client.get(hant.get_absolute_url(), {"q": "经济" + "x" * 10_000}, **EN)
    assert response.status_code == 414 and b"<mark" not in response.content
