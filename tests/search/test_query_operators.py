"""The query language's operators through the search service on a real index:
fields, proximity, prefixes and pinyin (the page and the API are in tests/web)."""

import datetime as dt

import pytest
from django.utils import translation

from archive.models import Language, Source
from archive.search import expansion
from tests.factories import make_article, make_tag
from tests.processes import wait_for
from tests.search_helpers import find, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def sources():
    xinhua = Source.objects.create(name="新华社", name_en="Xinhua", slug="xinhua")
    cna = Source.objects.create(name="中央通訊社", name_en="Central News Agency", slug="cna")
    return xinhua, cna


def test_title_field_matches_the_title_only():
    in_title = make_article("稀土价格", "市场消息。")
    in_body = make_article("市场消息", "稀土价格上涨。")
    assert find("title:稀土") == [in_title.pk]
    assert find("稀土 -title:稀土") == [in_body.pk]
    english = make_article("Rare earth prices", "Markets moved.", language=Language.ENGLISH)
    make_article("Markets", "Rare earth prices moved.", language=Language.ENGLISH)
    assert find('title:"rare earth"') == [english.pk]
    assert find("标题：稀土") == [in_title.pk]  # the Chinese field name, full-width colon


def test_source_field_by_slug_or_name_in_either_script(sources):
    xinhua, cna = sources
    a = make_article("稀土", "稀土。", source=xinhua)
    b = make_article("稀土", "稀土。", source=cna, language=Language.TRADITIONAL)
    assert find("稀土 source:xinhua") == [a.pk]
    assert find("稀土 source:新华社") == find("稀土 source:新華社") == [a.pk]
    assert find("稀土 source:Central News Agency") == []  # spaces end the value...
    assert find('稀土 source:"Central News Agency"') == [b.pk]  # ...a phrase keeps them
    assert find("稀土 -source:xinhua") == [b.pk]


def test_unknown_source_or_topic_finds_nothing_and_says_so(sources):
    make_article("稀土", "稀土。", source=sources[0])
    with translation.override("en"):
        results = run("稀土 source:nowhere")
        assert results.total == 0 and "No source is called “nowhere”" in results.message
        assert "No topic is called" in run("topic:nothing-like-it").message


def test_topic_field_by_either_name_or_slug_and_merged_topics():
    economy = make_tag("economy", "经济", "Economy")
    old = make_tag("econ-old", "经济旧", "Old economy")
    a = make_article("稀土", "稀土。", tags=[economy])
    b = make_article("稀土", "稀土。", tags=[old])
    make_article("稀土", "稀土。")
    old.merged_into = economy
    old.save()
    from archive.search.indexer import rebuild

    rebuild()
    assert sorted(find("topic:economy")) == sorted([a.pk, b.pk])
    assert sorted(find("topic:經濟")) == sorted(find("topic:Economy")) == sorted([a.pk, b.pk])


def test_language_field():
    zh = make_article("稀土", "稀土。", language=Language.SIMPLIFIED)
    hant = make_article("稀土", "稀土。", language=Language.TRADITIONAL)
    en = make_article("Rare earth", "rare earth", language=Language.ENGLISH)
    assert sorted(find("lang:zh")) == sorted([zh.pk, hant.pk])
    assert find("lang:zh-Hant") == [hant.pk]
    assert find("lang:en") == [en.pk]
    assert sorted(find("-lang:en")) == sorted([zh.pk, hant.pk])
    with translation.override("en"):
        results = run("lang:fr")
        assert "“lang:” takes" in results.message and results.total == 0  # "fr" as text


def test_date_field_years_months_days_and_ranges():
    a = make_article("稀土", "稀土。", published=dt.date(2021, 3, 9))
    b = make_article("稀土", "稀土。", published=dt.date(2024, 5, 31))
    c = make_article("稀土", "稀土。", published=dt.date(2024, 6, 1))
    undated = make_article("稀土", "稀土。")
    assert find("date:2021") == [a.pk]
    assert find("date:2024-05") == [b.pk]
    assert find("date:2024-06-01") == [c.pk]
    assert find("date:2021..2024-05", sort="oldest") == [a.pk, b.pk]
    assert find("date:2024-05..", sort="oldest") == [b.pk, c.pk]
    assert find("date:..2023") == [a.pk]
    assert undated.pk in find("稀土 -date:2021..2030")
    with translation.override("en"):
        assert "“date:” takes" in run("稀土 date:2024-13").message


