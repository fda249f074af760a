"""Keep one child process running: restart it with back-off whenever it exits.

Used by the gunicorn master for the index writer (``manage.py run_indexer``).
A watcher thread polls the child; a child that exits for any reason (a crash,
``kill -9``, the OOM killer) is started again after 1, 2, 4 … 60 s, and the
delay resets once a child has stayed up for a minute.
"""

import logging
import subprocess
import threading
import time

logger = logging.getLogger(__name__)

RESTART_DELAY_START = 1.0
RESTART_DELAY_MAX = 60.0
HEALTHY_AFTER = 60.0  # seconds up before a child counts as healthy (resets the delay)


class Supervised:
    """A command kept running by a background thread until ``stop()``."""

    def __init__(self, command: list[str], *, name: str, log=logger, poll: float = 0.5):
        self.command, self.name, self.log, self.poll = command, name, log, poll
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"supervise-{name}", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen(self.command)
        self.started_at = time.monotonic()
        self.log.info("%s started (pid %s)", self.name, self.process.pid)

    def _watch(self) -> None:
        delay = RESTART_DELAY_START
        while not self._stopping.wait(self.poll):
            code = self.process.poll()
            if code is None:
                continue
            if time.monotonic() - self.started_at >= HEALTHY_AFTER:
                delay = RESTART_DELAY_START
            self.log.error(
                "%s (pid %s) exited with status %s; restarting in %.0f s",
                self.name,
                self.process.pid,
                code,
                delay,
            )
            if self._stopping.wait(delay):
                return
            self.restarts += 1
            self._spawn()
            delay = min(RESTART_DELAY_MAX, delay * 2)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop watching, then SIGTERM the child (SIGKILL after ``timeout``)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.poll * 4)
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
