"""Bulk import of JSON Lines records (plain or gzip), streamed and written in batches."""

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import reset_queries, transaction

from archive.ingest.decode import RejectedFile
from archive.ingest.furniture import clean_lines, html_to_lines, looks_like_html
from archive.ingest.lines import BadLine, StoppedFile, read_lines
from archive.ingest.metadata import detect_language, parse_any_date
from archive.ingest.readers import ParsedArticle, _safe_url
from archive.ingest.repair import fix_mojibake
from archive.ingest.store import CREATED, FAILED, UPDATED, ArticleStore, Record, save_aliases
from archive.ingest.topics import apply_auto_topics
from archive.models import Article, Language
from archive.search.queue import enqueue

BATCH_SIZE = 500
LANGUAGES = set(Language.values)
_ENGLISH_NAME = re.compile(r"\s*[(（](?P<en>[A-Za-z][^()（）]*)[)）]")


class BadRecord(ValueError):
    """A JSON line that cannot become an article; the message says why."""


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def open_lines(path: Path) -> Iterator[tuple[int, str | BadLine]]:
    """(line number, text or why it is unusable) of a JSON Lines file, plain or gzip, streamed."""
    return read_lines(
        path,
        max_line=settings.ARCHIVE_MAX_FILE_BYTES,
        max_unpacked=settings.ARCHIVE_MAX_UNPACKED_BYTES,
    )


