"""Suggestions as one types: words in either script, English words, pinyin, topics,
sources and titles, ranked by how many articles hold them, on a real index."""

import pytest
from django.utils import translation

from archive.models import Language, Source, Tag
from archive.search import suggestions
from archive.search.backend import SearchUnavailable
from archive.search.indexer import drain_queue
from archive.search.suggestions import MAX_LIMIT, Suggestion, suggest
from tests.factories import make_archive, make_article

pytestmark = pytest.mark.django_db


def texts(prefix: str, kind: str | None = None, **kwargs) -> list[str]:
    return [s.text for s in suggest(prefix, **kwargs) if kind is None or s.kind == kind]


@pytest.fixture
def archive():
    """make_archive, plus enough articles that words have different article counts."""
    data = make_archive()
    for n in range(3):
        make_article(f"稀土价格第{n}次上涨", "稀土永磁材料需求旺盛。", source=data["xinhua"])
    make_article("稀有金属", "稀有金属市场。", source=data["xinhua"])
    make_article(
        "臺灣經濟成長", "臺灣經濟今年成長。", language=Language.TRADITIONAL, source=data["mohw"]
    )
    for title in ("Economy grows", "Economic outlook", "The economy slows", "Economists worry"):
        make_article(
            title,
            f"{title}. The economy and economic policy.",
            language=Language.ENGLISH,
            source=data["reuters"],
        )
    drain_queue()
    return data


def test_suggest_chinese_prefix_in_either_script(archive):
    words = texts("稀", "word")
    assert words == ["稀土", "稀有金属"]  # in 1 + 3 articles, and in 1
    assert "稀" not in words  # one character alone is not offered
    # Traditional input finds the same words, shown in the reader's script.
    assert texts("臺", "word") == ["臺灣"]
    assert texts("台", "word") == ["台湾"]
    assert texts("成長", "word") == ["成長"] and texts("成", "word") == ["成长"]


def test_suggest_english_prefix_shows_real_words_not_stems(archive):
    # Indexed as the stems economi (4 articles), econom (4) and economist (1): each is
    # shown as the title word most used for it (economy: 2 titles, economic: 1).
    assert texts("econ", "word") == ["economy", "economic", "economists"]
    assert texts("economy", "topic") == ["Economy"]
    assert texts("slo", "word") == ["slows"]  # the stem slow, as titles write it
    assert texts("ECON", "word") == texts("econ", "word")
    assert texts("economis", "word") == ["economists"]


def test_suggest_pinyin_prefix_finds_chinese_words(archive):
    assert "稀土" in texts("xit", "word")
    assert "包头" in texts("bao", "word")
    assert "稀土" in texts("Xī tǔ", "word")
    assert texts("x", "word") == []  # one letter is not a reading yet


def test_suggest_topics_by_either_name_slug_or_pinyin(archive):
    found = suggest("econ")
    topic = next(s for s in found if s.kind == "topic")
    assert topic == Suggestion("Economy", "topic", "/search/?topic=economy")
    assert "经济" in texts("经", "topic")
    # A word and a topic of one name are both offered: one searches, one filters.
    both = [(s.kind, s.url) for s in suggest("经济") if s.text == "经济"]
    assert both == [("word", "/search/?q=%E7%BB%8F%E6%B5%8E"), ("topic", "/search/?topic=economy")]
    assert texts("jingji", "topic") == ["经济"]
    assert texts("jīng jì", "topic") == ["经济"]  # pinyin with tones and spaces
    with translation.override("en"):
        assert texts("health", "topic") == ["Health"]


def test_suggest_merged_topic_leads_to_the_kept_one(archive):
    alias = Tag.objects.create(
        name_zh="宏观经济", name_en="Macroeconomics", slug="macro", merged_into=archive["economy"]
    )
    assert alias.resolved() == archive["economy"]
    found = [s for s in suggest("宏观") if s.kind == "topic"]
    assert [s.url for s in found] == ["/search/?topic=economy"]


def test_suggest_sources_by_name_english_name_or_slug(archive):
    source = next(s for s in suggest("reu") if s.kind == "source")
    assert source == Suggestion("Reuters", "source", "/search/?source=reuters")
    assert texts("新华", "source") == ["新华社"]
    assert texts("xinh", "source") == ["Xinhua"]  # the English name that was typed
    assert texts("health", "source") == ["Ministry of Health"]  # a word of the name


def test_suggest_sources_ranked_by_article_count(archive):
    views = Source.objects.create(name="Reuters Breakingviews", slug="breakingviews")
    make_article("Rates", "Rates.", language=Language.ENGLISH, source=views)
    drain_queue()
    assert texts("reuters", "source") == ["Reuters", "Reuters Breakingviews"]  # 5 articles, 1


def test_suggest_titles_contain_the_prefix_in_either_script(archive):
    titles = texts("台湾", "title")
    assert titles == ["臺灣經濟成長"]  # a simplified prefix finds a traditional title
    hit = next(s for s in suggest("台湾") if s.kind == "title")
    assert hit.url.startswith("/articles/") and hit.url.endswith("/")
    # Latin letters match at word starts only.
    assert "Economy grows" in texts("grow", "title", limit=20)
    assert texts("rows", "title") == []


