"""The concordance: every occurrence of a search's terms, in context, as page, JSON and CSV."""

import csv
import datetime as dt
import io
import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from archive.models import Article, Language, Source
from archive.research import concordance
from archive.search.indexer import drain_queue
from tests.factories import make_article

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def archive():
    xinhua = Source.objects.create(name="新华社", name_en="Xinhua", slug="xinhua")
    reuters = Source.objects.create(name="Reuters", slug="reuters")
    articles = {
        "hans": make_article(
            "中国经济稳中向好",
            "今年经济增长百分之五。\n\n专家说，数字经济是新动力。<b>经济</b>前景广阔。",
            source=xinhua,
            published=dt.date(2024, 5, 1),
        ),
        "hant": make_article(
            "臺灣經濟展望",
            "經濟部表示，今年經濟成長率可望回升。",
            language=Language.TRADITIONAL,
        ),
        "en": make_article(
            "Economies slow as interest rates climb",
            "The strong economy grows. A weak economy shrinks; an economy expands.\n"
            "Central banks raised interest rates again. The interest rate decision "
            "surprised the economic commentators, and interest  was high.",
            language=Language.ENGLISH,
            source=reuters,
        ),
    }
    drain_queue()
    return articles


def get_json(client, headers=EN, **params):
    response = client.get("/api/concordance", params, **headers)
    assert response.status_code == 200, response.content
    return response.json()


def field_text(article: Article, field: str) -> str:
    return {"title": article.title, "subtitle": article.subtitle, "body": article.body}[field]


def assert_lines_match_the_text(lines):
    for line in lines:
        article = Article.objects.get(pk=line["article"]["id"])
        text = field_text(article, line["field"])
        start = line["offset"] - len(line["left"])
        end = line["offset"] + len(line["match"]) + len(line["right"])
        assert text[start:end] == line["left"] + line["match"] + line["right"]
        assert text[line["offset"] : line["offset"] + len(line["match"])] == line["match"]
        assert "\n" not in line["left"] + line["right"]  # within its paragraph


def test_concordance_lines_are_the_article_text_at_their_offset(client, archive):
    data = get_json(client, q="经济", page_size=100)
    matches = [line["match"] for line in data["lines"]]
    # The hans article: 1 in the title, 3 in the body; the traditional one: 1 + 2.
    assert matches.count("经济") == 4 and matches.count("經濟") == 3
    assert_lines_match_the_text(data["lines"])
    hans = [line for line in data["lines"] if line["article"]["id"] == archive["hans"].pk]
    assert [line["number"] for line in hans] == [1, 2, 3, 4]
    assert hans[0]["field"] == "title" and hans[0]["left"] == "中国"
    assert hans[0]["right"] == "稳中向好"
    # The blank line between paragraphs counts in the offset.
    second = archive["hans"].body.index("数字经济") + 2
    assert any(line["offset"] == second and line["left"].endswith("数字") for line in hans)


def test_simplified_query_shows_traditional_matches_as_written(client, archive):
    data = get_json(client, q="经济")
    hant = [line for line in data["lines"] if line["article"]["id"] == archive["hant"].pk]
    assert [line["match"] for line in hant] == ["經濟", "經濟", "經濟"]
    assert hant[1]["left"] == "" and hant[1]["right"].startswith("部表示")
    assert hant[2]["left"] == "經濟部表示，今年" and hant[2]["right"].startswith("成長率")
    traditional = get_json(client, q="經濟")
    assert len(traditional["lines"]) == len(data["lines"])


def test_english_inflections_and_whole_words(client, archive):
    data = get_json(client, q="economy")
    matches = [line["match"] for line in data["lines"]]
    assert matches == ["Economies", "economy", "economy", "economy"]  # not "economic"
    assert_lines_match_the_text(data["lines"])
    line = data["lines"][1]
    assert line["left"] == "The strong " and line["right"].startswith(" grows.")


def test_phrase_is_one_occurrence_and_context_keeps_whole_words(client, archive):
    data = get_json(client, q='"interest rates"')
    matches = [line["match"] for line in data["lines"]]
    assert matches == ["interest rates", "interest rates", "interest rate", "interest"]
    assert_lines_match_the_text(data["lines"])
    for line in data["lines"]:
        text = field_text(Article.objects.get(pk=line["article"]["id"]), line["field"])
        start = line["offset"] - len(line["left"])
        end = line["offset"] + len(line["match"]) + len(line["right"])
        assert start == 0 or not text[start - 1].isalnum() or not text[start].isalnum()
        assert end == len(text) or not text[end - 1].isalnum() or not text[end].isalnum()