def _nul_field(value: object, name: str = "record") -> str | None:
    """The name of a field holding a NUL character (PostgreSQL text cannot store one)."""
    if isinstance(value, str):
        return name if "\x00" in value else None
    if isinstance(value, dict):
        if any("\x00" in key for key in value):
            return "a field name"
        items = ((str(key), item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((f"{name}[{i}]", item) for i, item in enumerate(value))
    else:
        return None
    return next((found for key, item in items if (found := _nul_field(item, key))), None)


@lru_cache(maxsize=1024)  # a file names few sources, once per record
def split_source_name(raw: str) -> tuple[str, str]:
    """`央视网《新闻联播》 (CCTV Xinwen Lianbo)` → (`央视网《新闻联播》`, `CCTV Xinwen Lianbo`)."""
    english = [m["en"].strip() for m in _ENGLISH_NAME.finditer(raw)]
    name = re.sub(r"\s+", " ", _ENGLISH_NAME.sub("", raw)).strip()
    parts = [part.strip() for part in name.split(" / ")]
    name = " / ".join(part for i, part in enumerate(parts) if part and part not in parts[:i])
    if not name:
        return raw.strip(), raw.strip()
    return name, " / ".join(english)


def reflow(body: str) -> str:
    """Join hard-wrapped newswire lines into paragraphs (indented or blank lines start one)."""
    lines = body.split("\n")
    if len(lines) < 4:
        return body
    wrapped = sum(1 for line in lines if 30 <= len(line.strip()) <= 80)
    if wrapped < len(lines) * 0.6:
        return body
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if not line.strip() or line[:1] in " \t":
            if paragraphs[-1]:
                paragraphs.append([])
        if line.strip():
            paragraphs[-1].append(line.strip())
    return "\n".join(" ".join(p) for p in paragraphs if p)


def parse_record(line: str) -> tuple[str, str, ParsedArticle]:
    """(external id, source name, article data) from one JSON line. Raises BadRecord."""
    if len(line.encode("utf-8", "surrogatepass")) > settings.ARCHIVE_MAX_FILE_BYTES:
        raise BadRecord(f"record longer than {settings.ARCHIVE_MAX_FILE_BYTES} bytes")
    try:
        record = json.loads(line)
    except ValueError as error:
        raise BadRecord(f"invalid JSON: {error}") from None
    if not isinstance(record, dict):
        raise BadRecord("not a JSON object")
    if nul := _nul_field(record):
        raise BadRecord(f"NUL character (\\u0000) in {nul}: not stored")
    external_id = str(record.get("id") or "").strip()
    title = str(record.get("title") or "").strip()
    body = record.get("body")
    if not external_id:
        raise BadRecord("no id")
    if len(external_id) > 200:
        raise BadRecord("id longer than 200 characters")
    if not isinstance(body, str) or not body.strip():
        raise BadRecord("no body")
    notes: list[str] = []
    title, repaired = fix_mojibake(title)
    body, repaired_body = fix_mojibake(body)
    notes.extend(repaired or repaired_body)
    if looks_like_html(body):
        try:
            lines, removed = html_to_lines(body)
        except RejectedFile as error:
            raise BadRecord(str(error)) from None
        notes.extend(removed)
        notes.append("converted stray HTML to plain text")
    else:
        lines = reflow(body).split("\n")
    cleaned = clean_lines(lines)
    notes.extend(cleaned.removed)
    if not cleaned.paragraphs:
        # Cleaning never empties a record: keep its text rather than lose the article.
        cleaned.paragraphs = [re.sub(r"\s+", " ", line).strip() for line in lines if line.strip()]
        notes.append("furniture rules would have removed everything: text kept as it was")
    if not cleaned.paragraphs:
        raise BadRecord("no article text")
    if not title:
        title = cleaned.paragraphs[0][:80]
        notes.append("no title: first words of the body used")
    title = re.sub(r"\s+", " ", title)[:500]
    body_text = "\n".join(cleaned.paragraphs)
    try:
        published, precision = parse_any_date(record.get("date"))
    except (TypeError, ValueError, OverflowError):
        published, precision = None, ""
    if published is None and record.get("date"):
        notes.append(f"unreadable date {record.get('date')!r}: left unknown")
    language = record.get("lang")
    if language not in LANGUAGES:
        language = detect_language(title + "\n" + body_text)
    parsed = ParsedArticle(
        title=title,
        body=body_text,
        language=language,
        published_at=published,
        date_precision=precision,
        url=_safe_url(record.get("url")),
        editors=cleaned.editors,
        original_source=cleaned.original_source,
        tags=[str(t) for t in (record.get("tags") or []) if isinstance(t, str)],
        notes=notes,
    )
    return external_id, str(record.get("source") or "").strip()[:1000], parsed


class _Importer:
    def __init__(
        self, *, path: Path, dry_run: bool, report: ImportReport, on_failure: Callable[[str], None]
    ):
        self.path, self.dry_run, self.report, self.on_failure = path, dry_run, report, on_failure
        self.store = ArticleStore()

    def fail(self, number: int, reason: str) -> None:
        message = f"{self.path.name}:{number}: {reason}"
        self.report.counts[FAILED] += 1
        self.report.failures.append(message)
        self.on_failure(message)

    def write_batch(self, batch: list[tuple[int, str]]) -> None:
        """Parse and store one batch in one transaction; on a database error, go record by record."""
        reset_queries()  # with DEBUG on, Django would keep every batch's SQL (bodies included)
        try:
            with transaction.atomic():
                counts = self._store(batch)
                if self.dry_run:
                    raise _Rollback(counts)
        except _Rollback as rollback:
            counts = rollback.counts
        except Exception:  # noqa: BLE001 - isolate the record that broke the batch
            self.store.forget()
            counts = Counter()
            for item in batch:
                try:
                    with transaction.atomic():
                        counts.update(self._store([item]))
                        if self.dry_run:
                            raise _Rollback(Counter())
                except _Rollback:
                    pass
                except Exception as error:  # noqa: BLE001
                    self.fail(item[0], f"{type(error).__name__}: {error}")
        self.report.counts.update(counts)

    def _store(self, batch: list[tuple[int, str]]) -> Counter:
        """Store one batch: the ArticleStore decides, this writes in bulk."""
        records: list[Record] = []
        for number, line in batch:
            try:
                external_id, source_name, parsed = parse_record(line)
            except BadRecord as error:
                self.fail(number, str(error))
                continue
            parsed.source_name, name_en = (
                split_source_name(source_name) if source_name else ("", "")
            )
            records.append(
                Record(
                    parsed=parsed,
                    external_id=external_id,
                    source_file=self.path.name,
                    raw_content=line,
                    source_name_en=name_en,
                )
            )
        counts: Counter = Counter()
        to_create: list[Article] = []
        to_update: list[Article] = []
        update_fields: set[str] = set()
        results = self.store.plan(records)
        save_aliases(results)
        for record, result in zip(records, results, strict=True):
            counts[result.status] += 1
            if result.status == CREATED:
                to_create.append(result.article)
            elif result.status == UPDATED:
                to_update.append(result.article)
                update_fields.update(result.changes)
            else:
                continue
            result.article.corpus_tags = record.parsed.tags
        if to_create:
            Article.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        if to_update:
            Article.objects.bulk_update(
                to_update, sorted(update_fields | {"updated_at"}), batch_size=BATCH_SIZE
            )
        changed = [*to_create, *to_update]
        if changed:
            enqueue(a.pk for a in changed)
            apply_auto_topics(changed, queue=False)
        return counts


class _Rollback(Exception):
    def __init__(self, counts: Counter):
        super().__init__("dry run")
        self.counts = counts


def import_jsonl(
    *,
    path: Path,
    dry_run: bool = False,
    report: ImportReport | None = None,
    on_failure: Callable[[str], None] = lambda message: None,
    on_progress: Callable[[int], None] = lambda count: None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import one JSON Lines file; a bad line is reported with its number and skipped."""
    report = report or ImportReport()
    importer = _Importer(path=path, dry_run=dry_run, report=report, on_failure=on_failure)
    batch: list[tuple[int, str]] = []
    number = 0
    try:
        for number, item in open_lines(path):
            if isinstance(item, BadLine):
                importer.fail(number, str(item))
                continue
            batch.append((number, item))
            if len(batch) >= batch_size:
                importer.write_batch(batch)
                on_progress(len(batch))
                batch = []
    except StoppedFile as error:
        importer.fail(error.line, str(error))
    if batch:
        importer.write_batch(batch)
        on_progress(len(batch))
    return report
