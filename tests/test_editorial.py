"""Editors' decisions as plain functions: merges, renames, topic assignments."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from archive import editorial
from archive.models import (
    ArticleTag,
    GlossaryTerm,
    IndexTask,
    Source,
    Tag,
    TagExclusion,
    TagOrigin,
)
from tests.factories import make_article, make_tag, topics

pytestmark = pytest.mark.django_db


def queued() -> set[int]:
    ids = set(IndexTask.objects.values_list("article_id", flat=True))
    IndexTask.objects.all().delete()
    return ids


def test_add_topic_marks_rows_as_editor_and_lifts_removals():
    a, b = make_article(), make_article("包头")
    tag = make_tag("rare-earths")
    ArticleTag.objects.create(article=a, tag=tag, origin=TagOrigin.AUTO)
    TagExclusion.objects.create(article=b, tag=tag)
    queued()

    assert editorial.add_topic(articles=[a, b], tag=tag) == 2

    assert topics(a) == {"rare-earths": "editor"}
    assert topics(b) == {"rare-earths": "editor"}
    assert not TagExclusion.objects.exists()
    assert queued() == {a.pk, b.pk}


def test_add_topic_uses_the_topic_an_alias_was_merged_into():
    a = make_article()
    kept, alias = make_tag("kept"), make_tag("alias")
    editorial.merge_tags(keep=kept, merge=[alias])
    alias.refresh_from_db()

    editorial.add_topic(articles=[a], tag=alias)

    assert topics(a) == {"kept": "editor"}


def test_remove_topic_remembers_the_removal():
    a, b = make_article(), make_article("包头")
    tag = make_tag("economy")
    ArticleTag.objects.create(article=a, tag=tag, origin=TagOrigin.AUTO)
    queued()

    assert editorial.remove_topic(articles=[a, b], tag=tag) == 1

    assert topics(a) == {}
    assert set(TagExclusion.objects.values_list("article_id", "tag_id")) == {(a.pk, tag.pk)}
    assert queued() == {a.pk}
    # Removing twice keeps one exclusion.
    ArticleTag.objects.create(article=a, tag=tag, origin=TagOrigin.EDITOR)
    editorial.remove_topic(articles=[a], tag=tag)
    assert TagExclusion.objects.count() == 1


def test_merge_tags_moves_articles_and_keeps_alias():
    a, b, c = make_article(), make_article("二"), make_article("三")
    keep, dup, older = make_tag("rare-earths"), make_tag("rare-earth"), make_tag("re")
    older.merged_into = dup
    older.save()
    ArticleTag.objects.create(article=a, tag=keep, origin=TagOrigin.AUTO)
    ArticleTag.objects.create(article=a, tag=dup, origin=TagOrigin.EDITOR)
    ArticleTag.objects.create(article=b, tag=dup, origin=TagOrigin.AUTO)
    TagExclusion.objects.create(article=c, tag=dup)
    queued()

    assert editorial.merge_tags(keep=keep, merge=[keep, dup]) == 2

    assert topics(a) == {"rare-earths": "editor"}
    assert topics(b) == {"rare-earths": "auto"}
    assert list(TagExclusion.objects.values_list("article_id", "tag__slug")) == [
        (c.pk, "rare-earths")
    ]
    dup.refresh_from_db()
    older.refresh_from_db()
    assert dup.merged_into == keep and older.merged_into == keep
    assert older.resolved() == keep
    assert queued() == {a.pk, b.pk}


def test_merge_tags_keeps_the_removal_of_the_kept_topic():
    a, b = make_article(), make_article("二")
    keep, dup = make_tag("keep"), make_tag("dup")
    TagExclusion.objects.create(article=a, tag=keep)
    TagExclusion.objects.create(article=b, tag=keep)
    ArticleTag.objects.create(article=a, tag=dup, origin=TagOrigin.AUTO)
    ArticleTag.objects.create(article=b, tag=dup, origin=TagOrigin.EDITOR)

    editorial.merge_tags(keep=keep, merge=[dup])

    assert topics(a) == {}  # the editor removed "keep"; an automatic alias does not undo that
    assert topics(b) == {"keep": "editor"}  # an editor's own choice wins
    assert list(TagExclusion.objects.values_list("article_id", flat=True)) == [a.pk]


def test_merge_tags_refuses_to_keep_an_alias():
    keep, dup, other = make_tag("keep"), make_tag("dup"), make_tag("other")
    editorial.merge_tags(keep=keep, merge=[dup])
    dup.refresh_from_db()
    with pytest.raises(ValueError):
        editorial.merge_tags(keep=dup, merge=[other])


def test_rename_tag_requeues_its_articles_and_validates():
    a = make_article()
    tag = make_tag("economy", "经济", "Economy")
    make_tag("taiwan", "臺灣", "Taiwan")
    ArticleTag.objects.create(article=a, tag=tag)
    queued()

    editorial.rename_tag(tag=tag, name_zh="经济发展", name_en="Economic development")

    tag.refresh_from_db()
    assert (tag.name_zh, tag.name_en) == ("经济发展", "Economic development")
    assert queued() == {a.pk}
    with pytest.raises(ValidationError) as error:
        editorial.rename_tag(tag=tag, name_zh="台湾")
    assert "name_zh" in error.value.message_dict
    tag.refresh_from_db()
    assert tag.name_zh == "经济发展"


@pytest.mark.parametrize(
    ("name_zh", "name_en", "field"),
    [
        ("臺灣", "Formosa", "name_zh"),  # traditional spelling of another's simplified name
        ("台湾", "Formosa", "name_zh"),
        ("福尔摩沙", " TAIWAN ", "name_en"),  # case and spacing
        ("ＴＡＩＷＡＮ", "Formosa", "name_zh"),  # full-width letters: another's English name
    ],
)
def test_tag_clean_rejects_names_that_fold_to_another(name_zh, name_en, field):
    make_tag("taiwan", "台湾", "Taiwan")
    tag = Tag(slug="new", name_zh=name_zh, name_en=name_en)
    with pytest.raises(ValidationError) as error:
        tag.full_clean()
    assert field in error.value.message_dict


def test_tag_clean_accepts_its_own_names():
    tag = make_tag("taiwan", "台湾", "Taiwan")
    tag.name_zh = "臺灣"
    tag.full_clean()
    assert tag.name_zh == "臺灣"


def test_merge_sources_moves_articles_but_not_duplicates():
    keep = Source.objects.create(name="新华社", slug="xinhua")
    dup = Source.objects.create(name="新華社", slug="xinhua-2")
    a = make_article(source=dup, external_id="x1")
    b = make_article(source=dup, external_id="x2")
    c = make_article(source=keep, external_id="x2")
    queued()

    assert editorial.merge_sources(keep=keep, merge=[dup]) == 1

    a.refresh_from_db()
    b.refresh_from_db()
    assert a.source == keep and b.source == dup
    assert set(keep.articles.all()) == {a, c}
    dup.refresh_from_db()
    assert dup.merged_into == keep and dup.resolved() == keep
    assert queued() == {a.pk}


@pytest.mark.parametrize(
    ("zh", "en", "field"),
    [
        ("rare earth", "rare earth", "zh"),
        ("稀土 永磁", "rare-earth magnets", "zh"),  # two words: search expands one run only
        ("5G网络", "5G network", "zh"),
        ("稀土", "稀土", "en"),
        ("稀土", "   ", "en"),
        ("稀土", "--", "en"),
        ("稀土", "Rare  Earths", "zh"),  # same pair after folding case and spaces
        ("稀土", "rare earths", "zh"),
    ],
)
def test_glossary_clean_rejects_bad_pairs(zh, en, field):
    GlossaryTerm.objects.create(zh="稀土", en="rare earths")
    term = GlossaryTerm(zh=zh, en=en)
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert field in error.value.message_dict


def test_glossary_clean_normalizes_and_accepts_a_traditional_term():
    term = GlossaryTerm(zh=" 稀土永磁 ", en="ｒａｒｅ-earth  magnets")
    term.full_clean()
    assert (term.zh, term.en) == ("稀土永磁", "rare-earth magnets")
    GlossaryTerm(zh="衛生福利部", en="Ministry of Health and Welfare").full_clean()


def test_editors_group_has_curation_but_not_article_deletion():
    group = editorial.ensure_editors_group()
    editorial.ensure_editors_group()  # idempotent
    names = set(group.permissions.values_list("codename", flat=True))
    assert {"change_tag", "change_source", "add_glossaryterm", "add_articletag"} <= names
    assert "delete_article" not in names
    assert Group.objects.filter(name="Editors").count() == 1
