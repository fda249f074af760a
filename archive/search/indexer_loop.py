"""The ``run_indexer`` loop: apply the queue, merge segments, and never die of a bad step.

Each step (start-up, drain, merge) that meets a busy lock waits for the next
cycle; any other error is logged with its traceback and the step is retried
after a back-off. Only a stop request ends the loop. While it runs it holds the
"indexer running" lock that ``/healthz`` checks.
"""

import logging
import time
from collections.abc import Callable

from archive.search import locks
from archive.search.indexer import drain_queue, ensure_index, optimize

logger = logging.getLogger("archive.indexer")

BACKOFF_START = 1.0  # seconds before retrying a failed step; doubles up to BACKOFF_MAX
BACKOFF_MAX = 60.0


class Backoff:
    """Delays between retries of a failing step: 1, 2, 4 … 60 s; reset on success."""

    def __init__(self, start: float = BACKOFF_START, limit: float = BACKOFF_MAX):
        self.start, self.limit = start, limit
        self.delay = 0.0

    def failed(self) -> float:
        self.delay = min(self.limit, self.delay * 2 if self.delay else self.start)
        return self.delay

    def succeeded(self) -> None:
        self.delay = 0.0


def run(
    *,
    interval: float = 1.0,
    optimize_every: int = 500,
    once: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    stdout=None,
) -> bool:
    """Run until ``should_stop()`` (or one cycle with ``once``); False if a step failed."""

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    def pause(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

    def waiting() -> None:
        logger.warning("another indexer is running; waiting for it to stop")

    backoff = Backoff()
    with locks.indexer_presence(waiting=waiting):
        while not _step("start-up", lambda: ensure_index(stdout=stdout, drain=False), backoff):
            if once or should_stop():
                return False
            pause(backoff.delay)
        say("indexer: running")
        since_optimize = 0
        all_ok = True
        while not should_stop():
            applied = _step("drain", lambda: drain_queue(stdout=stdout), backoff)
            ok = applied is not None
            since_optimize += applied or 0
            if ok and since_optimize >= optimize_every:
                if _step("merge", lambda: optimize(stdout=stdout), backoff) is not None:
                    since_optimize = 0
                else:
                    ok = False
            all_ok = all_ok and ok
            if once:
                break
            pause(interval if ok else max(interval, backoff.delay))
        say("indexer: stopped")
        return all_ok


def _step(name: str, action: Callable, backoff: Backoff):
    """Run one step; its result (True for None), or None after logging why it failed."""
    try:
        result = action()
    except locks.IndexBusy as exc:
        logger.warning("indexer: %s postponed: %s", name, exc)
        return None
    except Exception:
        delay = backoff.failed()
        logger.exception("indexer: %s failed; retrying in %.0f s", name, delay)
        return None
    backoff.succeeded()
    return True if result is None else result
