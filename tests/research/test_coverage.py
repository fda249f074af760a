"""/coverage/: articles per source per month, as the database holds them."""

import datetime as dt
import html
import re
from collections import Counter

import pytest
from django.core.cache import cache
from django.utils import timezone

from archive.editorial import merge_sources
from archive.models import Article, Language, Source
from archive.research.coverage import coverage, heat_levels, level_of
from archive.search.documents import UNDATED
from archive.search.indexer import drain_queue
from tests.factories import make_article

pytestmark = pytest.mark.django_db

EN_UI = {"HTTP_ACCEPT_LANGUAGE": "en"}
CELL_TITLE = re.compile(r"<title>([^<]+) · ([^<]+): ([\d,]+) articles?</title>")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def db_counts() -> Counter:
    """(source name or "", "YYYY-MM" or UNDATED) -> articles, straight from the rows."""
    out: Counter = Counter()
    for article in Article.objects.select_related("source"):
        source = article.source.resolved().name if article.source else ""
        when = article.published_at
        month = f"{timezone.localtime(when):%Y-%m}" if when else UNDATED
        out[source, month] += 1
    return out


@pytest.fixture
def sources():
    xinhua = Source.objects.create(name="新华社", name_en="Xinhua", slug="xinhua")
    reuters = Source.objects.create(name="Reuters", slug="reuters")
    for day in (dt.date(2023, 1, 5), dt.date(2023, 1, 9), dt.date(2023, 4, 1)):
        make_article("稀土", source=xinhua, published=day)
    # 23:30 on 31 May in UTC is already June in the archive's time zone (UTC+8).
    make_article("Late", source=reuters, language=Language.ENGLISH)
    Article.objects.filter(title="Late").update(
        published_at=dt.datetime(2023, 5, 31, 23, 30, tzinfo=dt.UTC)
    )
    make_article("Undated", source=reuters, language=Language.ENGLISH)
    make_article("无来源", published=dt.date(2021, 2, 1))
    return {"xinhua": xinhua, "reuters": reuters}


def page_counts(page: str) -> Counter:
    """(source, month label) -> count, read from the heat map's hover titles."""
    return Counter(
        {(html.unescape(s), m): int(n.replace(",", "")) for s, m, n in CELL_TITLE.findall(page)}
    )


def test_coverage_matches_the_database(sources):
    matrix = coverage()
    got = Counter(
        {
            (r.source.name if r.source else "", m): n
            for r in matrix.rows
            for m, n in r.counts.items()
        }
    )
    assert got == db_counts()
    assert got[("Reuters", "2023-06")] == 1  # the archive's time zone
    assert matrix.months[0] == "2021-02" and matrix.months[-1] == "2023-06"
    assert len(matrix.months) == 29  # every month between, empty ones too
    assert [r.source.name if r.source else None for r in matrix.rows] == [
        "新华社",
        "Reuters",
        None,
    ]
    assert matrix.total == Article.objects.count() and matrix.undated == 1


def test_the_page_shows_the_same_numbers_in_the_map_and_the_table(client, sources):
    response = client.get("/coverage/", **EN_UI)
    assert response.status_code == 200
    page = response.content.decode()
    assert page_counts(page) == Counter(
        {
            ("Xinhua (新华社)", "January 2023"): 2,
            ("Xinhua (新华社)", "April 2023"): 1,
            ("Reuters", "June 2023"): 1,
            ("No source", "February 2021"): 1,
        }
    )
    assert "<svg" in page and 'class="cov-table"' in page
    # The table: each count links to the search for that source and month.
    assert '<a href="/search/?source=xinhua&amp;date=2023-01">2</a>' in page
    assert '<a href="/search/?source=reuters&amp;date=undated">1</a>' in page
    assert "6 articles from 2 sources" in page


def test_table_links_find_the_articles_counted(client, sources):
    drain_queue()
    page = client.get("/coverage/").content.decode()
    links = re.findall(r'<a href="(/search/\?source=[^"]+)">(\d+)</a>', page)
    assert links
    for url, n in links:
        assert client.get(html.unescape(url)).context["results"].total == int(n)


def test_a_merged_source_counts_as_the_one_it_was_merged_into(client, sources):
    xinhua, reuters = sources["xinhua"], sources["reuters"]
    make_article("Dup", source=xinhua, external_id="same", published=dt.date(2022, 3, 3))
    make_article("Dup", source=reuters, external_id="same", published=dt.date(2022, 3, 3))
    coverage()  # cached before the merge
    merge_sources(keep=xinhua, merge=[reuters])
    # The duplicate external id stays on Reuters, now an alias of Xinhua.
    assert Article.objects.filter(source=reuters).count() == 1
    matrix = coverage()
    names = [r.source.name if r.source else None for r in matrix.rows]
    assert names == ["新华社", None]
    assert matrix.rows[0].counts == {
        "2022-03": 2,
        "2023-01": 2,
        "2023-04": 1,
        "2023-06": 1,
        UNDATED: 1,
    }
    assert (
        Counter(
            {
                (r.source.name if r.source else "", m): n
                for r in matrix.rows
                for m, n in r.counts.items()
            }
        )
        == db_counts()
    )
    page = client.get("/coverage/", **EN_UI).content.decode()
    assert "Reuters" not in page


def test_a_merge_shows_at_once_even_when_no_article_moves(client, sources):
    xinhua, reuters = sources["xinhua"], sources["reuters"]
    coverage()
    Source.objects.filter(pk=reuters.pk).update(merged_into=xinhua)  # no article changed
    assert [r.source.name if r.source else None for r in coverage().rows] == ["新华社", None]


def test_an_empty_archive(client):
    response = client.get("/coverage/", **EN_UI)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The archive is empty" in page and "<svg" not in page


def test_only_undated_articles_have_a_table_but_no_map(client):
    make_article("Undated")
    page = client.get("/coverage/", **EN_UI).content.decode()
    assert 'class="cov-chart"' not in page and "No article has a date yet." in page
    assert '<td class="cov-total">1</td>' in page


def test_long_gaps_shrink_to_one_column(client):
    source = Source.objects.create(name="Reuters", slug="reuters")
    make_article("Old", source=source, published=dt.date(1987, 3, 1))
    make_article("New", source=source, published=dt.date(2024, 1, 1))
    page = client.get("/coverage/", **EN_UI).content.decode()
    assert page.count('<rect class="cov-gap"') == 1
    assert "<title>April 1987 – December 2023: no articles</title>" in page


def test_footer_links_to_coverage_and_sitemap_lists_it(client):
    assert 'href="/coverage/"' in client.get("/").content.decode()
    sitemap = client.get("/sitemap-pages.xml").content.decode()
    assert "/coverage/</loc>" in sitemap


def test_heat_levels_are_log_spaced_and_cover_every_count():
    levels = heat_levels(10_000)
    assert levels[0][0] == 1 and levels[-1][1] == 10_000 and len(levels) == 5
    assert all(a[1] + 1 == b[0] for a, b in zip(levels, levels[1:], strict=False))
    assert heat_levels(1) == [(1, 1)]
    assert heat_levels(3) == [(1, 1), (2, 2), (3, 3)]
    assert [level_of(n, levels) for n in (0, 1, 10_000, 20_000)] == [0, 1, 5, 5]