def test_suggest_words_ranked_by_article_count(archive):
    for _ in range(5):
        make_article("稀有动物", "稀有动物。")
    drain_queue()
    assert texts("稀", "word")[:2] == ["稀有动物", "稀土"]  # now 5 articles against 4


def test_suggest_limit_is_respected_and_capped(archive):
    for n in range(30):
        make_article(f"稀土{n:02d}号项目", f"稀土{n:02d}号项目开工。")
    drain_queue()
    assert len(suggest("稀", limit=3)) == 3
    assert len(suggest("稀", limit=MAX_LIMIT + 50)) <= MAX_LIMIT
    assert suggest("稀", limit=0) == []
    found = suggest("稀")
    assert len(found) == suggestions.DEFAULT_LIMIT
    assert len({s.text for s in found}) == len(found)  # no duplicates
    assert {s.kind for s in found} >= {"word", "title"}  # words, and a share of titles


def test_suggest_mixes_words_first_then_topics_sources_titles(archive):
    order = [s.kind for s in suggest("econ", limit=20)]
    assert order == sorted(order, key=suggestions.KINDS.index)
    assert order[0] == "word"


def test_suggest_multiword_prefix_completes_the_last_word(archive):
    assert "the economy" in texts("the econ", "word")


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        " ",
        "\x00\x01\x1f",
        "\ud800",
        "稀\ud800",
        "x" * 10_000,
        "稀" * 101,
        "*",
        "\\",
        "[(",
        "a" * 100,
        "\u202e稀",
        "\U0001f600",
        "ｅｃｏｎ",
    ],
)
def test_suggest_any_input_is_an_answer_never_an_error(archive, hostile):
    found = suggest(hostile)
    assert isinstance(found, list) and len(found) <= suggestions.DEFAULT_LIMIT
    assert all(s.kind in suggestions.KINDS and s.url.startswith("/") for s in found)


def test_suggest_control_characters_are_spaces_and_full_width_folds(archive):
    assert texts("稀\x00", "word") == texts("稀", "word")
    assert texts("ｅｃｏｎ", "word") == texts("econ", "word")
    assert suggest("") == [] and suggest("   ") == []


def test_suggest_without_an_index_is_unavailable(settings, tmp_path):
    settings.ARCHIVE_INDEX_DIR = tmp_path / "none"
    from haystack import connections

    settings.HAYSTACK_CONNECTIONS = {
        "default": {**settings.HAYSTACK_CONNECTIONS["default"], "PATH": str(tmp_path / "none")}
    }
    connections.reload("default")
    with pytest.raises(SearchUnavailable):
        suggest("稀")


def test_suggest_follows_the_index_generation(archive):
    assert texts("钕", "word") == []
    make_article("钕铁硼", "钕铁硼磁体。")
    drain_queue()
    assert "钕铁硼" in texts("钕", "word")


def test_suggest_a_word_extending_another_comes_after_the_others(archive):
    for n in range(3):
        make_article(f"系统性风险{n}", "系统性风险上升。")
        make_article(f"系统{n}", "系统升级。")
    make_article("系数", "系数。")
    drain_queue()
    # 系统 and 系统性 are in 3 articles each, 系数 in 1; the extension waits for 系数.
    words = texts("系", "word")
    assert words[0] == "系统" and words.index("系数") < words.index("系统性")


def test_suggest_leaves_out_terms_that_are_not_words(archive):
    make_article("Notes", "See economy.david and reurl.cc or x.", language=Language.ENGLISH)
    drain_queue()
    words = texts("e", "word", limit=20) + texts("r", "word", limit=20)
    assert not [w for w in words if "." in w]


def test_suggest_one_letter_is_not_pinyin_for_names_either(archive):
    assert "稀土" not in texts("x", "word")
    assert texts("j", "topic") == []  # 经济 reads jingji, but one letter is too little
    assert texts("ji", "topic") == ["经济"]


@pytest.mark.django_db(transaction=True)
def test_suggest_large_index_builds_in_the_background_and_answers_meanwhile(monkeypatch):
    monkeypatch.setattr(suggestions, "INLINE_MAX_DOCUMENTS", 0)  # "large": build off-request
    monkeypatch.setattr(suggestions, "INLINE_BUILD_S", 0.0)
    monkeypatch.setattr(suggestions, "REBUILD_EVERY_S", 0.0)
    monkeypatch.setattr(suggestions, "_live", suggestions._Live())
    make_article("稀土产业", "稀土。")
    drain_queue()
    assert suggest("稀") == []  # the first tables are not ready yet: nothing, not a wait
    assert _eventually(lambda: texts("稀", "word") == ["稀土"])
    make_article("稀有金属", "稀有金属。")
    drain_queue()
    assert texts("稀", "word") == ["稀土"]  # the previous tables answer while new ones build
    assert _eventually(lambda: texts("稀", "word") == ["稀土", "稀有金属"])


def _eventually(check, seconds: float = 20.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        suggestions.tables().clear_cache() if suggestions.tables() else None
        if check():
            return True
        time.sleep(0.05)
    return False
