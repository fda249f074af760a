"""Whatever a reader types, search answers: malformed syntax is literal text."""

import pytest
from django.http import QueryDict
from django.utils import translation

from archive.models import GlossaryTerm, Language
from archive.search.service import SearchParamError, SearchParams, params_from_query, search
from tests.factories import make_article
from tests.search_helpers import find, run

pytestmark = pytest.mark.django_db

# (query, what it finds: the article about 经济改革, nothing, or everything like an empty box)
MALFORMED = [
    ('"经济 改革', "reform"),
    ("((经济 OR 改革", "reform"),
    (")))", "all"),
    ("OR", "all"),
    ("经济 OR", "reform"),
    ("- -- -", "all"),
    ("title:* OR django_ct:*", "none"),
    ("source:Reuters", "none"),  # a filter on a source the archive does not have
    ("sauce:Reuters", "none"),  # an unknown field name is text: "sauce" is in no article
    ("sources:reuters", "reform"),  # no such field: the words "sources reuters"
    ("published:[* TO *]", "none"),
    ("economicgrowthpolicies~9", "none"),
    ("*", "all"),
    ("eco*", "none"),
    ("(" * 3000, "all"),
    ("经济\x00改革", "reform"),
    ("\u202e\u200b经济", "reform"),
    ("!!!???...", "all"),
    ("经" * 5000, "none"),
    ('"', "all"),
    ('""', "all"),
    ("“经济”", "reform"),
    ("经济 -天气", "reform"),
    ("经济 OR 天气", "all"),
]


@pytest.mark.parametrize(("q", "finds"), MALFORMED)
def test_search_malformed_query_is_read_as_literal_words(q, finds):
    reform = make_article("经济改革", "经济改革继续推进。source reuters")
    weather = make_article("天气预报", "明天有雨。", language=Language.SIMPLIFIED)
    expected = {"reform": {reform.pk}, "none": set(), "all": {reform.pk, weather.pk}}[finds]
    assert set(find(q)) == expected


def test_search_syntax_other_than_the_operators_is_literal_text():
    from archive.models import Source

    reuters = Source.objects.create(name="Reuters", slug="reuters")
    en = make_article("Reuters report", "source reuters wrote this", language=Language.ENGLISH)
    markets = make_article("Markets", "Stocks fell.", language=Language.ENGLISH, source=reuters)
    zh = make_article("经济改革", "经济改革继续推进。")
    make_article("改革", "只有改革。")
    assert find("source:Reuters") == [markets.pk]  # the field filters on the source
    assert find("source reuters") == [en.pk]  # the words
    assert find('"经济 改革') == find("经济 改革") == [zh.pk]
    assert find("经济 OR") == find("经济") == [zh.pk]


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


def test_params_read_repeated_and_aliased_names_as_links_write_them():
    query = QueryDict("source=a&source=b,c&lang=en&language=zh-Hans&page=2&page=3&start=2024-01-01")
    params = params_from_query(query)
    assert params.sources == ["a", "b", "c"]
    assert params.languages == ["en", "zh-Hans"]
    assert params.page == 3  # a repeated single value: the last one
    assert str(params.date_from) == "2024-01-01"
    both = params_from_query(QueryDict("date_from=2024-02-01&start=2024-01-01"))
    assert str(both.date_from) == "2024-02-01"  # the parameter's own name wins over its alias


@translation.override("en")
def test_the_first_problem_is_the_message():
    with pytest.raises(SearchParamError, match="“page” must be between 1 and 10000"):
        params_from_query({"page": "0"})
    with pytest.raises(SearchParamError, match="A month needs a year"):
        params_from_query({"month": "3"})
    with pytest.raises(SearchParamError, match="start date is after the end date"):
        params_from_query({"date_from": "2025-01-02", "date_to": "2025-01-01"})


def test_an_unknown_one_letter_word_finds_nothing_without_an_error():
    make_article("经济", "经济")
    assert run("q").total == 0
    assert run("S").suggestion is None
