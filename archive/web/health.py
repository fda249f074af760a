"""``GET /healthz``: can the database and the index be read, and is the indexer keeping up?

The body says which part is unhealthy in a word or two; why (exception, counts)
goes to the log only, once each time a part's state changes in this process.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from archive.models import IndexTask

logger = logging.getLogger(__name__)
_last_state: dict[str, str] = {}


def database_state() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def index_state() -> str:
    from archive.search.backend import get_backend

    get_backend().document_count()
    return "ok"


def engine_details() -> dict:
    """The engine's own state (a cluster's colour and nodes), or nothing if it cannot say."""
    from archive.search.backend import get_backend

    try:
        return get_backend().health()
    except Exception as exc:  # noqa: BLE001 - the index answered; its details are extra
        _log_once("engine", "unknown", f"{exc.__class__.__name__}: {exc}")
        return {}


def indexer_state() -> str:
    """ "running", "not running" (no loop holds the lock) or "behind" (a change waits too long)."""
    from archive.search.locks import indexer_running

    if not indexer_running():
        return "not running"
    limit = timezone.now() - timedelta(seconds=settings.ARCHIVE_INDEX_TASK_MAX_AGE)
    oldest = IndexTask.objects.order_by("id").values_list("created_at", flat=True).first()
    if oldest is not None and oldest < limit:
        _log_once("indexer", "behind", f"oldest queued change from {oldest.isoformat()}")
        return "behind"
    return "running"


def _checked(part: str, check) -> str:
    try:
        state = check()
    except Exception as exc:  # noqa: BLE001 - any failure of a part means "unavailable"
        _log_once(part, "unavailable", f"{exc.__class__.__name__}: {exc}")
        return "unavailable"
    if state != "behind":
        _log_once(part, state, "")
    return state


def _log_once(part: str, state: str, detail: str) -> None:
    if _last_state.get(part) != state:
        _last_state[part] = state
        if state in ("ok", "running"):
            logger.info("health: %s %s", part, state)
        else:
            logger.error("health: %s %s %s", part, state, detail)


@never_cache
@require_safe
def healthz(request):
    status = {
        "database": _checked("database", database_state),
        "index": _checked("index", index_state),
    }
    if status["index"] == "ok":
        status.update(engine_details())
    status["indexer"] = (
        _checked("indexer", indexer_state) if status["database"] == "ok" else "unknown"
    )
    healthy = status["database"] == status["index"] == "ok" and status["indexer"] == "running"
    status["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(status, status=200 if healthy else 503)