def test_proximity_in_chinese_counts_characters_in_any_order():
    near = make_article("稀土", "稀土高性能永磁材料。")  # 3 characters between
    reverse = make_article("永磁", "永磁材料离开稀土。")  # 4 between, the other order
    far = make_article("稀土", "稀土" + "产业发展" * 5 + "永磁。")  # 20 between
    assert sorted(find('"稀土 永磁"~4')) == sorted([near.pk, reverse.pk])
    assert find('"稀土 永磁"~3') == [near.pk]
    assert sorted(find('"稀土 永磁"~20')) == sorted([near.pk, reverse.pk, far.pk])
    assert find("稀土 NEAR/3 永磁") == [near.pk]


def test_proximity_in_english_counts_words_and_matches_inflections():
    near = make_article("Rates", "Interest rates rose.", language=Language.ENGLISH)
    reverse = make_article("Rates", "The rate of interest fell.", language=Language.ENGLISH)
    far = make_article(
        "Rates", "Interest in the project was high, and then rates rose.", language=Language.ENGLISH
    )
    assert sorted(find('"interest rates"~1')) == sorted([near.pk, reverse.pk])
    assert find('"interest rates"~0') == [near.pk]
    assert far.pk in find("interest NEAR/7 rates")
    assert far.pk not in find("interest NEAR/5 rates")


def test_proximity_of_three_words_needs_them_all_in_one_window():
    inside = make_article("A", "alpha beta gamma", language=Language.ENGLISH)
    apart = make_article("B", "alpha beta x x x x x x gamma", language=Language.ENGLISH)
    assert find('"alpha beta gamma"~2') == [inside.pk]
    assert sorted(find('"alpha beta gamma"~6')) == sorted([inside.pk, apart.pk])


def test_proximity_limits_and_malformed_proximity_are_notes_not_errors():
    article = make_article("Rates", "Interest rates rose.", language=Language.ENGLISH)
    with translation.override("en"):
        wide = run('"interest rates"~500')
        assert wide.total == 1 and "at most 50" in wide.message
        bare = run('"interest rates"~')
        assert bare.total == 1 and "need a number" in bare.message
        mixed = run('"稀土 rates"~3')
        assert "all Chinese or all English" in mixed.message
    assert find("interest NEAR/ rates") == [article.pk]


def test_prefix_expands_to_the_words_it_starts_with_the_most_frequent_first():
    economy = make_article("The economy", "The economy grew.", language=Language.ENGLISH)
    economic = make_article("Economic news", "Economic growth.", language=Language.ENGLISH)
    economies = make_article("Economies", "Economies of Asia.", language=Language.ENGLISH)
    make_article("Ecology", "Ecology matters.", language=Language.ENGLISH)
    assert sorted(find("econom*")) == sorted([economy.pk, economic.pk, economies.pk])
    results = run("econom*")
    typed, words, more = results.understood.prefixes[0]
    assert typed == "econom*" and more == 0
    # Shown as the words titles use, not as stems (economi, econom).
    assert "economic" in words and ({"economy", "economies"} & set(words))


def test_prefix_expansion_is_capped_with_and_n_more(monkeypatch):
    for word in ["market", "marketing", "markets", "marked", "marker"]:
        make_article(word, f"{word} report", language=Language.ENGLISH)
    monkeypatch.setattr(expansion, "MAX_PREFIX_WORDS", 2)
    results = run("mark*")
    _typed, words, more = results.understood.prefixes[0]
    assert len(words) == 2 and more >= 1
    with translation.override("en"):
        assert "most frequent words" in run("mark*").message


def test_one_letter_or_bare_star_or_chinese_star_are_read_with_a_note():
    article = make_article("E", "e", language=Language.ENGLISH)
    make_article("稀土", "稀土。")
    with translation.override("en"):
        assert "at least two letters" in run("e*").message
        assert find("e*") == [article.pk]
        assert "needs the start of an English word" in run("*").message
        assert "Chinese needs no" in run("稀*").message
    assert len(find("稀*")) == 1