def test_sort_by_the_word_before_or_after(client):
    make_article("x", "甲经济。乙经济好。丙经济差。")
    make_article(
        "y",
        "The strong economy grows. A weak economy shrinks; an economy expands.",
        language=Language.ENGLISH,
    )
    drain_queue()
    left = [line["left"][-1] for line in get_json(client, q="经济", sort="left")["lines"]]
    assert left == ["丙", "乙", "甲"]  # by the character right before: 丙 < 乙 < 甲
    right = [line["right"][:1] for line in get_json(client, q="经济", sort="right")["lines"]]
    assert right == ["。", "好", "差"]
    words = get_json(client, q="economy", sort="left")["lines"]
    assert [line["left"].split()[-1] for line in words] == ["an", "strong", "weak"]
    words = get_json(client, q="economy", sort="right")["lines"]
    assert [line["right"].split()[0] for line in words] == ["expands.", "grows.", "shrinks;"]
    assert get_json(client, q="economy", sort="article")["lines"][0]["right"].startswith(" grows")


def test_paging_through_lines(client, archive):
    everything = get_json(client, q="经济", page_size=100)["lines"]
    first = get_json(client, q="经济", page_size=3)
    assert first["num_pages"] == 3 and first["total_lines"] == 7 and len(first["lines"]) == 3
    pages = [get_json(client, q="经济", page_size=3, page=n)["lines"] for n in (1, 2, 3)]
    assert [line for page in pages for line in page] == everything
    assert get_json(client, q="经济", page_size=3, page="last")["page"] == 3
    past = client.get("/api/concordance", {"q": "经济", "page_size": 3, "page": 4})
    assert past.status_code == 400 and "3" in past.json()["error"]
    html = client.get("/search/concordance/", {"q": "经济", "page_size": 3, "page": 2}, **EN)
    text = html.content.decode()
    assert 'class="pagination"' in text and "Page 2 of 3" in text
    assert 'href="?q=%E7%BB%8F%E6%B5%8E&amp;page_size=3&amp;page=3"' in text


def test_limit_of_lines_is_stated(client):
    make_article("经济" * 10, "经济，" * 2_600, published=dt.date(2020, 1, 1))
    make_article("经济二", "经济，" * 2_600, published=dt.date(2021, 1, 1))
    make_article("经济三", "经济。", published=dt.date(2022, 1, 1))
    drain_queue()
    data = get_json(client, q="经济", sort="oldest")
    assert data["total_lines"] == concordance.MAX_LINES == 5_000
    assert data["limit"] == "lines" and data["scanned_articles"] == 2
    assert "5,000" in data["message"]
    html = client.get("/search/concordance/", {"q": "经济", "sort": "oldest"}, **EN)
    html = html.content.decode()
    assert "The concordance stops at 5,000 lines" in html and "first 2 of the 3" in html


def test_limit_of_articles_is_stated(client, monkeypatch):
    for n in range(4):
        make_article(f"经济{n}", "经济。")
    drain_queue()
    monkeypatch.setattr(concordance, "MAX_ARTICLES", 3)
    data = get_json(client, q="经济")
    assert data["limit"] == "articles" and data["scanned_articles"] == 3
    assert (
        data["matching_articles"] == 4 and len({ln["article"]["id"] for ln in data["lines"]}) == 3
    )
    html = client.get("/search/concordance/", {"q": "经济"}, **ZH).content.decode()
    assert 'class="notice"' in html


