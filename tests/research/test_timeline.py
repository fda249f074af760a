"""The timeline of a search: years or months, gaps, languages, links that filter, the API."""

import datetime as dt
import html
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from archive.models import Language, Source
from archive.research.timeline import MONTH, YEAR, timeline
from archive.search.indexer import drain_queue
from tests.factories import make_article

ZH, EN = Language.SIMPLIFIED, Language.ENGLISH
HANT = Language.TRADITIONAL
EN_UI = {"HTTP_ACCEPT_LANGUAGE": "en"}
BAR = re.compile(r'<a class="tl-bar" href="([^"]+)"><title>([^<]+)</title>')
UNDATED_LINK = re.compile(r'<li class="tl-undated"><a href="([^"]+)">')


def periods(line) -> list[str]:
    return [bar.period for bar in line.bars]


def test_a_long_span_is_by_year_with_empty_years_filled():
    line = timeline(Counter({("2020-03", "en"): 2, ("2023-11", "zh-Hans"): 1}))
    assert line.granularity == YEAR
    assert periods(line) == ["2020", "2021", "2022", "2023"]
    assert [bar.count for bar in line.bars] == [2, 0, 0, 1]
    assert line.max == 2 and line.total == 3


def test_two_years_or_less_is_by_month_with_empty_months_filled():
    line = timeline(Counter({("2024-11", "en"): 1, ("2025-02", "zh-Hant"): 4}))
    assert line.granularity == MONTH
    assert periods(line) == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert [bar.count for bar in line.bars] == [1, 0, 0, 4]


def test_the_month_rule_stops_at_twenty_four_months():
    assert timeline(Counter({("2023-01", "en"): 1, ("2024-12", "en"): 1})).granularity == MONTH
    assert timeline(Counter({("2023-01", "en"): 1, ("2025-01", "en"): 1})).granularity == YEAR


def test_a_selected_year_shows_its_twelve_months_and_a_selected_month_itself():
    months = Counter({("2019-04", "en"): 3})
    by_year = timeline(months, year=2019)
    assert by_year.granularity == MONTH
    assert periods(by_year) == [f"2019-{m:02d}" for m in range(1, 13)]
    assert by_year.bars[3].count == 3 and by_year.total == 3
    assert periods(timeline(months, year=2019, month=4)) == ["2019-04"]


def test_languages_split_chinese_scripts_together_and_english_apart():
    line = timeline(
        Counter({("2024-01", "zh-Hans"): 2, ("2024-01", "zh-Hant"): 3, ("2024-01", "en"): 4})
    )
    (bar,) = line.bars
    assert (bar.count, bar.chinese, bar.english, bar.other) == (9, 5, 4, 0)
    assert bar.by_language == {"zh-Hans": 2, "zh-Hant": 3, "en": 4}


def test_undated_matches_are_a_bucket_outside_the_bars():
    line = timeline(Counter({("undated", "en"): 2, ("2024-01", "en"): 1}))
    assert periods(line) == ["2024-01"]
    assert line.undated.count == 2 and line.undated.params == {"date": "undated"}
    assert line.total == 3
    assert [h["period"] for h in line.histogram()] == ["2024-01", "undated"]
    only_undated = timeline(Counter({("undated", "en"): 2}), year=0)
    assert only_undated.bars == () and only_undated.total == 2


@pytest.fixture
def archive(db):
    """Matches for 稀土 in 2019, 2021 (both scripts), 2024 (English too) and undated."""
    cache.clear()
    xinhua = Source.objects.create(name="新华社", slug="xinhua")
    reuters = Source.objects.create(name="Reuters", slug="reuters")
    for day, language in [
        (dt.date(2019, 3, 5), ZH),
        (dt.date(2019, 3, 20), ZH),
        (dt.date(2021, 7, 1), HANT),
        (dt.date(2021, 12, 31), ZH),
        (dt.date(2024, 1, 15), ZH),
        (dt.date(2024, 5, 2), EN),
        (dt.date(2024, 5, 3), EN),
        (None, ZH),
    ]:
        title = "稀土 rare earth" if language == EN else "稀土产业"
        source = reuters if language == EN else xinhua
        make_article(title, language=language, source=source, published=day)
    make_article("其他新闻", published=dt.date(2015, 1, 1))  # not a match
    drain_queue()
    yield
    cache.clear()


def bars_of(page: str) -> list[tuple[str, str]]:
    """(link, hover title) of every linked bar on a page."""
    return [(html.unescape(url), html.unescape(title)) for url, title in BAR.findall(page)]


def count_in(title: str) -> int:
    return int(re.search(r": ([\d,]+) article", title).group(1).replace(",", ""))


