"""Parsed articles into the database: sources, natural keys, change and duplicate detection."""

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q

from archive.ingest.metadata import ascii_slug, lookup_source
from archive.ingest.readers import ParsedArticle
from archive.ingest.topics import ensure_taxonomy
from archive.models import Article, ArticleAlias, Source
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
    changes: list[str] = field(default_factory=list)  # the fields an update changed
    # DUPLICATE of a stored article: the record's id as an alias of it (unsaved).
    alias: ArticleAlias | None = None


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


def source_for(name: str, *, name_en: str = "") -> Source | None:
    """The Source for a publisher name, following editors' merges; created when new."""
    name = (name or "").strip()[:200]
    if not name:
        return None
    known = lookup_source(name)
    if known:
        name, name_en = known.name, known.name_en or name_en
    source = Source.objects.filter(name=name).first()
    if source is None:
        source = Source.objects.create(
            name=name,
            name_en=(name_en or "")[:200],
            domain=known.domain if known else "",
            homepage=f"https://{known.domain}/" if known and known.domain else "",
            slug=_unique_slug(ascii_slug(name_en or name if name.isascii() else name)),
        )
    return source.resolved()


def _alias_ids(source: Source) -> set[int]:
    """The source and every source merged into it (directly or along a chain)."""
    ids = {source.pk}
    frontier = [source.pk]
    while frontier:
        frontier = list(
            Source.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.update(frontier)
    return ids


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


@dataclass
class Record:
    """One parsed article to store under its natural key (``external_id``)."""

    parsed: ParsedArticle
    external_id: str
    source_file: str
    raw_content: str
    # The publisher's English name when the record gives it beside ``parsed.source_name``.
    source_name_en: str = ""
    # Other ids the same record may have been stored under (see ``find_same_file``).
    earlier_ids: Sequence[str] = ()


class ArticleStore:
    """The one owner of storing parsed articles: the rules of every importer.

    ``plan`` resolves each record's source (``source_for``), finds the article it was
    stored as before, reports a duplicate of another record's text, and sets the new
    field values; the caller writes what it returns (one ``save`` per file, bulk
    create/update for JSON Lines). One store serves one import run: it remembers the
    sources it resolved and the texts it stored, so a later record with the same text
    is a duplicate even before the earlier one is written.

    The article a record was stored as before: the one with the same external id
    under its source or a source merged into it; else the one with that id loaded
    from the same file (its source was renamed); else, for a file, the one stored
    under an earlier id (``find_same_file``). With none, a record whose text another
    record already has is a duplicate; otherwise it is new.
    """

    def __init__(self) -> None:
        self.sources: dict[tuple[str, str], Source | None] = {}
        self.aliases: dict[int, set[int]] = {}
        self.seen_fingerprints: dict[str, str] = {}
        self.ids_in_file: dict[str, set[str]] = {}

    def forget(self) -> None:
        """Drop what was looked up in the database (after a rollback it may be gone)."""
        self.sources.clear()
        self.aliases.clear()
        self.ids_in_file.clear()

    def source(self, name: str, name_en: str = "") -> Source | None:
        key = (name, name_en)
        if key not in self.sources:
            self.sources[key] = source_for(name, name_en=name_en)
        return self.sources[key]

    def _aliases(self, source: Source | None) -> Q:
        if source is None:
            return Q(source__isnull=True)
        if source.pk not in self.aliases:
            self.aliases[source.pk] = _alias_ids(source)
        return Q(source_id__in=self.aliases[source.pk])

    def _ids_in_file(self, source_file: str) -> set[str]:
        """External ids of the articles loaded from this file, read once per run.

        Files have no index: one read per run, not one per batch, and then only the
        records that could match are looked up.
        """
        if source_file not in self.ids_in_file:
            self.ids_in_file[source_file] = set(
                Article.objects.filter(source_file=source_file)
                .order_by()
                .values_list("external_id", flat=True)
            )
        return self.ids_in_file[source_file]

    def plan(self, records: Sequence[Record]) -> list[StoreResult]:
        """What storing each record means, in order; nothing is written here.

        CREATED: ``article`` is a new, unsaved Article. UPDATED: ``article`` is the stored
        one with the changed fields set (``changes`` names them). UNCHANGED: the stored
        one. DUPLICATE: the article (or record) that already has this text.
        """
        rows = []
        for record in records:
            source = self.source(record.parsed.source_name, record.source_name_en)
            values = article_values(
                parsed=record.parsed,
                source=source,
                source_file=record.source_file,
                raw_content=record.raw_content,
            )
            rows.append((record, source, values))
        found = self._find_existing(rows)
        results: list[StoreResult] = []
        pending: list[tuple[int, Record, dict]] = []
        for index, (record, _source, values) in enumerate(rows):
            existing = found.get(index) or find_same_file(
                earlier_ids=record.earlier_ids,
                source_file=record.source_file,
                fingerprint=values["fingerprint"],
            )
            if existing is None:
                results.append(StoreResult(CREATED))  # or DUPLICATE: decided below
                pending.append((index, record, values))
                continue
            changes = changed_fields(existing, values)
            for name in changes:
                setattr(existing, name, values[name])
            status = UPDATED if changes else UNCHANGED
            results.append(StoreResult(status, existing, ", ".join(changes), changes))
        twins: dict[str, list[Article]] = {}
        fingerprints = {values["fingerprint"] for _, _, values in pending}
        if fingerprints:
            for twin in Article.objects.filter(fingerprint__in=fingerprints).only(
                "pk", "external_id", "fingerprint"
            ):
                twins.setdefault(twin.fingerprint, []).append(twin)
        for index, record, values in pending:
            fp, external_id = values["fingerprint"], record.external_id
            twin = next((t for t in twins.get(fp, []) if t.external_id != external_id), None)
            if twin is not None:
                detail = f"same text as article {twin.pk} ({twin.external_id})"
                alias = ArticleAlias(
                    source_id=values["source_id"], external_id=external_id[:200], article=twin
                )
                results[index] = StoreResult(DUPLICATE, twin, detail, alias=alias)
                continue
            earlier = self.seen_fingerprints.get(fp)
            if earlier is not None and earlier != external_id:
                results[index] = StoreResult(DUPLICATE, None, f"same text as record {earlier}")
                continue
            self.seen_fingerprints[fp] = external_id
            results[index] = StoreResult(CREATED, Article(external_id=external_id, **values))
        return results

    def _find_existing(self, rows) -> dict[int, Article]:
        """Row index → the article stored before under the same external id (see the class)."""
        found: dict[int, Article] = {}
        by_source: dict[int | None, tuple[Source | None, list[int]]] = {}
        for index, (_record, source, _values) in enumerate(rows):
            by_source.setdefault(source.pk if source else None, (source, []))[1].append(index)
        for source, indexes in by_source.values():
            wanted = {rows[i][0].external_id for i in indexes}
            first: dict[str, Article] = {}
            # Filtered on the source too, so the (source, external_id) unique index is used.
            for article in Article.objects.filter(self._aliases(source), external_id__in=wanted):
                first.setdefault(article.external_id, article)
            for i in indexes:
                if (article := first.get(rows[i][0].external_id)) is not None:
                    found[i] = article
        by_file: dict[str, list[int]] = {}
        for index, (_record, _source, values) in enumerate(rows):
            if index not in found and values["source_file"]:
                by_file.setdefault(values["source_file"], []).append(index)
        for source_file, indexes in by_file.items():
            wanted = {rows[i][0].external_id for i in indexes} & self._ids_in_file(source_file)
            if not wanted:
                continue
            first = {}
            for article in Article.objects.filter(external_id__in=wanted, source_file=source_file):
                first.setdefault(article.external_id, article)
            for i in indexes:
                if (article := first.get(rows[i][0].external_id)) is not None:
                    found[i] = article
        return found


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
    record = Record(
        parsed=parsed,
        external_id=external_id,
        source_file=source_file,
        raw_content=raw_content,
        earlier_ids=earlier_ids,
    )
    [result] = ArticleStore().plan([record])
    if result.status in (CREATED, UPDATED):
        result.article.save()
    save_aliases([result])
    return result


def save_aliases(results: Sequence[StoreResult]) -> None:
    """Keep the ids of skipped duplicates as aliases of the articles that have their text."""
    aliases = [r.alias for r in results if r.alias is not None]
    if aliases:
        ArticleAlias.objects.bulk_create(aliases, ignore_conflicts=True)