def test_csv_export_parses_with_the_csv_module(client, archive):
    response = client.get("/search/concordance/", {"q": "经济", "format": "csv", "sort": "left"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 7
    assert list(rows[0]) == list(
        ["article_id", "title", "source", "published", "language", "field", "offset"]
        + ["left", "match", "right", "link"]
    )
    lines = get_json(client, q="经济", sort="left", page_size=100)["lines"]
    assert [row["match"] for row in rows] == [line["match"] for line in lines]
    for row in rows:
        text = field_text(Article.objects.get(pk=int(row["article_id"])), row["field"])
        offset = int(row["offset"])
        assert text[offset - len(row["left"]) : offset] == row["left"]
        assert row["link"].startswith("http://testserver/articles/")
    hans = next(row for row in rows if row["article_id"] == str(archive["hans"].pk))
    assert hans["source"] == "新华社" and hans["published"].startswith("2024-05-01T12:00")


def test_csv_cells_a_spreadsheet_would_run_are_quoted(client):
    make_article("x", "=HYPERLINK(1)经济")
    drain_queue()
    response = client.get("/search/concordance/", {"q": "经济", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][7] == "'=HYPERLINK(1)" and rows[1][8] == "经济"


def test_api_json_shape(client, archive):
    data = get_json(client, q="经济", source="xinhua", page_size=2)
    assert set(data) == {
        "query",
        "sort",
        "total_lines",
        "matching_articles",
        "scanned_articles",
        "limit",
        "message",
        "max_lines",
        "max_articles",
        "page",
        "page_size",
        "num_pages",
        "lines",
    }
    assert data["query"] == "经济" and data["limit"] is None and data["message"] is None
    line = data["lines"][0]
    assert set(line) == {
        "article",
        "field",
        "offset",
        "number",
        "left",
        "match",
        "right",
        "html_url",
    }
    assert set(line["article"]) == {"id", "title", "source", "published_at", "language", "html_url"}
    assert line["article"]["source"] == {"slug": "xinhua", "name": "新华社"}
    assert line["html_url"].endswith(
        f"/articles/{line['article']['id']}/?q=%E7%BB%8F%E6%B5%8E#match-1"
    )


def test_filters_of_the_search_apply(client, archive):
    data = get_json(client, q="经济", source="reuters")
    assert data["lines"] == [] and data["matching_articles"] == 0
    data = get_json(client, q="经济", language="zh-Hant")
    assert {line["match"] for line in data["lines"]} == {"經濟"}


def test_each_line_links_to_its_match_in_the_article(client, archive):
    for q in ("经济", '"interest rates"'):
        for line in get_json(client, q=q, page_size=100)["lines"]:
            url = urlsplit(line["html_url"])
            page = client.get(f"{url.path}?{url.query}", **EN).content.decode()
            marked = re.search(rf'<mark id="{url.fragment}">(.*?)</mark>', page)
            assert marked, (q, line)
            assert marked.group(1) == line["match"]


def test_page_shows_lines_aligned_with_sources_and_sort_links(client, archive):
    html = client.get("/search/concordance/", {"q": "经济"}, **ZH).content.decode()
    assert '<table class="kwic"' in html
    assert (
        '<td class="kwic-l" role="cell" lang="zh-Hant"><span>經濟部表示，今年</span></td>' in html
    )
    assert f'href="/articles/{archive["hans"].pk}/?q=%E7%BB%8F%E6%B5%8E#match-2"' in html
    assert "新华社" in html and "&lt;b&gt;" in html and "<b>经济" not in html
    assert 'href="?q=%E7%BB%8F%E6%B5%8E&amp;sort=left"' in html
    assert "format=csv" in html
    english = client.get("/search/concordance/", {"q": "经济", "sort": "right"}, **EN)
    text = english.content.decode()
    assert "Word before" in text and "Concordance of “经济”" in text
    assert 'aria-current="true">Word after' in text
    assert 'href="/search/?q=%E7%BB%8F%E6%B5%8E"' in text  # back to the results


def test_search_results_link_to_the_concordance(client, archive):
    html = client.get("/search/", {"q": "经济", "sort": "newest", "page": 1}, **EN).content.decode()
    assert 'href="/search/concordance/?q=%E7%BB%8F%E6%B5%8E&amp;sort=newest"' in html
    ordered = get_json(client, q="经济", sort="newest")
    assert ordered["sort"] == "article"


@pytest.mark.parametrize(
    "params",
    [
        {"q": "<script>alert(1)</script>经济"},
        {"q": "经济\x00\x1b\u202e"},
        {"q": "经济 " * 3_000},
        {"q": '"unbalanced 经济'},
        {"q": "-经济"},
        {"q": "source:xinhua"},
        {"q": "econom*"},
        {"q": "经济", "sort": "<b>"},
        {"q": "经济", "page": "-1"},
        {"q": "经济", "page": "x"},
        {"q": "经济", "page_size": "0"},
        {"q": "经济", "page_size": "100000"},
        {"q": "经济", "format": "xml"},
        {"q": "经济", "source": "bad slug!"},
        {"q": "经济", "date": "2024-13"},
        {"q": ""},
    ],
)
def test_hostile_input_never_fails(client, archive, params):
    for url in ("/search/concordance/", "/api/concordance"):
        response = client.get(url, params, **EN)
        assert response.status_code in (200, 400, 414), (url, params)
        if url.startswith("/search/"):
            assert "<script>alert(1)" not in response.content.decode()
    if params.get("q", "").startswith("<script>"):
        page = client.get("/search/concordance/", params, **EN).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;经济" in page