def test_pinyin_finds_the_chinese_words_read_that_way_ranked_below_direct_matches():
    zh = make_article("包头稀土", "包头市的稀土产业。")
    latin = make_article("Baotou", "Baotou is a city.", language=Language.ENGLISH)
    assert find("xitu") == [zh.pk]
    assert find("xī tǔ") == find("xi1 tu3") == find("xi tu") == [zh.pk]
    assert find("Baotou") == [latin.pk, zh.pk]  # the word as typed ranks first
    results = run("xitu")
    assert results.understood.readings == [("xitu", ["稀土"])]
    assert results.understood.latin_only_q == '"xitu"'
    assert find('"xitu"') == []  # quoted: the Latin letters only


@pytest.mark.django_db(transaction=True)
def test_pinyin_after_an_edit_reads_the_held_tables_while_new_ones_build(monkeypatch):
    """On a large index a search typed in pinyin after an edit does not wait for the
    readings of every Chinese word: the suggestion tables' answer, and a word the edit
    brought is read once the tables have followed it (in the background)."""
    import threading

    from archive.search import pinyin, service, suggestions

    monkeypatch.setattr(suggestions, "INLINE_MAX_DOCUMENTS", 0)  # "large": build off-request
    monkeypatch.setattr(suggestions, "INLINE_BUILD_S", 0.0)
    monkeypatch.setattr(suggestions, "REBUILD_EVERY_S", 0.0)
    monkeypatch.setattr(suggestions, "_live", suggestions._Live())
    rare_earth = make_article("包头稀土", "包头市的稀土产业。")
    assert find("xitu") == [rare_earth.pk]  # no tables yet: the readings are read now
    wait_for(lambda: suggestions.tables() is not None, timeout=20, what="the first tables")
    built_in_request = []
    real_table = pinyin.PinyinTable

    class Counted(real_table):
        def __init__(self, vocabulary):
            if threading.current_thread() is threading.main_thread():
                built_in_request.append(1)
            super().__init__(vocabulary)

    monkeypatch.setattr(pinyin, "PinyinTable", Counted)
    monkeypatch.setattr(suggestions, "REBUILD_EVERY_S", 3600.0)  # the tables wait a while
    rare_metal = make_article("稀有金属", "稀有金属的产业。")
    assert find("xitu") == [rare_earth.pk]
    assert find("xiyoujinshu") == []  # 稀有金属 is new: not read yet
    assert built_in_request == []

    monkeypatch.setattr(suggestions, "REBUILD_EVERY_S", 0.0)  # now they follow

    def read_at_last():
        service._result_cache.clear()  # the same generation: answers are kept
        return find("xiyoujinshu") == [rare_metal.pk]

    wait_for(read_at_last, timeout=20, what="the tables to read 稀有金属")
    assert built_in_request == []


def test_pinyin_does_not_flood_english_words_that_are_also_readings():
    english = [
        make_article(f"Change {n}", "Climate change and change again.", language=Language.ENGLISH)
        for n in range(3)
    ]
    make_article("嫦娥", "嫦娥探月。")  # 嫦娥 reads chang'e
    assert sorted(find("change")) == sorted(a.pk for a in english)
    assert run("change").understood.readings == []


def test_only_what_could_be_pinyin_is_read_as_pinyin(monkeypatch):
    from archive.search import pinyin

    assert all(map(pinyin.could_be_reading, ["xitu", "baotou", "zhuangshuang", "china", "lve"]))
    assert not any(map(pinyin.could_be_reading, ["economy", "prices", "bank", "oil", "xitux"]))
    zh = make_article("稀土经济", "稀土经济发展。")
    make_article("Economy", "The economy grew.", language=Language.ENGLISH)
    reads, table = [], pinyin.table
    monkeypatch.setattr(pinyin, "table", lambda backend: reads.append(1) or table(backend))
    run("经济")
    run("economy")
    assert reads == []  # the vocabulary (all of it, on a cluster) was not needed
    assert find("xitu") == [zh.pk] and reads
