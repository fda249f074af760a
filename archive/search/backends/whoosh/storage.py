"""Where the index lives: generations under ARCHIVE_INDEX_DIR and a pointer to the live one.

Layout: ``<ARCHIVE_INDEX_DIR>/CURRENT`` names the live generation directory
(``gen-…``); a rebuild writes a new generation and then replaces ``CURRENT``
atomically, so readers never see a partial index and a killed rebuild leaves
the old one serving. Writers take turns through ``archive.search.locks``.
"""

import os
import pickle
import shutil
import struct
import threading
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index

from archive.search.backend import SearchUnavailable
from archive.search.backends.whoosh.schema import build_schema
from archive.search.locks import index_root
from archive.text import ANALYSIS_VERSION

POINTER = "CURRENT"
PREVIOUS = "PREVIOUS"
ANALYSIS_FILE = "ANALYSIS"  # in each generation: the text.ANALYSIS_VERSION it was written with


# What reading damaged index files raises: short reads, garbled records, pickled
# tables of contents that no longer unpickle, offsets past the end of a file.
INDEX_DAMAGE = (
    OSError,
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    ValueError,
    IndexError,
    KeyError,
    TypeError,
)


@contextmanager
def reading_index():
    """Report damaged index data as SearchUnavailable (a 503 page), not a crash."""
    try:
        yield
    except SearchUnavailable:
        raise
    except INDEX_DAMAGE as exc:
        raise SearchUnavailable(f"index unreadable: {exc.__class__.__name__}: {exc}") from exc


def current_dir() -> Path | None:
    """The live generation directory, or None if no index was ever published."""
    root = index_root()
    try:
        name = (root / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:  # the root is a file, unreadable, ...
        raise SearchUnavailable(f"index directory unreadable: {exc}") from exc
    if not name or "/" in name or name.startswith("."):
        raise SearchUnavailable("index pointer is corrupt")
    return root / name


def open_current():
    """The live Whoosh index; SearchUnavailable if missing or unreadable."""
    path = current_dir()
    if path is None:
        raise SearchUnavailable("the search index has not been built")
    try:
        return whoosh_index.open_dir(str(path))
    except Exception as exc:
        raise SearchUnavailable(f"index unreadable: {exc.__class__.__name__}: {exc}") from exc


def new_generation() -> tuple[Path, object]:
    """Create an empty index in a fresh generation directory (not yet live)."""
    root = index_root()
    root.mkdir(parents=True, exist_ok=True)
    path = (
        root / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    )
    path.mkdir()
    (path / ANALYSIS_FILE).write_text(str(ANALYSIS_VERSION), encoding="utf-8")
    return path, whoosh_index.create_in(str(path), build_schema())


def analysis_version(path: Path) -> int:
    """The text analysis a generation was written with (1: before it was recorded)."""
    try:
        return int((path / ANALYSIS_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return 1


def publish(path: Path) -> None:
    """Make ``path`` the live generation (atomic rename), then drop old generations."""
    root = index_root()
    previous = current_dir()
    if previous is not None:
        _write_atomic(root / PREVIOUS, previous.name)
    _write_atomic(root / POINTER, path.name)
    discard_unpublished()


def _write_atomic(target: Path, content: str) -> None:
    tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"
    tmp.write_text(content, encoding="utf-8")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)


def discard_unpublished() -> None:
    """Remove every generation except the live one and the one before it.

    The previous generation stays because other processes may still be reading it;
    anything else is an older generation or one a killed rebuild left behind.
    Call with the writer lock held.
    """
    root = index_root()
    keep = {current_dir()}
    try:
        keep.add(root / (root / PREVIOUS).read_text(encoding="utf-8").strip())
    except OSError:
        pass
    for path in root.glob("gen-*"):
        if path.is_dir() and path not in keep:
            shutil.rmtree(path, ignore_errors=True)


def discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# --- Readers: one searcher per process, reopened only when the index changed ---------
_reader_lock = threading.Lock()
_reader: dict = {}


def get_searcher():
    """The process's searcher on the live generation, refreshed if the index changed."""
    path = current_dir()
    if path is None:
        raise SearchUnavailable("the search index has not been built")
    with _reader_lock:
        searcher = _reader.get("searcher")
        try:
            if searcher is None or _reader.get("path") != path:
                searcher = open_current().searcher()
            elif not searcher.up_to_date():
                searcher = searcher.refresh()
        except SearchUnavailable:
            _reader.clear()
            raise
        except Exception as exc:
            _reader.clear()
            raise SearchUnavailable(f"index unreadable: {exc.__class__.__name__}") from exc
        _reader.update(path=path, searcher=searcher)
        return searcher


def generation_key(searcher) -> tuple:
    """Identifies the exact index contents a searcher sees (for caches)."""
    return (str(_reader.get("path")), searcher.reader().generation())
