"""Snippets mark matches in the original script and escape everything else."""

import re

import pytest

from archive.models import Language
from archive.search.highlight import highlight, snippet
from archive.text import stem
from tests.factories import make_article
from tests.search_helpers import run

pytestmark = pytest.mark.django_db


def test_highlight_simplified_query_marks_traditional_text():
    make_article(
        "蘇權談兩岸",
        "記者報導，蘇權表示<img src=x onerror=alert(1)>將繼續推動交流。",
        language=Language.TRADITIONAL,
    )
    hit = run("苏权").hits[0]
    assert hit.title_html == "<mark>蘇權</mark>談兩岸"
    assert "<mark>蘇權</mark>表示" in hit.snippet_html
    assert "&lt;img src=x onerror=alert(1)&gt;" in hit.snippet_html
    assert "<img" not in hit.snippet_html


def test_highlight_english_inflections_and_escaping():
    make_article(
        "Magnet <b>makers</b>",
        "Rare magnets & motors. " * 3,
        language=Language.ENGLISH,
    )
    hit = run("magnet").hits[0]
    assert hit.title_html == "<mark>Magnet</mark> &lt;b&gt;makers&lt;/b&gt;"
    assert "<mark>magnets</mark> &amp; motors" in hit.snippet_html


def test_highlight_maps_full_width_text_back_to_original():
    assert highlight("ＡＢＣ 公司", {"公司"}, {"abc"}) == "<mark>ＡＢＣ</mark> <mark>公司</mark>"


def test_snippet_picks_the_passage_with_the_matches():
    body = "无关内容。" * 100 + "这里谈到稀土和永磁。" + "其他内容。" * 100
    html = snippet(body, {"稀土", "永磁"}, set())
    assert "<mark>稀土</mark>" in html and "<mark>永磁</mark>" in html
    assert len(html) < 400


def test_hits_escape_reflected_query_text():
    make_article("x", "<script>alert(1)</script> 经济")
    hit = run("<script>alert(1)</script> 经济").hits[0]
    assert "<script>" not in hit.snippet_html


def test_highlight_marks_whole_inflected_words_only():
    html = highlight("Rates rose at a separate rate; rated2 and rate.", set(), {"rate"})
    assert html == (
        "<mark>Rates</mark> rose at a separate <mark>rate</mark>; rated2 and <mark>rate</mark>."
    )


@pytest.mark.parametrize(
    "query_word", ["citizens", "ties", "is", "happy", "2019", "yearly", "s", "e-mail"]
)
def test_every_inflection_of_a_query_word_is_marked_however_it_begins(query_word):
    """A word is marked exactly when its stem is one of the query's stems."""
    text = (
        "Cities and citizens; the city's citizen. Ties: tied, tie, tying. It is his."
        " Happy, happier, happiness, happily. 2019, 2019s. Years, yearly, year."
        " S s's e-mail emails mail."
    )
    stems = {stem(part) for part in query_word.split("-")}
    expected = [w for w in re.findall(r"[A-Za-z0-9]+", text) if stem(w.lower()) in stems]
    marked = re.findall(r"<mark>([^<]*)</mark>", highlight(text, set(), stems))
    assert marked == expected
    assert marked
