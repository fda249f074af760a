"""Where the index lives: generations under ARCHIVE_INDEX_DIR and a pointer to the live one.

Layout: ``<ARCHIVE_INDEX_DIR>/CURRENT`` names the live generation directory
(``gen-…``); a rebuild writes a new generation and then replaces ``CURRENT``
atomically, so readers never see a partial index and a killed rebuild leaves
the old one serving. ``indexer.lock`` (an OS file lock, released if the holder
dies) makes every writer take turns.
"""

import ctypes
import fcntl
import os
import pickle
import shutil
import signal
import struct
import threading
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from whoosh import index as whoosh_index

from archive.search.schema import build_schema

POINTER = "CURRENT"
PREVIOUS = "PREVIOUS"
LOCK_FILE = "indexer.lock"
RUNNING_FILE = "indexer.running"


class SearchUnavailable(Exception):
    """The index is missing or unreadable; pages answer 503."""


class IndexBusy(Exception):
    """Another process holds the index writer lock for longer than we wait."""


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
def reading_index(*, passing: tuple[type[Exception], ...] = ()):
    """Report damaged index data as SearchUnavailable (a 503 page), not a crash.

    Exceptions of the ``passing`` types (the caller's own, such as a bad parameter)
    go through unchanged.
    """
    try:
        yield
    except (SearchUnavailable, *passing):
        raise
    except INDEX_DAMAGE as exc:
        raise SearchUnavailable(f"index unreadable: {exc.__class__.__name__}: {exc}") from exc


def index_root() -> Path:
    return Path(settings.ARCHIVE_INDEX_DIR)


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
    return path, whoosh_index.create_in(str(path), build_schema())


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


# --- Locks held by this process, and what forked children do with them -------------
_held_locks: set[int] = set()  # file descriptors of the OS locks this process holds


@contextmanager
def _holding(handle):
    """Mark a just-taken lock as held (see _forked_child); release it on exit."""
    _held_locks.add(handle.fileno())
    try:
        yield
    finally:
        _held_locks.discard(handle.fileno())
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _forked_child() -> None:
    """In a child forked while a lock is held (a parallel rebuild's writer processes).

    The child drops its copies of the locked files, so the lock lives and dies
    with the process that took it, and asks the kernel to kill it when that
    process dies: otherwise a ``kill -9`` of ``rebuild_index`` left orphaned
    writer processes holding the index lock, and every later writer waited forever.
    """
    if not _held_locks:
        return
    devnull = os.open(os.devnull, os.O_RDONLY)
    for fd in _held_locks:  # /dev/null in its place: the number stays valid, the lock goes
        os.dup2(devnull, fd)
    os.close(devnull)
    _held_locks.clear()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the request took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass  # not Linux: the lock is still released with the parent


PR_SET_PDEATHSIG = 1
os.register_at_fork(after_in_child=_forked_child)


@contextmanager
def writer_lock(*, timeout: float | None = None, waiting=None):
    """Hold the index writer lock; IndexBusy if not acquired within ``timeout`` seconds.

    With no timeout it waits as long as another writer works; ``waiting()`` is
    called once if it has to wait (to tell the user why nothing happens).
    """
    root = index_root()
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / LOCK_FILE, "a+b")
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waiting is not None and not told:
                    waiting()
                    told = True
                if deadline is not None and time.monotonic() >= deadline:
                    raise IndexBusy("another indexer holds the index lock") from None
                time.sleep(0.1)
        with _holding(handle):
            yield
    finally:
        handle.close()


@contextmanager
def indexer_presence(*, waiting=None):
    """Hold the "an indexer is running" lock for the life of the ``run_indexer`` loop.

    An exclusive OS lock on ``indexer.running``: the OS drops it when the process
    dies (even by ``kill -9``), so ``indexer_running()`` is never fooled by a stale
    file, and a second loop waits here instead of running beside the first.
    ``waiting()`` is called once if it has to wait.
    """
    root = index_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / RUNNING_FILE, "a+b") as handle:
        for _attempt in range(20):  # a health probe holds it for microseconds
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.05)
        else:
            if waiting is not None:
                waiting()
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        with _holding(handle):
            yield


def indexer_running() -> bool:
    """Is a ``run_indexer`` loop alive (on this machine's view of the index folder)?"""
    try:
        handle = open(index_root() / RUNNING_FILE, "rb")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


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


class PerGeneration:
    """One value derived from the index, kept for the latest generation only (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._value = None

    def get(self, key: tuple, compute):
        """The value for generation ``key``, computing it (``compute()``) on a change."""
        with self._lock:
            if self._key == key:
                return self._value
        value = compute()
        with self._lock:
            self._key, self._value = key, value
        return value


def generation_key(searcher) -> tuple:
    """Identifies the exact index contents a searcher sees (for caches)."""
    return (str(_reader.get("path")), searcher.reader().generation())
