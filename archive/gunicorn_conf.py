"""gunicorn settings for ``make run`` and docker-compose.

The master preloads the app (jieba's dictionary and OpenCC are loaded once and
shared by forked workers) and starts the single index writer beside the workers.
"""

import os
import subprocess
import sys

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
preload_app = True
timeout = 60
max_requests = 10000  # recycle workers now and then (leaks), not every few seconds under load
max_requests_jitter = 1000
limit_request_line = 4094
accesslog = "-" if os.environ.get("ARCHIVE_ACCESS_LOG") else None

_indexer: subprocess.Popen | None = None


def when_ready(server) -> None:
    """Start the index-queue worker unless another process runs it (docker-compose)."""
    global _indexer
    if os.environ.get("ARCHIVE_START_INDEXER", "1") == "1":
        _indexer = subprocess.Popen([sys.executable, "manage.py", "run_indexer"])
        server.log.info("indexer started (pid %s)", _indexer.pid)


def post_worker_init(worker) -> None:
    """Open the index and load facet columns in each new worker before it takes requests."""
    from archive.search.service import warm_up

    warm_up()


def on_exit(server) -> None:
    if _indexer and _indexer.poll() is None:
        _indexer.terminate()
        try:
            _indexer.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _indexer.kill()
