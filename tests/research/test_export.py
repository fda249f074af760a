"""Every result of a search as CSV, JSON Lines, RIS and BibTeX, read back by parsers."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.models import Language, Source
from archive.research import export
from archive.search.indexer import drain_queue
from archive.search.service import params_from_query, search
from tests.factories import make_article, make_tag

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
FORMATS = ["csv", "jsonl", "ris", "bibtex"]
HOSTILE = 'Say "hi" {open and } close}} 100% & #1 _x_ $5 ~a^b \\end\nTY  - JOUR\r\nER  - <script>alert(1)</script> @article{evil,'


def download(client, **params) -> tuple:
    response = client.get("/search/export/", params, **EN)
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    return response, b"".join(response.streaming_content)


def page_order(**params) -> list[int]:
    """The ids the search page shows for the same parameters, in order."""
    results = search(params_from_query({**params, "page_size": "100"}))
    return [hit.article.pk for hit in results.hits]


def read_csv(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  - (.*)$")


def read_ris(text: str) -> tuple[list[dict], list[str]]:
    """Records (tag → values) and the lines before the first record; any other line
    inside a record, or a record left open, fails."""
    records, preamble, current = [], [], None
    for line in text.split("\r\n"):
        match = RIS_LINE.match(line)
        if match is None:
            assert current is None, f"a line inside a record that is no field: {line!r}"
            if line:
                assert not records, f"text after the first record: {line!r}"
                preamble.append(line)
            continue
        tag, value = match.groups()
        if tag == "TY":
            assert current is None, "TY inside a record"
            current = {"TY": [value]}
        elif tag == "ER":
            assert current is not None and value == ""
            records.append(current)
            current = None
        else:
            assert current is not None, f"{tag} outside a record"
            current.setdefault(tag, []).append(value)
    assert current is None, "a record without ER"
    return records, preamble


_ENTRY = re.compile(r"@(\w+)\{([^,\s{}]+),")
_FIELD = re.compile(r"\s*(\w+) = ")
_UNESCAPES = {
    r"\textbackslash{}": "\\",
    r"\textbraceleft{}": "{",
    r"\textbraceright{}": "}",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    **{"\\" + c: c for c in "%&#_$"},
}
_UNESCAPE = re.compile("|".join(re.escape(k) for k in _UNESCAPES))


def bib_text(value: str) -> str:
    return _UNESCAPE.sub(lambda m: _UNESCAPES[m.group()], value)


def read_bibtex(text: str) -> tuple[list[dict], str]:
    """Entries (with ``_type`` and ``_key``) and the text outside them. Braces are
    counted as BibTeX counts them, backslash or not; a field that does not close
    where it should fails."""
    entries, outside, pos = [], [], 0
    while (start := text.find("@", pos)) != -1:
        outside.append(text[pos:start])
        head = _ENTRY.match(text, start)
        assert head, text[start : start + 80]
        entry, pos = {"_type": head[1], "_key": head[2]}, head.end()
        while True:
            rest = text[pos:].lstrip()
            pos = len(text) - len(rest)
            if rest.startswith("}"):
                pos += 1
                break
            field = _FIELD.match(text, pos)
            assert field, text[pos : pos + 80]
            pos = field.end()
            if text[pos] == "{":
                depth, end = 0, pos
                while True:
                    depth += {"{": 1, "}": -1}.get(text[end], 0)
                    assert text[end] != "\n", "a field runs past its line"
                    if depth == 0:
                        break
                    end += 1
                value, pos = text[pos + 1 : end], end + 1
            else:
                macro = re.match(r"\w+", text[pos:])
                value, pos = macro[0], pos + macro.end()
            assert text[pos] == ",", text[pos : pos + 40]
            pos += 1
            assert field[1] not in entry, f"{field[1]} twice"
            entry[field[1]] = value
        entries.append(entry)
    outside.append(text[pos:])
    return entries, "".join(outside)


@pytest.fixture
def archive():
    """Five articles about 稀土 in three scripts/languages, one with a hostile title."""
    xinhua = Source.objects.create(name="新华社", name_en="Xinhua", slug="xinhua")
    tag = make_tag("rare-earth", "稀土", "Rare earths")
    articles = [
        make_article(
            "内蒙古打造稀土交易中心",
            "包头市发布稀土产业规划。稀土交易所将升级。",
            source=xinhua,
            published=dt.date(2021, 12, 13),
            tags=[tag],
            authors=["彭强"],
            url="https://example.com/a_b?x=1&y=%20#frag",
        ),
        make_article(
            "衛生福利部：稀土進口統計",
            "稀土進口統計今日發布。",
            language=Language.TRADITIONAL,
            published=dt.date(2023, 3, 2),
        ),
        make_article("稀土稀土稀土价格", "稀土价格上涨，稀土企业扩产，稀土需求强劲。"),
        make_article(
            "Rare earth 稀土 prices rise",
            "Prices of rare earth (稀土) metals rose.",
            language=Language.ENGLISH,
            published=dt.date(1987, 3, 2),
            authors=["Jane Doe", "John Roe"],
        ),
        make_article(f"稀土 {HOSTILE}", f"稀土 {HOSTILE}", published=dt.date(2024, 1, 1)),
    ]
    make_article("无关的文章", "这篇文章与主题无关。")
    drain_queue()
    return articles


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@FUZZ
@given(
    fmt=st.one_of(st.sampled_from(FORMATS), TEXT),
    q=st.one_of(st.sampled_from(["稀土", "稀土 -价格", '"rare earth"', "title:稀土"]), TEXT),
    extra=st.dictionaries(
        st.sampled_from(["sort", "language", "date", "page", "source", "start"]), TEXT, max_size=3
    ),
)
def test_any_parameters_answer_a_file_that_parses_or_a_400(client, archive, fmt, q, extra):
    response = client.get("/search/export/", {"format": fmt, "q": q, **extra}, **EN)
    assert response.status_code in (200, 400), (fmt, q, extra, response.status_code)
    if response.status_code == 400:
        assert b"<script>" not in response.content
        return
    content = b"".join(response.streaming_content)
    name = export.format_named(fmt).name
    if name == "csv":
        assert all(row["id"].isdigit() for row in read_csv(content))
    elif name == "jsonl":
        assert all("id" in json.loads(line) for line in content.decode().splitlines())
    elif name == "ris":
        read_ris(content.decode())
    else:
        read_bibtex(content.decode())


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_csv_holds_every_match_in_the_search_order(client, archive, sort):
    response, content = download(client, format="csv", q="稀土", sort=sort)
    rows = read_csv(content)
    assert [int(row["id"]) for row in rows] == page_order(q="稀土", sort=sort)
    assert len(rows) == len(archive)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["X-Export-Total"] == str(len(archive))


def test_csv_columns_keep_chinese_and_plain_text(client, archive):
    _response, content = download(client, format="csv", q="稀土")
    rows = {int(row["id"]): row for row in read_csv(content)}
    assert list(next(iter(rows.values()))) == export.CSV_COLUMNS
    first = rows[archive[0].pk]
    assert first["title"] == "内蒙古打造稀土交易中心"
    assert first["url"] == f"http://testserver/articles/{archive[0].pk}/"
    assert first["source"] == "新华社"
    assert first["published_at"] == "2021-12-13T12:00:00+08:00"
    assert first["language"] == "zh-Hans"
    assert first["topics"] == "稀土"
    assert first["source_url"] == "https://example.com/a_b?x=1&y=%20#frag"
    assert first["authors"] == "彭强"
    assert first["snippet"].startswith("包头市发布稀土产业规划")
    assert rows[archive[1].pk]["title"] == "衛生福利部：稀土進口統計"
    assert rows[archive[3].pk]["authors"] == "Jane Doe; John Roe"
    hostile = rows[archive[4].pk]
    assert hostile["title"] == f"稀土 {HOSTILE}"  # the csv module gives it back whole
    assert "<script>alert(1)</script>" in hostile["snippet"]
    assert "<mark>" not in content.decode("utf-8-sig") and "&lt;" not in hostile["snippet"]


def test_csv_filters_apply_and_the_file_is_named(client, archive):
    response, content = download(client, format="csv", q="稀土", language="en")
    assert [int(row["id"]) for row in read_csv(content)] == [archive[3].pk]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename")
    assert "archive-search-" in disposition and disposition.endswith(".csv")


def test_csv_cells_that_spreadsheets_would_run_are_quoted(client):
    make_article('=HYPERLINK("http://evil","稀土")', "稀土。")
    drain_queue()
    _response, content = download(client, format="csv", q="稀土")
    assert read_csv(content)[0]["title"] == '\'=HYPERLINK("http://evil","稀土")'


def test_jsonl_lines_are_json_records_in_order(client, archive):
    response, content = download(client, format="jsonl", q="稀土", sort="newest")
    lines = content.decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == page_order(q="稀土", sort="newest")
    by_id = {r["id"]: r for r in records}
    assert by_id[archive[0].pk]["topics"] == ["稀土"]
    assert by_id[archive[2].pk]["published_at"] is None
    assert by_id[archive[4].pk]["title"] == f"稀土 {HOSTILE}"
    assert response["Content-Type"].startswith("application/x-ndjson")


def test_ris_records_parse_one_field_per_line(client, archive):
    response, content = download(client, format="ris", q="稀土")
    records, preamble = read_ris(content.decode())
    assert preamble == []
    assert [int(r["AN"][0]) for r in records] == page_order(q="稀土")
    assert {r["TY"][0] for r in records} == {"NEWS"}
    by_id = {int(r["AN"][0]): r for r in records}
    first = by_id[archive[0].pk]
    assert first["TI"] == ["内蒙古打造稀土交易中心"]
    assert first["AU"] == ["彭强"]
    assert first["T2"] == ["新华社"]
    assert first["DA"] == ["2021/12/13/"] and first["PY"] == ["2021"]
    assert first["UR"] == [f"http://testserver/articles/{archive[0].pk}/"]
    assert first["KW"] == ["稀土"]
    assert first["N1"][0].endswith("https://example.com/a_b?x=1&y=%20#frag")
    assert by_id[archive[3].pk]["AU"] == ["Jane Doe", "John Roe"]
    # The hostile title stays one value on one line: its "TY  - JOUR" starts nothing.
    assert by_id[archive[4].pk]["TI"] == [" ".join(f"稀土 {HOSTILE}".split())]
    assert response["Content-Disposition"].endswith(".ris")


def test_bibtex_entries_parse_with_unique_ascii_keys(client, archive):
    _response, content = download(client, format="bibtex", q="稀土")
    entries, outside = read_bibtex(content.decode())
    assert outside.strip() == ""
    keys = [e["_key"] for e in entries]
    assert keys == [f"archive{pk}" for pk in page_order(q="稀土")]
    assert len(set(keys)) == len(keys) and all(k.isascii() for k in keys)
    by_key = {e["_key"]: e for e in entries}
    first = by_key[f"archive{archive[0].pk}"]
    assert first["_type"] == "article"
    assert first["title"] == "{内蒙古打造稀土交易中心}"
    assert first["author"] == "{彭强}"
    assert first["journal"] == "新华社"
    assert (first["year"], first["month"], first["date"]) == ("2021", "dec", "2021-12-13")
    assert bib_text(first["note"]).endswith("https://example.com/a_b?x=1&y=%20#frag")
    assert by_key[f"archive{archive[3].pk}"]["author"] == "Jane Doe and John Roe"
    hostile = by_key[f"archive{archive[4].pk}"]
    assert hostile["title"].startswith("{") and hostile["title"].endswith("}")
    assert bib_text(hostile["title"][1:-1]) == " ".join(f"稀土 {HOSTILE}".split())
    assert "%" not in hostile["title"].replace("\\%", "")  # no unescaped comment sign


def test_the_limit_is_stated_in_every_file_and_on_the_page(client, archive, settings):
    settings.ARCHIVE_EXPORT_LIMIT = 2
    order = page_order(q="稀土")
    notice = f"first 2 of {len(archive)} results"
    rows = read_csv(download(client, format="csv", q="稀土")[1])
    assert [int(r["id"]) for r in rows[:-1]] == order[:2]
    assert rows[-1]["id"].startswith("# ") and notice in rows[-1]["id"]
    lines = download(client, format="jsonl", q="稀土")[1].decode().splitlines()
    assert [json.loads(line)["id"] for line in lines[:-1]] == order[:2]
    assert json.loads(lines[-1]) == {
        "notice": json.loads(lines[-1])["notice"],
        "limit": 2,
        "total": len(archive),
    }
    assert notice in json.loads(lines[-1])["notice"]
    records, preamble = read_ris(download(client, format="ris", q="稀土")[1].decode())
    assert len(records) == 2 and len(preamble) == 1 and notice in preamble[0]
    entries, outside = read_bibtex(download(client, format="bibtex", q="稀土")[1].decode())
    assert len(entries) == 2 and outside.strip().startswith("% ") and notice in outside
    page = client.get("/search/", {"q": "稀土"}, **EN).content.decode()
    assert f"Files hold the first 2 of {len(archive)} results" in page


def test_no_notice_when_everything_fits(client, archive):
    rows = read_csv(download(client, format="csv", q="稀土")[1])
    assert not any(r["id"].startswith("#") for r in rows)
    page = client.get("/search/", {"q": "稀土"}, **EN).content.decode()
    assert "Files hold the first" not in page


def test_records_come_in_chunks_in_order(archive, django_assert_num_queries):
    ids = [a.pk for a in reversed(archive)]
    with django_assert_num_queries(6):  # 3 chunks × (articles, topics)
        got = list(export.records(ids, permalink=str, chunk=2))
    assert [r.id for r in got] == ids


def test_records_skip_articles_deleted_since_indexing(archive):
    ids = [a.pk for a in archive]
    archive[1].delete()
    assert [r.id for r in export.records(ids, permalink=str)] == ids[:1] + ids[2:]


def test_results_page_links_each_format_with_the_query(client, archive):
    page = client.get("/search/", {"q": "稀土", "language": "zh-Hans", "page": "1"}).content
    page = page.decode()
    for name in FORMATS:
        link = re.search(rf'href="(/search/export/\?[^"]*format={name}[^"]*)"', page)
        assert link, name
        assert "q=%E7%A8%80%E5%9C%9F" in link[1] and "language=zh-Hans" in link[1]
        assert "page=" not in link[1]


@pytest.mark.parametrize("value", ["xls", "", "CSV;"])
def test_a_bad_format_is_400_with_the_choices(client, archive, value):
    response = client.get("/search/export/", {"format": value, "q": "稀土"}, **EN)
    assert response.status_code == 400
    assert "csv, jsonl, ris, bibtex" in response.content.decode()


def test_a_missing_format_is_400(client, archive):
    assert client.get("/search/export/", {"q": "稀土"}, **EN).status_code == 400


def test_a_bad_search_parameter_is_400(client, archive):
    response = client.get("/search/export/", {"format": "csv", "sort": "best"}, **EN)
    assert response.status_code == 400
    assert "sort" in response.content.decode()


def test_no_index_is_503(client, fresh_search_state):
    make_article()  # never indexed: there is no index to read
    response = client.get("/search/export/", {"format": "csv", "q": "稀土"}, **EN)
    assert response.status_code == 503
    assert "Search temporarily unavailable" in response.content.decode()


def test_head_answers_the_headers_without_exporting(client, archive):
    response = client.head("/search/export/", {"format": "ris", "q": "稀土"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(".ris")
    assert response.content == b""


def test_snippets_are_plain_text_on_one_line():
    assert export.plain_snippet("第一段\n第二段", set(), set()) == "第一段 第二段"
    body = "a <b>&amp; 稀土\nx <mark>y</mark>"
    assert export.plain_snippet(body, {"稀土"}, set()) == "a <b>&amp; 稀土 x <mark>y</mark>"
