"""archive.web.browse: the counts, date archive and reading the reader pages show."""

from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache

from archive.models import Article, ArticleTag, Language, Source, Tag
from archive.web import browse
from tests.factories import numbered_article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_topic_and_source_counts_skip_empty_and_merged_ones_biggest_first():
    xinhua = Source.objects.create(name="新华社", slug="xinhua")
    cctv = Source.objects.create(name="央视网", slug="cctv")
    old = Source.objects.create(name="旧名", slug="old", merged_into=xinhua)
    Source.objects.create(name="空", slug="empty")
    economy = Tag.objects.create(name_zh="经济", name_en="Economy", slug="economy")
    health = Tag.objects.create(name_zh="卫生", name_en="Health", slug="health")
    Tag.objects.create(name_zh="无", name_en="None", slug="unused")
    for n in range(3):
        a = numbered_article(n, source=xinhua)
        ArticleTag.objects.create(article=a, tag=economy)
    ArticleTag.objects.create(article=numbered_article(3, source=cctv), tag=health)
    numbered_article(4, source=old)
    assert [(s.slug, s.count) for s in browse.source_counts()] == [("xinhua", 3), ("cctv", 1)]
    assert [(t.slug, t.count) for t in browse.topic_counts()] == [("economy", 3), ("health", 1)]
    assert [t.slug for t in browse.topic_counts(limit=1)] == ["economy"]


def test_language_counts_most_common_first_with_labels():
    numbered_article(1)
    numbered_article(2)
    numbered_article(3, language=Language.ENGLISH)
    counts = browse.language_counts(articles=Article.objects.all())
    assert [(code, n) for code, _label, n in counts] == [("zh-Hans", 2), ("en", 1)]


def test_date_archive_groups_by_month_in_the_archive_time_zone():
    # 20:00 UTC on 31 January is already 1 February in Shanghai (the archive's zone).
    numbered_article(1, published_at=datetime(2025, 1, 31, 20, 0, tzinfo=UTC))
    numbered_article(2, published_at=datetime(2025, 1, 15, tzinfo=UTC))
    numbered_article(3, published_at=datetime(2024, 12, 1, 12, 0, tzinfo=UTC))
    numbered_article(4, published_at=None)
    years = browse.date_archive()
    assert [(y.year, y.count) for y in years] == [(2025, 2), (2024, 1)]
    assert [(m.month, m.count) for m in years[0].months] == [
        (date(2025, 2, 1), 1),
        (date(2025, 1, 1), 1),
    ]


def test_month_range_covers_december_and_year_one():
    start, end = browse.month_range(year=2024, month=12)
    assert (start.year, start.month, end.year, end.month) == (2024, 12, 2025, 1)
    start, end = browse.month_range(year=1)
    assert start == browse.EARLIEST and end.year == 2


def test_articles_between_uses_the_bounds_it_is_given():
    inside = numbered_article(1, published_at=datetime(2025, 3, 1, tzinfo=UTC))
    numbered_article(2, published_at=datetime(2025, 4, 1, tzinfo=UTC))
    start, end = browse.month_range(year=2025, month=3)
    assert list(browse.articles_between(start=start, end=end)) == [inside]


def test_article_reading_converts_between_scripts_only_when_asked():
    simplified = numbered_article(1, title="经济发展", body="国家经济")
    reading = browse.article_reading(article=simplified, script="hant")
    assert (reading.title, reading.paragraphs, reading.lang) == (
        "經濟發展",
        ["國家經濟"],
        "zh-Hant",
    )
    assert reading.converted and reading.script == "hant"
    same = browse.article_reading(article=simplified, script="hans")
    assert same.title == "经济发展" and not same.converted and same.lang == "zh-Hans"
    english = numbered_article(2, title="Economy", body="Text", language=Language.ENGLISH)
    assert not browse.article_reading(article=english, script="hant").converted


def test_home_summary_counts_are_cached_but_names_read_fresh():
    tag = Tag.objects.create(name_zh="经济", name_en="Economy", slug="economy")
    ArticleTag.objects.create(article=numbered_article(1), tag=tag)
    first = browse.home_summary()
    assert first["total"] == 1 and [t.count for t in first["topics"]] == [1]
    Tag.objects.filter(pk=tag.pk).update(name_zh="经济新闻")
    again = browse.home_summary()
    assert [t.name_zh for t in again["topics"]] == ["经济新闻"]
    ArticleTag.objects.create(article=numbered_article(2), tag=tag)  # the archive changed
    assert browse.home_summary()["topics"][0].count == 2
