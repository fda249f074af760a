"""Search finds exactly what readers typed, in either script, and ranks sensibly."""

import datetime as dt

import pytest

from archive.models import Language, Source
from tests.factories import make_article
from tests.search_helpers import find, run

pytestmark = pytest.mark.django_db


def test_search_chinese_phrase_found_across_scripts():
    simp = make_article("香港政府公布房屋政策", "香港政府今天公布新的房屋政策。")
    trad = make_article(
        "香港政府公佈房屋政策", "香港政府今天公佈新的房屋政策。", language=Language.TRADITIONAL
    )
    make_article("其他新闻", "与房屋无关的内容。")
    assert set(find('"香港政府"')) == {simp.pk, trad.pk}
    assert set(find("公佈")) == {simp.pk, trad.pk}


def test_search_traditional_and_simplified_are_the_same():
    a = make_article(
        "臥龍保護區", "臺灣的研究人員在臥龍觀察大熊貓。", language=Language.TRADITIONAL
    )
    b = make_article("卧龙", "台湾游客来到卧龙。")
    assert set(find("卧龙")) == {a.pk, b.pk}
    assert set(find("臥龍")) == {a.pk, b.pk}
    assert set(find("臺灣")) == {a.pk, b.pk}
    assert set(find("台湾")) == {a.pk, b.pk}


def test_search_english_inflections_and_phrase():
    a = make_article(
        "Magnets for motors",
        "Permanent magnets are used in housing policy debates.",
        language=Language.ENGLISH,
    )
    b = make_article("A magnet", "One policy on housing.", language=Language.ENGLISH)
    assert set(find("magnet")) == {a.pk, b.pk}
    assert set(find("magnets")) == {a.pk, b.pk}
    assert find('"housing policy"') == [a.pk]


def test_search_single_character_and_substring():
    a = make_article("港口", "香港的港口很忙。")
    b = make_article("福利院", "儿童福利院开放。")
    c = make_article("无关", "今天天气很好。")
    assert find("港") == [a.pk]
    assert find("福利") == [b.pk]  # inside the word 福利院
    assert find("天气") == [c.pk]
    assert find("气很") == [c.pk]  # across two words: 天气 | 很好
    assert find("港福") == []


def test_search_compound_does_not_match_distant_parts():
    near = make_article("新能源汽车销量", "新能源汽车销量增长。")
    far = make_article("新能源", "新能源发展很快。另外，汽车出口也在增长。")
    assert find("新能源汽车") == [near.pk]
    assert set(find("新能源 汽车")) == {near.pk, far.pk}


def test_search_exclusion_and_or():
    a = make_article("稀土", "包头稀土产业")
    b = make_article("钢铁", "包头钢铁产业")
    c = make_article("煤炭", "鄂尔多斯煤炭")
    assert find("包头 -钢铁") == [a.pk]
    assert set(find("稀土 OR 煤炭")) == {a.pk, c.pk}
    assert b.pk in find("包头")


def test_search_title_match_ranks_above_body_match():
    body_only = make_article("经济新闻", "报道提到稀土。", published=dt.date(2025, 1, 2))
    title = make_article("稀土产业发展", "产业发展。", published=dt.date(2024, 1, 1))
    assert find("稀土") == [title.pk, body_only.pk]


def test_search_exact_phrase_ranks_above_scattered_words():
    scattered = make_article(
        "Notes",
        "Policy matters. Elsewhere, housing is discussed at length.",
        language=Language.ENGLISH,
    )
    phrase = make_article("Notes", "The housing policy was announced.", language=Language.ENGLISH)
    assert find("housing policy") == [phrase.pk, scattered.pk]


def test_search_mixed_chinese_and_english():
    a = make_article("5G网络", "华为发布5G网络设备 in Shenzhen.")
    make_article("网络", "网络安全")
    assert find("5G 网络") == [a.pk]
    assert find("Shenzhen 网络") == [a.pk]


def test_search_empty_query_browses_newest_first():
    old = make_article("旧", "旧文章", published=dt.date(2020, 1, 1))
    new = make_article("新", "新文章", published=dt.date(2025, 1, 1))
    undated = make_article("无日期", "无日期文章")
    assert find("") == [new.pk, old.pk, undated.pk]
    assert find("", sort="oldest") == [old.pk, new.pk, undated.pk]


def test_search_facet_counts_keep_multiword_source_whole():
    scmp = Source.objects.create(name="South China Morning Post", slug="scmp")
    other = Source.objects.create(name="China Daily", slug="china-daily")
    for i in range(3):
        make_article(f"Post {i}", "China trade news", language=Language.ENGLISH, source=scmp)
    make_article("Daily", "China trade news", language=Language.ENGLISH, source=other)
    results = run("china")
    sources = {fv.value: (fv.label, fv.count) for fv in results.facets["source"]}
    assert sources == {"scmp": ("South China Morning Post", 3), "china-daily": ("China Daily", 1)}
    narrowed = run("china", sources=["scmp"])
    assert narrowed.total == 3
    # The source facet still offers the other value, to OR it in.
    assert {fv.value: fv.count for fv in narrowed.facets["source"]} == {"scmp": 3, "china-daily": 1}
    assert run("china", sources=["scmp", "china-daily"]).total == 4


def test_related_articles_share_rare_words():
    base = make_article("包头稀土永磁产业", "包头稀土永磁电机产业集群发展，钕铁硼产能扩大。")
    near = make_article("稀土永磁", "钕铁硼永磁电机在包头投产。")
    make_article("天气", "北京今天晴，气温回升。")
    from archive.search.indexer import drain_queue
    from archive.search.service import related_articles

    drain_queue()
    related = related_articles(base)
    assert related and related[0].pk == near.pk
    assert base.pk not in [a.pk for a in related]


def test_search_date_facets_years_months_and_undated():
    make_article("稀土一", "稀土", published=dt.date(2024, 3, 1))
    make_article("稀土二", "稀土", published=dt.date(2025, 3, 1))
    make_article("稀土三", "稀土", published=dt.date(2025, 4, 1))
    make_article("稀土四", "稀土")
    years = {fv.value: fv.count for fv in run("稀土").facets["date"]}
    assert years == {"2024": 1, "2025": 2, "undated": 1}
    months = run("稀土", year=2025).facets["date"]
    assert {fv.value: fv.count for fv in months if fv.value != "2025"} == {
        "2025-03": 1,
        "2025-04": 1,
    }
    assert run("稀土", year=2025, month=4).total == 1
    assert run("稀土", year=0).total == 1
    assert run("稀土", date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 3, 31)).total == 1


def test_hyphenated_english_is_found_by_its_parts_and_as_written():
    based = make_article(
        "Shanghai-based traders", "Traders in Shanghai-based firms.", language="en"
    )
    rare = make_article("Rare-earth magnets", "A rare-earth plant.", language="en")
    vote = make_article("Re-election bid", "She seeks re-election.", language="en")
    assert find("shanghai") == [based.pk]
    assert find("based") == [based.pk]
    assert find('"rare earth"') == [rare.pk]
    assert find("rare-earth") == [rare.pk]
    assert find("election") == [vote.pk]
    assert find("re-election") == [vote.pk]
    hit = run("shanghai").hits[0]
    assert "<mark>Shanghai</mark>-based" in hit.title_html
