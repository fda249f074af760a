"""Topic taxonomy and automatic topics."""

import pytest

from archive.ingest.topics import apply_auto_topics, ensure_taxonomy, taxonomy
from archive.models import Article, ArticleTag, Tag, TagExclusion, TagOrigin

pytestmark = pytest.mark.django_db


def make(title, body, **fields):
    return Article.objects.create(
        title=title,
        body=body,
        language=fields.pop("language", "zh-Hans"),
        external_id=title,
        **fields,
    )


def slugs(article):
    return set(article.tags.values_list("slug", flat=True))


def test_ensure_taxonomy_creates_bilingual_topics_once():
    ensure_taxonomy()
    count = Tag.objects.count()
    assert count == len(taxonomy()["topics"])
    magnets = Tag.objects.get(slug="permanent-magnets")
    assert (magnets.name_zh, magnets.name_en) == ("稀土永磁", "Permanent magnets")
    magnets.name_en = "Magnets (edited)"
    magnets.save()
    ensure_taxonomy()
    assert Tag.objects.count() == count
    assert Tag.objects.get(slug="permanent-magnets").name_en == "Magnets (edited)"


def test_ensure_taxonomy_does_not_resurrect_merged_topic():
    ensure_taxonomy()
    kept = Tag.objects.get(slug="rare-earths")
    Tag.objects.filter(slug="permanent-magnets").update(merged_into=kept)
    ensure_taxonomy()
    assert Tag.objects.get(slug="permanent-magnets").merged_into == kept


def test_traditional_and_simplified_get_the_same_topics():
    ensure_taxonomy()
    simplified = make(
        "包头稀土永磁电机项目开工", "稀土永磁电机产业园开工。储氢材料与稀土永磁并举。"
    )
    traditional = make(
        "包頭稀土永磁電機項目開工", "稀土永磁電機產業園開工。儲氫材料與稀土永磁並舉。"
    )
    apply_auto_topics([simplified, traditional])
    assert slugs(simplified) == slugs(traditional)
    assert {"permanent-magnets", "rare-earths", "baotou-inner-mongolia"} <= slugs(simplified)


def test_english_keywords_match_whole_words():
    ensure_taxonomy()
    article = make(
        "Rare earth permanent magnet output rises", "Permanent magnet makers said.", language="en"
    )
    other = make("Artful bankers", "An artful banking story about a sportsman.", language="en")
    apply_auto_topics([article, other])
    assert "permanent-magnets" in slugs(article)
    assert "sport" not in slugs(other) and "culture" not in slugs(other)


def test_apply_auto_topics_respects_editor_rows_and_exclusions():
    ensure_taxonomy()
    article = make("稀土永磁", "稀土永磁产业。")
    magnets = Tag.objects.get(slug="permanent-magnets")
    TagExclusion.objects.create(article=article, tag=magnets)
    sport = Tag.objects.get(slug="sport")
    ArticleTag.objects.create(article=article, tag=sport, origin=TagOrigin.EDITOR)
    apply_auto_topics([article])
    assert "permanent-magnets" not in slugs(article)
    assert "sport" in slugs(article)


def test_apply_auto_topics_removes_auto_topics_that_no_longer_match():
    ensure_taxonomy()
    article = make("稀土永磁", "稀土永磁产业。")
    apply_auto_topics([article])
    assert "permanent-magnets" in slugs(article)
    article.title, article.body = "体育新闻", "足球比赛，足球。"
    article.save()
    changed = apply_auto_topics([article])
    assert changed >= 2
    assert "permanent-magnets" not in slugs(article) and "sport" in slugs(article)


def test_apply_auto_topics_follows_merges():
    ensure_taxonomy()
    kept = Tag.objects.create(slug="magnets", name_zh="磁材", name_en="Magnets")
    Tag.objects.filter(slug="permanent-magnets").update(merged_into=kept)
    article = make("稀土永磁", "稀土永磁产业。")
    apply_auto_topics([article])
    assert "magnets" in slugs(article) and "permanent-magnets" not in slugs(article)


def test_editor_edited_keywords_are_used():
    ensure_taxonomy()
    Tag.objects.filter(slug="talent").update(keywords="院士")
    article = make("院士工作站揭牌", "院士工作站。")
    apply_auto_topics([article])
    assert "talent" in slugs(article)


def test_exclusion_survives_a_later_merge():
    ensure_taxonomy()
    article = make("稀土永磁", "稀土永磁产业。")
    magnets = Tag.objects.get(slug="permanent-magnets")
    TagExclusion.objects.create(article=article, tag=magnets)
    kept = Tag.objects.create(slug="magnets", name_zh="磁材", name_en="Magnets")
    Tag.objects.filter(pk=magnets.pk).update(merged_into=kept)
    apply_auto_topics([article])
    assert not ({"magnets", "permanent-magnets"} & slugs(article))
