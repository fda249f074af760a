"""Loading article files: one file, one transaction, one result."""

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from archive.ingest.decode import RejectedFile, decode_text, read_limited
from archive.ingest.readers import parse_article_text
from archive.ingest.store import FAILED, StoreResult, upsert_article
from archive.ingest.topics import apply_auto_topics
from archive.models import Article

MAX_EXTERNAL_ID = 200


class DryRunRollback(Exception):
    """Raised inside the transaction to undo a dry run's writes."""


@dataclass(frozen=True)
class FoundFile:
    """A file to load: where it is, its key (path inside the folder loaded), or why not."""

    path: Path
    key: str
    in_folder: bool = False  # reached by walking a folder (symbolic links are not followed)
    problem: str = ""


def external_id_for(key: str) -> str:
    """`file:<path inside the loaded folder>`; over-long paths keep their end and a hash."""
    external_id = f"file:{key}"
    if len(external_id) <= MAX_EXTERNAL_ID:
        return external_id
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"file:…{key[-(MAX_EXTERNAL_ID - 24) :]}#{digest}"


def earlier_ids(path: Path, key: str) -> list[str]:
    """Ids the same file may have had before: its bare name (older loaders), or its path
    inside a folder higher or lower than the one loaded now."""
    parts = Path(os.path.abspath(path)).parts[1:]
    current = external_id_for(key)
    ids = {external_id_for("/".join(parts[i:])) for i in range(max(0, len(parts) - 30), len(parts))}
    return sorted(ids - {current})


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _walk(root: Path) -> Iterator[FoundFile]:
    real_root = os.path.realpath(root)
    errors: list[OSError] = []
    for folder, dirnames, filenames in os.walk(root, onerror=errors.append):
        base = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in [*dirnames, *filenames]:
            path = base / name
            if name.startswith(".") or not path.is_symlink():
                continue
            # Never followed; one that leads out of the folder is reported.
            key = path.relative_to(root).as_posix()
            target = os.path.realpath(path)
            if not os.path.exists(target):
                yield FoundFile(path, key, True, "broken symbolic link: not followed")
            elif not _inside(target, real_root):
                yield FoundFile(
                    path, key, True, "symbolic link leading out of the loaded folder: not followed"
                )
        for name in sorted(filenames):
            path = base / name
            if name.startswith(".") or path.is_symlink():
                continue
            yield FoundFile(path, path.relative_to(root).as_posix(), True)
    for error in errors:
        where = Path(error.filename or root)
        yield FoundFile(where, str(where), True, f"unreadable folder: {error.strerror or error}")


def iter_files(paths: Iterable[Path]) -> Iterator[FoundFile]:
    """Files named, and files inside folders named (sorted, hidden files skipped)."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield FoundFile(path, path.name)


def load_file(
    *, path: Path, key: str | None = None, in_folder: bool = False, dry_run: bool = False
) -> StoreResult:
    """Read, decode, parse and store one article file in its own transaction."""
    key = key or path.name
    try:
        data = read_limited(
            path, max_bytes=settings.ARCHIVE_MAX_FILE_BYTES, follow_symlinks=not in_folder
        )
        decoded = decode_text(data)
        parsed = parse_article_text(decoded.text, damaged=decoded.damaged)
        parsed.notes[:0] = decoded.notes
        if decoded.encoding not in ("utf-8", "utf-8-sig"):
            parsed.notes.insert(0, f"decoded from {decoded.encoding}")
    except RejectedFile as error:
        return StoreResult(FAILED, None, str(error))
    except OSError as error:
        return StoreResult(FAILED, None, f"unreadable: {error.strerror or error}")
    except Exception as error:  # noqa: BLE001 - one bad file never stops the run
        return StoreResult(FAILED, None, f"unreadable content: {type(error).__name__}: {error}")
    result = None
    try:
        with transaction.atomic():
            result = upsert_article(
                parsed=parsed,
                external_id=external_id_for(key),
                source_file=str(path),
                raw_content=decoded.text,
                earlier_ids=earlier_ids(path, key),
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


def articles_with_missing_files(folders: Iterable[Path]) -> list[tuple[int, str]]:
    """(pk, file) of articles loaded from these folders whose file is no longer there.

    A reload never deletes them: an editor may have curated them, and they stay
    published (so no search result points to a missing page).
    """
    gone: list[tuple[int, str]] = []
    for folder in folders:
        prefix = str(folder).rstrip(os.sep) + os.sep
        rows = Article.objects.filter(source_file__startswith=prefix).values_list(
            "pk", "source_file"
        )
        gone.extend(
            (pk, name) for pk, name in rows.order_by("source_file") if not os.path.lexists(name)
        )
    return gone
