"""One answer to a search that cannot be run, for the page, the API and the feeds.

A bad parameter is 400 (a page past the end links to the last page there is) and a
broken or missing index is 503, logged at most once per interval for the same reason.
The page and the feeds answer with the site's error pages, the API with
``{"error": message}``.
"""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from archive.search import service

# Logged under the name it always had, which log filters may know.
logger = logging.getLogger("archive.web.views")

# A broken index fails every search; log it once per interval, not once per request.
UNAVAILABLE_LOG_INTERVAL = 60.0
_unavailable_logged: dict[str, float] = {}
UNAVAILABLE_JSON = "search is temporarily unavailable"


def log_unavailable(exc: Exception) -> None:
    """Log why search is unavailable, at most once per interval for the same reason."""
    reason, now = str(exc), time.monotonic()
    last = _unavailable_logged.get(reason)
    if last is not None and now - last < UNAVAILABLE_LOG_INTERVAL:
        return
    _unavailable_logged[reason] = now
    logger.error("search unavailable: %s", reason, exc_info=exc)


def error_page(
    request: HttpRequest, *, status: int, message: str, last_page: int | None = None
) -> HttpResponse:
    """A friendly error page in the site's style; ``last_page`` adds a link to that page."""
    template = "503.html" if status == 503 else "400.html"
    context = {"message": message}
    if last_page is not None:
        query = request.GET.copy()
        query["page"] = str(last_page)
        context.update(last_page=last_page, last_page_url=f"?{query.urlencode()}")
    return render(request, template, context, status=status)


def json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def answer_search(
    request: HttpRequest, respond: Callable[[], HttpResponse], *, as_json: bool = False
) -> HttpResponse:
    """``respond()``, which runs a search, or the answer to why that search cannot run.

    SearchParamError (PastLastPage included) → 400, SearchUnavailable → 503; as the
    site's error page, or as JSON ``{"error": ...}`` with ``as_json``.
    """
    try:
        return respond()
    except service.SearchParamError as exc:
        if as_json:
            return json_error(str(exc), 400)
        last = exc.last if isinstance(exc, service.PastLastPage) else None
        return error_page(request, status=400, message=str(exc), last_page=last)
    except service.SearchUnavailable as exc:
        log_unavailable(exc)
        if as_json:
            return json_error(UNAVAILABLE_JSON, 503)
        return error_page(request, status=503, message="")
