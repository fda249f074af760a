"""Template context every page needs: the header search box and the canonical URL."""

from django.core.exceptions import DisallowedHost, SuspiciousOperation
from django.http import HttpRequest


def _header_query(request: HttpRequest) -> str:
    """The query to show in the header box on the search page ("" elsewhere)."""
    match = request.resolver_match
    if not match or match.url_name != "search":
        return ""
    try:
        return request.GET.get("q", "")[:200]
    except SuspiciousOperation:  # e.g. too many parameters: the 400 page still renders
        return ""


def site(request: HttpRequest) -> dict:
    try:
        canonical = request.build_absolute_uri(request.path)
    except DisallowedHost:  # the 400 page for a forged Host header must still render
        canonical = request.path
    return {"header_q": _header_query(request), "canonical_url": canonical}
