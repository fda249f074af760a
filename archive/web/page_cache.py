"""Whole pages cached as HTML; each reader's own CSRF token is put back on the way out.

Pages live in the ``pages`` cache, which all web workers share (a page rendered
by one is served by the others, and survives their restarts). The language
switch in every page's header is a POST form with a CSRF token, which differs
per reader; a cached page holds a placeholder in its place. The placeholder is
derived from SECRET_KEY, so text inside an article cannot guess it and have a
reader's token written into the page where the article wants it.
"""

import hashlib
import hmac
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

logger = logging.getLogger(__name__)


def csrf_placeholder() -> str:
    """A token-shaped string no article can contain by chance or design."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"page-cache-csrf", hashlib.sha256)
    return "csrf" + digest.hexdigest()


def page_key(request: HttpRequest, parts: tuple) -> str:
    """Cache key: the page's own ``parts`` plus its address and the interface language.

    The address without its query string: the view names in ``parts`` every
    parameter the page reads, so parameters it ignores (``?utm_source=``,
    ``?x=1``, ``?x=2``...) share one entry instead of each writing a new one.
    """
    whole = (request.build_absolute_uri(request.path), get_language(), *parts)
    return "page:" + hashlib.sha1(repr(whole).encode()).hexdigest()


def cached_page(request: HttpRequest, parts: tuple, render: Callable[[dict], str]) -> HttpResponse:
    """The page for ``parts``, rendered by ``render(extra_context)`` on a miss.

    ``parts`` must name everything the page shows besides its address (without
    the query string) and language: for an article, its validated ``script``,
    edit stamp, topics and the index generation.
    """
    key = page_key(request, parts)
    placeholder = csrf_placeholder()
    try:
        html = caches["pages"].get(key)
    except Exception as exc:  # noqa: BLE001  (no usable folder, a damaged file: render afresh)
        logger.warning("page cache unreadable: %s", exc)
        html = None
    if html is None:
        html = render({"csrf_token": placeholder})
        try:
            caches["pages"].set(key, html)
        except OSError as exc:  # full disk, read-only folder: serve the page uncached
            logger.warning("page cache not written: %s", exc)
    return HttpResponse(html.replace(placeholder, get_token(request)))
