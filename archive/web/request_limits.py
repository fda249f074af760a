"""A request line longer than gunicorn used to accept gets a friendly 414 page.

gunicorn runs with ``limit_request_line = 0`` (it accepts lines up to 1 MB), so
its bare "Request Line is too large" never reaches a reader; this middleware
answers, in the reader's language, for lines over ``MAX_REQUEST_LINE`` (the
limit gunicorn had before). nginx in front refuses still longer ones itself.
"""

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

MAX_REQUEST_LINE = 4094  # characters of "GET /search/?q=… HTTP/1.1", as gunicorn counted


def request_line_length(request: HttpRequest) -> int:
    """Length of the request line: method, target (as sent when known) and protocol."""
    meta = request.META
    target = meta.get("RAW_URI") or meta.get("REQUEST_URI") or request.get_full_path()
    method = meta.get("REQUEST_METHOD", "GET")
    return len(method) + len(target) + len(meta.get("SERVER_PROTOCOL", "HTTP/1.1")) + 2


def too_long_page(request: HttpRequest) -> HttpResponse:
    """The 414 page: why, and a search box holding the start of the query (JSON for the API)."""
    if request.path.startswith("/api/"):
        message = _("The address is longer than %(n)s characters.") % {"n": MAX_REQUEST_LINE}
        return JsonResponse({"error": message}, status=414)
    try:
        q = request.GET.get("q", "")[:200]
    except SuspiciousOperation:  # too many parameters to even read the query
        q = ""
    context = {
        "max_length": MAX_REQUEST_LINE,
        "q": q,
        "canonical_url": "",
        "language_next": request.path if len(request.path) <= 200 else "/",
    }
    return render(request, "414.html", context, status=414)


class RequestLineLimitMiddleware:
    """Answer 414 before any view reads a request line over ``MAX_REQUEST_LINE``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_line_length(request) > MAX_REQUEST_LINE:
            return too_long_page(request)
        return self.get_response(request)
