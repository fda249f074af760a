"""The OS locks that make index writers take turns, whatever the engine.

``indexer.lock`` (held while writing) and ``indexer.running`` (held for the life
of the ``run_indexer`` loop) live in ``ARCHIVE_INDEX_DIR``. They are ``flock``
locks, so the OS releases them when their holder dies, even by ``kill -9``.
"""

import ctypes
import fcntl
import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from archive.search.backend import IndexBusy

LOCK_FILE = "indexer.lock"
RUNNING_FILE = "indexer.running"

__all__ = ["IndexBusy", "index_root", "indexer_presence", "indexer_running", "writer_lock"]


def index_root() -> Path:
    """The folder of the index (the embedded engine's files) and of the writer locks."""
    return Path(settings.ARCHIVE_INDEX_DIR)


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
