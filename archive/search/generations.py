"""Values derived from one index generation, kept until the generation changes."""

import threading


class PerGeneration:
    """One value derived from the index, kept for the latest generation only (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._computing = threading.RLock()  # one computation at a time; others wait for it
        self._key: tuple | None = None
        self._value = None

    def get(self, key: tuple, compute):
        """The value for generation ``key``, computing it (``compute()``) on a change.
        Threads asking at once (a request and a background build) share one computation."""
        with self._lock:
            if self._key == key:
                return self._value
        with self._computing:
            with self._lock:
                if self._key == key:  # computed while this thread waited
                    return self._value
            value = compute()
            with self._lock:
                self._key, self._value = key, value
        return value
