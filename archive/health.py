"""``GET /healthz``: can the database and the search index be read?"""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from archive.models import Article


def index_status() -> dict:
    """Open the live search index read-only and report its document count and queue."""
    from archive.search.queue import pending_count
    from archive.search.storage import get_searcher

    searcher = get_searcher()
    return {"documents": searcher.doc_count(), "pending_index_tasks": pending_count()}


@never_cache
@require_safe
def healthz(request):
    status: dict = {"database": "ok", "index": "ok"}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["articles"] = Article.objects.count()
    except Exception as exc:  # noqa: BLE001  (any database failure means "unhealthy")
        healthy = False
        status["database"] = f"error: {exc.__class__.__name__}"
    try:
        status.update(index_status())
    except Exception as exc:  # noqa: BLE001  (a missing or corrupt index means "unhealthy")
        healthy = False
        status["index"] = f"error: {exc.__class__.__name__}"
    status["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(status, status=200 if healthy else 503)