def test_search_page_bars_link_to_their_period_with_the_same_count(client, archive):
    response = client.get(
        "/search/",
        {"q": "稀土", "sort": "oldest", "page_size": "2", "page": "2", "year": "", "month": ""},
        **EN_UI,
    )
    page = response.content.decode()
    assert response.context["results"].total == 8
    assert "Matching articles per year" in page
    bars = bars_of(page)
    assert [urlsplit(url).path for url, _title in bars] == ["/search/"] * 3
    # Empty years show (unlinked) so the gaps are visible.
    assert page.count('<g class="tl-bar tl-nil">') == 3  # 2020, 2022, 2023
    seen = 0
    for url, title in bars:
        query = parse_qs(urlsplit(url).query)
        assert query["q"] == ["稀土"] and query["sort"] == ["oldest"]
        assert query["page_size"] == ["2"] and "page" not in query and "year" not in query
        filtered = client.get(url, **EN_UI)
        assert filtered.status_code == 200
        assert filtered.context["results"].total == count_in(title)
        seen += count_in(title)
    assert [parse_qs(urlsplit(url).query)["date"] for url, _ in bars] == [
        ["2019"],
        ["2021"],
        ["2024"],
    ]
    assert "2021: 2 articles (Chinese 2, English 0)" in [title for _url, title in bars]
    (undated,) = UNDATED_LINK.findall(page)
    assert client.get(html.unescape(undated)).context["results"].total == 1
    assert seen + 1 == 8  # every match is in one bar or the undated count


def test_a_selected_year_is_shown_by_month_and_its_months_filter(client, archive):
    page = client.get("/search/", {"q": "稀土", "date": "2024"}, **EN_UI).content.decode()
    assert "Matching articles per month" in page
    assert page.count('<g class="tl-bar tl-nil">') == 10  # all but January and May
    bars = bars_of(page)
    assert [parse_qs(urlsplit(url).query)["date"] for url, _ in bars] == [["2024-01"], ["2024-05"]]
    may_url, may_title = bars[1]
    assert may_title == "May 2024: 2 articles (Chinese 0, English 2)"
    may = client.get(may_url, **EN_UI)
    assert may.context["results"].total == 2
    assert {hit.article.language for hit in may.context["results"].hits} == {EN}


def test_a_language_filter_is_kept_by_the_bars(client, archive):
    page = client.get("/search/", {"q": "稀土", "lang": "zh-Hans"}, **EN_UI).content.decode()
    for url, title in bars_of(page):
        assert parse_qs(urlsplit(url).query)["language"] == ["zh-Hans"]
        assert client.get(url).context["results"].total == count_in(title)


def test_no_matches_no_timeline(client, archive):
    page = client.get("/search/", {"q": "不存在的词"}).content.decode()
    assert 'class="timeline"' not in page


def test_the_table_fallback_has_every_period(client, archive):
    page = client.get("/search/", {"q": "稀土"}, **EN_UI).content.decode()
    table = page[page.index('<div class="visually-hidden"><table class="tl-table">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', table
    )
    assert rows == [
        ("2019", "2", "0", "2"),
        ("2020", "0", "0", "0"),
        ("2021", "2", "0", "2"),
        ("2022", "0", "0", "0"),
        ("2023", "0", "0", "0"),
        ("2024", "1", "2", "3"),
    ]


def test_the_api_histogram_adds_up_to_the_total(client, archive):
    data = client.get("/api/search", {"q": "稀土"}).json()
    histogram = data["histogram"]
    assert sum(h["count"] for h in histogram) == data["total"] == 8
    assert [h["period"] for h in histogram] == [
        "2019",
        "2020",
        "2021",
        "2022",
        "2023",
        "2024",
        "undated",
    ]
    assert histogram[2]["by_language"] == {"zh-Hans": 1, "zh-Hant": 1, "en": 0}
    for h in histogram:
        assert sum(h["by_language"].values()) == h["count"]


def test_the_api_histogram_of_a_year_is_by_month(client, archive):
    data = client.get("/api/search", {"q": "稀土", "year": "2024"}).json()
    histogram = data["histogram"]
    assert [h["period"] for h in histogram] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert sum(h["count"] for h in histogram) == data["total"] == 3
    assert histogram[4] == {
        "period": "2024-05",
        "count": 2,
        "by_language": {"zh-Hans": 0, "zh-Hant": 0, "en": 2},
    }


def test_home_shows_the_whole_archive_and_links_to_search(client, archive):
    page = client.get("/", **EN_UI).content.decode()
    assert "Articles per year" in page
    bars = bars_of(page)
    assert [parse_qs(urlsplit(url).query) for url, _ in bars] == [
        {"date": [year]} for year in ("2015", "2019", "2021", "2024")
    ]
    assert sum(count_in(title) for _url, title in bars) == 9 - 1  # one undated
    for url, title in bars:
        assert client.get(url).context["results"].total == count_in(title)


def test_home_without_an_index_still_renders(client, db):
    cache.clear()
    make_article("稀土产业", published=dt.date(2024, 1, 1))  # queued, never indexed
    response = client.get("/")
    assert response.status_code == 200
    assert 'class="timeline"' not in response.content.decode()


def test_counts_are_written_as_the_interface_language_writes_numbers():
    from django.utils import translation

    from archive.web.charts import count_writer

    with translation.override("en"):
        assert count_writer()(1234567) == "1,234,567"
    with translation.override("zh-hans"):
        assert count_writer()(1234567) == "1234567"
