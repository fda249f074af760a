"""Loading article files: one file, one transaction, one result."""

from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction

from archive.ingest.decode import RejectedFile, decode_bytes, read_limited
from archive.ingest.readers import parse_article_text
from archive.ingest.store import FAILED, StoreResult, upsert_article
from archive.topics import apply_auto_topics


class DryRunRollback(Exception):
    """Raised inside the transaction to undo a dry run's writes."""


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and files inside folders named (sorted, hidden files skipped)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            yield path


def load_file(*, path: Path, dry_run: bool = False) -> StoreResult:
    """Read, decode, parse and store one article file in its own transaction."""
    try:
        data = read_limited(path, max_bytes=settings.ARCHIVE_MAX_FILE_BYTES)
        text, encoding = decode_bytes(data)
        parsed = parse_article_text(text)
        if encoding not in ("utf-8", "utf-8-sig"):
            parsed.notes.insert(0, f"decoded from {encoding}")
    except RejectedFile as error:
        return StoreResult(FAILED, None, str(error))
    except OSError as error:
        return StoreResult(FAILED, None, f"unreadable: {error.strerror or error}")
    result = None
    try:
        with transaction.atomic():
            result = upsert_article(
                parsed=parsed,
                external_id=f"file:{path.name}",
                source_file=str(path),
                raw_content=text,
            )
            if result.article is not None and result.status in ("created", "updated"):
                apply_auto_topics([result.article])
            if dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    except Exception as error:  # noqa: BLE001 - one bad file never stops the run
        return StoreResult(FAILED, None, f"{type(error).__name__}: {error}")
    return result
