"""Editors' decisions: merging, renaming and assigning topics and sources.

Plain functions callable without a request (the admin's forms and actions call
them). Each runs in one transaction and queues the articles whose search
documents change; the index itself is only written by the indexer process.
Bulk queryset operations skip model signals, so every function here calls
``archive.search.queue.enqueue`` itself.
"""

from collections.abc import Iterable, Iterator

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from archive.models import Article, ArticleTag, Source, Tag, TagExclusion, TagOrigin
from archive.search.queue import enqueue

EDITORS_GROUP = "Editors"

#: What the "Editors" group may do: curate topics, sources, the glossary and
#: article topics. No ``delete_article`` (nor deleting topics or sources).
EDITOR_PERMISSIONS = (
    "view_article",
    "change_article",
    "view_articletag",
    "add_articletag",
    "change_articletag",
    "delete_articletag",
    "view_tagexclusion",
    "add_tagexclusion",
    "change_tagexclusion",
    "delete_tagexclusion",
    "view_tag",
    "add_tag",
    "change_tag",
    "view_source",
    "add_source",
    "change_source",
    "view_glossaryterm",
    "add_glossaryterm",
    "change_glossaryterm",
    "delete_glossaryterm",
    "view_indextask",
)


def _ids(articles: Iterable[Article] | Iterable[int]) -> list[int]:
    return sorted({a if isinstance(a, int) else a.pk for a in articles})


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    """Slices of ``ids`` small enough for an ``IN (...)`` on every database."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _check_merge(keep, merge: Iterable) -> list:
    others = [m for m in merge if m.pk != keep.pk]
    if keep.merged_into_id:
        raise ValueError(f"{keep} is itself merged into another; keep that one instead.")
    return others


@transaction.atomic
def merge_tags(*, keep: Tag, merge: Iterable[Tag]) -> int:
    """Move every article of ``merge`` to ``keep``; the merged topics stay as aliases.

    Editors' decisions move too: an editor-assigned topic stays editor-assigned;
    a removal (TagExclusion) of a merged topic becomes a removal of the kept
    one, unless the article keeps that topic anyway; and an automatic merged
    topic is not given to an article the editor removed the kept one from.
    Returns how many articles changed.
    """
    others = _check_merge(keep, merge)
    if not others:
        return 0
    other_ids = [t.pk for t in others]
    rows = ArticleTag.objects.filter(tag_id__in=other_ids)
    origins: dict[int, str] = {}
    for article_id, origin in rows.values_list("article_id", "origin"):
        if origins.get(article_id) != TagOrigin.EDITOR:
            origins[article_id] = origin
    has_keep = set(ArticleTag.objects.filter(tag=keep).values_list("article_id", flat=True))
    keep_excluded = set(TagExclusion.objects.filter(tag=keep).values_list("article_id", flat=True))
    by_editor = [pk for pk, origin in origins.items() if origin == TagOrigin.EDITOR]
    new_rows = [
        ArticleTag(article_id=pk, tag=keep, origin=origins[pk])
        for pk in sorted(origins)
        if pk not in has_keep and (pk not in keep_excluded or pk in by_editor)
    ]
    merged_excluded = set(
        TagExclusion.objects.filter(tag_id__in=other_ids).values_list("article_id", flat=True)
    )
    gets_keep = has_keep | {row.article_id for row in new_rows}

    rows.delete()
    TagExclusion.objects.filter(tag_id__in=other_ids).delete()
    for chunk in _chunks(by_editor):
        ArticleTag.objects.filter(tag=keep, article_id__in=chunk).update(origin=TagOrigin.EDITOR)
    for chunk in _chunks(sorted(keep_excluded & gets_keep)):
        TagExclusion.objects.filter(tag=keep, article_id__in=chunk).delete()
    ArticleTag.objects.bulk_create(new_rows, batch_size=500)
    TagExclusion.objects.bulk_create(
        [
            TagExclusion(article_id=pk, tag=keep)
            for pk in sorted(merged_excluded - gets_keep - keep_excluded)
        ],
        batch_size=500,
    )
    Tag.objects.filter(Q(pk__in=other_ids) | Q(merged_into_id__in=other_ids)).update(
        merged_into=keep
    )
    enqueue(origins)
    return len(origins)


@transaction.atomic
def rename_tag(
    *, tag: Tag, name_zh: str | None = None, name_en: str | None = None, slug: str | None = None
) -> Tag:
    """Rename a topic (validated like the admin form); its articles are re-indexed."""
    if name_zh is not None:
        tag.name_zh = name_zh
    if name_en is not None:
        tag.name_en = name_en
    if slug is not None:
        tag.slug = slug
    tag.full_clean()
    tag.save()  # the post_save signal queues the topic's articles
    return tag


@transaction.atomic
def merge_sources(*, keep: Source, merge: Iterable[Source]) -> int:
    """Move the articles of ``merge`` to ``keep``; merged sources stay as aliases.

    An article whose external id the kept source already has is a duplicate
    and stays where it is (it is counted as not moved). Returns how many
    articles moved.
    """
    others = _check_merge(keep, merge)
    if not others:
        return 0
    other_ids = [s.pk for s in others]
    movable = Article.objects.filter(source_id__in=other_ids).exclude(
        external_id__in=keep.articles.values("external_id")
    )
    # Two merged sources may share an external id too: move only the first.
    moved, seen = [], set()
    for pk, external_id in movable.order_by("pk").values_list("pk", "external_id"):
        if external_id not in seen:
            seen.add(external_id)
            moved.append(pk)
    for chunk in _chunks(moved):
        Article.objects.filter(pk__in=chunk).update(source=keep, updated_at=timezone.now())
    Source.objects.filter(Q(pk__in=other_ids) | Q(merged_into_id__in=other_ids)).update(
        merged_into=keep
    )
    enqueue(moved)
    return len(moved)


@transaction.atomic
def add_topic(*, articles: Iterable[Article] | Iterable[int], tag: Tag) -> int:
    """An editor gives these articles a topic; returns how many articles changed.

    Rows become origin=editor (an automatic row is confirmed as the editor's),
    and an earlier removal of that topic is lifted.
    """
    tag = tag.resolved()
    changed: list[int] = []
    for chunk in _chunks(_ids(articles)):
        existing = ArticleTag.objects.filter(tag=tag, article_id__in=chunk)
        origins = dict(existing.values_list("article_id", "origin"))
        confirmed = [pk for pk, origin in origins.items() if origin != TagOrigin.EDITOR]
        existing.filter(article_id__in=confirmed).update(origin=TagOrigin.EDITOR)
        added = [pk for pk in chunk if pk not in origins]
        ArticleTag.objects.bulk_create(
            [ArticleTag(article_id=pk, tag=tag, origin=TagOrigin.EDITOR) for pk in added]
        )
        TagExclusion.objects.filter(tag=tag, article_id__in=chunk).delete()
        changed += added + confirmed
    enqueue(changed)
    return len(changed)


@transaction.atomic
def remove_topic(*, articles: Iterable[Article] | Iterable[int], tag: Tag) -> int:
    """An editor takes a topic off these articles; returns how many lost it.

    Each removal is remembered (TagExclusion), so automatic tagging and
    reloads never put the topic back.
    """
    tag = tag.resolved()
    removed: list[int] = []
    for chunk in _chunks(_ids(articles)):
        rows = ArticleTag.objects.filter(tag=tag, article_id__in=chunk)
        had = sorted(set(rows.values_list("article_id", flat=True)))
        rows.delete()
        exclude_topic(articles=had, tag=tag)
        removed += had
    enqueue(removed)
    return len(removed)


def exclude_topic(*, articles: Iterable[Article] | Iterable[int], tag: Tag) -> None:
    """Remember that an editor removed ``tag`` from these articles."""
    for chunk in _chunks(_ids(articles)):
        already = set(
            TagExclusion.objects.filter(tag=tag, article_id__in=chunk).values_list(
                "article_id", flat=True
            )
        )
        TagExclusion.objects.bulk_create(
            [TagExclusion(article_id=pk, tag=tag) for pk in chunk if pk not in already]
        )


@transaction.atomic
def retag(*, articles: Iterable[Article] | Iterable[int]) -> int:
    """Re-run automatic tagging on these articles (editors' decisions are kept).

    Calls the ingest helper's ``archive.ingest.topics.apply_auto_topics``, which adds
    and removes only automatic rows and respects TagExclusions. Returns what it
    returns (how many topic assignments changed).
    """
    from archive.ingest.topics import apply_auto_topics

    changed = 0
    for chunk in _chunks(_ids(articles)):
        changed += apply_auto_topics(Article.objects.filter(pk__in=chunk))
        enqueue(chunk)
    return changed


def ensure_editors_group() -> Group:
    """Create or update the "Editors" group with exactly EDITOR_PERMISSIONS."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    create_permissions(apps.get_app_config("archive"), verbosity=0)
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label="archive", codename__in=EDITOR_PERMISSIONS
    )
    group.permissions.set(permissions)
    return group


def editors_group_after_migrate(sender, **kwargs) -> None:
    """``post_migrate`` receiver (connected in ``apps.py``): keep the Editors group current."""
    ensure_editors_group()
