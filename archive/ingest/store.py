"""Parsed articles into the database: sources, natural keys, change and duplicate detection."""

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from archive.ingest.metadata import ascii_slug, lookup_source
from archive.ingest.readers import ParsedArticle
from archive.ingest.topics import ensure_taxonomy
from archive.models import Article, Source
from archive.text import normalize

CREATED, UPDATED, UNCHANGED, DUPLICATE, FAILED = (
    "created",
    "updated",
    "unchanged",
    "duplicate",
    "failed",
)
STATUSES = (CREATED, UPDATED, UNCHANGED, DUPLICATE, FAILED)
FIELDS = (
    "title",
    "subtitle",
    "body",
    "language",
    "published_at",
    "date_precision",
    "source_id",
    "original_source",
    "authors",
    "editors",
    "url",
    "source_file",
    "fingerprint",
    "raw_content",
    "quality_notes",
)


@dataclass
class StoreResult:
    status: str
    article: Article | None = None
    detail: str = ""


def ensure_topics() -> None:
    """Create the taxonomy's missing topics; another loader doing the same at that moment
    (two loaders started together on an empty archive) is not an error."""
    try:
        with transaction.atomic():
            ensure_taxonomy()
    except IntegrityError:
        ensure_taxonomy()


def fingerprint(*, title: str, body: str) -> str:
    """SHA-256 of the normalized title and body."""
    text = (
        normalize(title).strip()
        + "\n"
        + "\n".join(line.strip() for line in normalize(body).split("\n") if line.strip())
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unique_slug(base: str) -> str:
    slug, number = base, 2
    while Source.objects.filter(slug=slug).exists():
        slug = f"{base[:190]}-{number}"
        number += 1
    return slug


def source_for(name: str, *, name_en: str = "", create: bool = True) -> Source | None:
    """The Source for a publisher name, following editors' merges; created when new."""
    name = (name or "").strip()[:200]
    if not name:
        return None
    known = lookup_source(name)
    if known:
        name, name_en = known.name, known.name_en or name_en
    source = Source.objects.filter(name=name).first()
    if source is None:
        if not create:
            return None
        source = Source.objects.create(
            name=name,
            name_en=(name_en or "")[:200],
            domain=known.domain if known else "",
            homepage=f"https://{known.domain}/" if known and known.domain else "",
            slug=_unique_slug(ascii_slug(name_en or name if name.isascii() else name)),
        )
    return source.resolved()


def _aliases(source: Source | None) -> Q:
    if source is None:
        return Q(source__isnull=True)
    ids = {source.pk}
    frontier = [source.pk]
    while frontier:
        frontier = list(
            Source.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.update(frontier)
    return Q(source_id__in=ids)


def find_existing(*, source: Source | None, external_id: str, source_file: str) -> Article | None:
    """The article a record was loaded into before, even if its source was renamed or merged."""
    same_key = Article.objects.filter(external_id=external_id)
    article = same_key.filter(_aliases(source)).first()
    if article is None and source_file:
        article = same_key.filter(source_file=source_file).first()
    return article


def find_same_file(
    *, earlier_ids: Sequence[str], source_file: str, fingerprint: str
) -> Article | None:
    """The article this file was loaded into under an earlier id (such as its bare name).

    It counts as the same file when the stored file path is this file, or when the
    stored file is gone and the text is the same; a same-named file elsewhere is not.
    """
    if not earlier_ids or not source_file:
        return None
    here = os.path.realpath(source_file)
    fallback = None
    for article in Article.objects.filter(external_id__in=earlier_ids).order_by("pk"):
        stored = article.source_file
        if stored and os.path.realpath(stored) == here:
            return article
        if fallback is None and article.fingerprint == fingerprint:
            if not (stored and os.path.lexists(stored)):
                fallback = article
    return fallback


def article_values(
    *, parsed: ParsedArticle, source: Source | None, source_file: str, raw_content: str
) -> dict:
    return {
        "title": parsed.title[:500],
        "subtitle": parsed.subtitle[:500],
        "body": parsed.body,
        "language": parsed.language,
        "published_at": parsed.published_at,
        "date_precision": parsed.date_precision if parsed.published_at else "",
        "source_id": source.pk if source else None,
        "original_source": parsed.original_source[:200],
        "authors": parsed.authors,
        "editors": parsed.editors,
        "url": parsed.url[:1000],
        "source_file": source_file[:500],
        "fingerprint": fingerprint(title=parsed.title, body=parsed.body),
        "raw_content": raw_content,
        "quality_notes": parsed.notes,
    }


def changed_fields(article: Article, values: dict) -> list[str]:
    return [name for name, value in values.items() if getattr(article, name) != value]


def upsert_article(
    *,
    parsed: ParsedArticle,
    external_id: str,
    source_file: str,
    raw_content: str,
    earlier_ids: Sequence[str] = (),
) -> StoreResult:
    """Create or update one article by its natural key; report duplicates of other records.

    ``earlier_ids``: other ids the same record may have been stored under; an article
    found that way keeps its id (reloads stay idempotent, links stay valid).
    """
    source = source_for(parsed.source_name)
    values = article_values(
        parsed=parsed, source=source, source_file=source_file, raw_content=raw_content
    )
    existing = find_existing(source=source, external_id=external_id, source_file=source_file)
    if existing is None:
        existing = find_same_file(
            earlier_ids=earlier_ids, source_file=source_file, fingerprint=values["fingerprint"]
        )
    if existing is None:
        twin = (
            Article.objects.filter(fingerprint=values["fingerprint"])
            .exclude(external_id=external_id)
            .first()
        )
        if twin is not None:
            return StoreResult(
                DUPLICATE, twin, f"same text as article {twin.pk} ({twin.external_id})"
            )
        article = Article(external_id=external_id, **values)
        article.save()
        return StoreResult(CREATED, article)
    changes = changed_fields(existing, values)
    if not changes:
        return StoreResult(UNCHANGED, existing)
    for name in changes:
        setattr(existing, name, values[name])
    existing.save()
    return StoreResult(UPDATED, existing, ", ".join(changes))
