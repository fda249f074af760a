"""gunicorn settings for ``make run`` and docker-compose.

The master preloads the app (jieba's dictionary and OpenCC are loaded once and
shared by forked workers) and starts the single index writer beside the workers,
restarting it with back-off whenever it exits (``archive.supervisor``).
"""

import os
import sys

from archive.supervisor import Supervised

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
preload_app = True
timeout = 60
max_requests = 10000  # recycle workers now and then (leaks), not every few seconds under load
max_requests_jitter = 1000
# Request lines up to 1 MB reach Django, whose friendly 414 page refuses any
# beyond 4,094 characters (archive.web.request_limits); gunicorn's own refusal is a bare 400.
limit_request_line = 0
# gunicorn's control socket has one default path per user ($HOME/.gunicorn/gunicorn.ctl),
# so a second instance on the machine takes it over; nothing here uses gunicornc.
control_socket_disable = True
accesslog = "-" if os.environ.get("ARCHIVE_ACCESS_LOG") else None

_indexer: Supervised | None = None


def when_ready(server) -> None:
    """Start the supervised index writer unless another process runs it (docker-compose)."""
    global _indexer
    if os.environ.get("ARCHIVE_START_INDEXER", "1") == "1":
        manage = os.path.join(os.path.dirname(os.path.dirname(__file__)), "manage.py")
        _indexer = Supervised(
            [sys.executable, manage, "run_indexer"], name="indexer", log=server.log
        )
        _indexer.start()


def post_worker_init(worker) -> None:
    """Open the index and load facet columns in each new worker before it takes requests."""
    from archive import long_lived
    from archive.search.service import warm_up

    warm_up()
    long_lived.start_serving()


def on_exit(server) -> None:
    if _indexer is not None:
        _indexer.stop()
