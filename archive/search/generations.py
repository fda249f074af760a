"""Values derived from one index generation, kept until the generation changes."""

import threading
import time
from collections.abc import Callable

from archive import long_lived

# May a value computed for generation ``held`` ``age`` seconds ago serve ``wanted``?
Reuse = Callable[[tuple, tuple, float], bool]


class PerGeneration:
    """One value derived from the index, kept for the latest generation only (thread-safe).

    ``reuse`` lets a value costly to compute serve later generations too (by default it
    serves only its own). Threads asking at once (a request and a background build)
    share one computation.
    """

    def __init__(self, reuse: Reuse | None = None):
        self._lock = threading.Lock()
        self._computing = threading.RLock()  # one computation at a time; others wait for it
        self._reuse = reuse
        self._held: tuple | None = None  # (generation, computed at, value)

    def peek(self, key: tuple):
        """The value computed for exactly generation ``key``, or None (never computes)."""
        with self._lock:
            held = self._held
        return held[2] if held is not None and held[0] == key else None

    def get(self, key: tuple, compute):
        """The value for generation ``key``, computing it (``compute()``) on a change."""
        found = self._usable(key)
        if found is not None:
            return found[0]
        with self._computing:
            found = self._usable(key)  # computed while this thread waited
            if found is not None:
                return found[0]
            value = compute()
            with self._lock:
                self._held = (key, time.monotonic(), value)
        long_lived.table_built()
        return value

    def _usable(self, key: tuple) -> tuple | None:
        """``(value,)`` when the held value serves ``key``, else None."""
        with self._lock:
            held = self._held
        if held is None:
            return None
        if held[0] == key or (
            self._reuse is not None and self._reuse(held[0], key, time.monotonic() - held[1])
        ):
            return (held[2],)
        return None
