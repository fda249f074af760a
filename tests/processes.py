"""Real processes for crash, supervision and load tests: a site of its own in a folder.

Each ``Site`` has its own ``ARCHIVE_VAR_DIR`` (SQLite database, index, page cache),
so commands run as separate processes that can be killed with ``kill -9`` and
then inspected, exactly as on a server. The database is always a SQLite file
(``DATABASE_URL`` is dropped), because pytest-django's test database is not
visible to other processes.
"""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

MANAGE = str(settings.BASE_DIR / "manage.py")


_template: dict[str, Path] = {}


def _migrated_database() -> Path:
    """A freshly migrated SQLite file, made once per test process and copied for each site."""
    if "path" not in _template:
        folder = Path(tempfile.mkdtemp(prefix="archive-site-template-"))
        env = {**os.environ, "ARCHIVE_VAR_DIR": str(folder), "DJANGO_DEBUG": "1"}
        env.pop("DATABASE_URL", None)
        subprocess.run([sys.executable, MANAGE, "migrate", "-v0"], env=env, check=True, timeout=300)
        _template["path"] = folder / "archive.sqlite3"
    return _template["path"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Site:
    """A separate archive installation under ``var``, with a migrated database."""

    var: Path
    extra_env: dict = field(default_factory=dict)

    def __post_init__(self):
        self.var.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_database(), self.database)

    @property
    def env(self) -> dict:
        env = {
            **os.environ,
            "ARCHIVE_VAR_DIR": str(self.var),
            "DJANGO_DEBUG": "1",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        for name in ("DATABASE_URL", "ARCHIVE_INDEX_DIR", "ARCHIVE_PAGE_CACHE_DIR"):
            env.pop(name, None)
        return env

    @property
    def database(self) -> Path:
        return self.var / "archive.sqlite3"

    def manage(self, *args: str, timeout: float = 300, check: bool = True):
        """Run a management command to completion; returns the CompletedProcess."""
        result = subprocess.run(
            [sys.executable, MANAGE, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self, *args: str, program: list[str] | None = None) -> subprocess.Popen:
        """Start a management command (or ``program``) in the background, output to a log."""
        log = open(self.var / f"{(args or program)[0].replace('/', '_')}.log", "ab")
        command = program if program is not None else [sys.executable, MANAGE, *args]
        return subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
        )

    def query(self, sql: str, params=()) -> list[tuple]:
        """Rows from the site's own database, read as a separate client would."""
        with sqlite3.connect(self.database, timeout=30) as db:
            return db.execute(sql, params).fetchall()


def kill_hard(proc: subprocess.Popen) -> None:
    """``kill -9`` and reap."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
