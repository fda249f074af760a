"""Whatever a reader types, search answers: malformed syntax is literal text."""

import pytest

from archive.models import GlossaryTerm, Language
from archive.search.service import SearchParamError, SearchParams, params_from_query, search
from tests.search_helpers import find, make_article, run

pytestmark = pytest.mark.django_db

MALFORMED = [
    '"经济 改革',
    "((经济 OR 改革",
    ")))",
    "OR",
    "经济 OR",
    "- -- -",
    "title:* OR django_ct:*",
    "source:Reuters",
    "published:[* TO *]",
    "economicgrowthpolicies~9",
    "*",
    "eco*",
    "(" * 3000,
    "经济\x00改革",
    "\u202e\u200b经济",
    "!!!???...",
    "经" * 5000,
    '"',
    '""',
    "“经济”",
]


@pytest.mark.parametrize("q", MALFORMED)
def test_search_malformed_query_never_raises(q):
    make_article("经济改革", "经济改革继续推进。source reuters")
    results = run(q)
    assert results.total >= 0


def test_search_syntax_is_literal_text():
    a = make_article("Reuters report", "source reuters wrote this", language=Language.ENGLISH)
    assert find("source:Reuters") == [a.pk]
    assert find('"经济 改革') == find("经济 改革")


def test_search_long_query_is_shortened_with_a_message():
    results = run("经" * 5000)
    assert results.message and "200" in results.message


def test_search_did_you_mean_from_index_vocabulary():
    make_article("稀土产业", "包头稀土产业发展迅速，稀土价格上涨。")
    make_article(
        "Magnets", "A magnet factory opened. The magnet market grows.", language=Language.ENGLISH
    )
    assert run("稀士").suggestion == "稀土"
    assert run("magnat").suggestion == "magnet"
    assert run("稀土").suggestion is None


def test_search_glossary_finds_the_other_language():
    GlossaryTerm.objects.get_or_create(zh="稀土", en="rare earth")
    GlossaryTerm.objects.get_or_create(zh="包头", en="Baotou")
    zh = make_article("稀土", "包头的稀土产业")
    en = make_article("Rare earth in Baotou", "Rare earth output rose.", language=Language.ENGLISH)
    results = run("rare earth")
    assert {h.article.pk for h in results.hits} == {zh.pk, en.pk}
    assert results.understood.also_searched == ["稀土"]
    results = run("包头")
    assert {h.article.pk for h in results.hits} == {zh.pk, en.pk}
    assert results.understood.also_searched == ["Baotou"]


def test_search_understood_shows_segments_and_folding():
    make_article("台湾", "台湾")
    understood = run("臺灣選舉").understood
    assert understood.folded == "台湾选举"
    assert understood.segments == ["台湾", "选举"]


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "-1"},
        {"page": "0"},
        {"page": "1.5"},
        {"sort": "random"},
        {"date_from": "2024-02-30"},
        {"date_to": "abc"},
        {"page_size": "101"},
        {"lang": "fr"},
        {"year": "99999"},
        {"month": "3"},
        {"source": "bad slug!"},
        {"date_from": "2025-01-02", "date_to": "2025-01-01"},
    ],
)
def test_params_reject_bad_values_with_a_message(query):
    with pytest.raises(SearchParamError) as info:
        params_from_query(query)
    assert str(info.value)


def test_search_page_past_the_end_is_a_param_error():
    make_article("经济", "经济")
    run("经济")
    with pytest.raises(SearchParamError):
        search(SearchParams(q="经济", page=5))


def test_params_accept_site_and_api_names():
    params = params_from_query(
        {"q": "x", "lang": "en", "date": "2025-03", "start": "2025-01-01", "source": "a,b"}
    )
    assert params.languages == ["en"]
    assert (params.year, params.month) == (2025, 3)
    assert params.sources == ["a", "b"]
    assert str(params.date_from) == "2025-01-01"
    assert params_from_query({"date": "undated"}).year == 0
