"""The cluster connection: one client per process, errors sorted into "unavailable"
(a reader sees the 503 page) and "try again" (the writer backs off and retries).

Settings: ``OPENSEARCH_HOSTS`` (every node the client may ask; it moves on to the
next when one stops answering), ``OPENSEARCH_TIMEOUT`` (seconds per request).
"""

import logging
import os
import threading
import time
from collections.abc import Callable

import orjson
from django.conf import settings
from opensearchpy import JSONSerializer, OpenSearch
from opensearchpy.exceptions import ConnectionError as TransportConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from archive.search.backend import SearchUnavailable

# opensearch-py logs every request (INFO) and every failed one with its traceback
# (WARNING): the site logs an unavailable search itself, once a minute.
logging.getLogger("opensearch").setLevel(logging.ERROR)
RETRY_STATUSES = {429, 500, 502, 503, 504}  # overloaded or a node away: worth another try
_clients: dict[tuple, OpenSearch] = {}


class FastJSONSerializer(JSONSerializer):
    """Responses parsed by orjson: a search's thousands of hits parse several times faster
    than with the standard library (requests are still written by the default)."""

    def loads(self, s):
        try:
            return orjson.loads(s)
        except orjson.JSONDecodeError:
            return super().loads(s)  # its own error for what is not JSON


_lock = threading.Lock()


def get_client() -> OpenSearch:
    """This process's client for the configured hosts (a forked worker makes its own)."""
    hosts = tuple(settings.OPENSEARCH_HOSTS)
    key = (os.getpid(), hosts, settings.OPENSEARCH_TIMEOUT)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = OpenSearch(
                list(hosts),
                timeout=settings.OPENSEARCH_TIMEOUT,
                max_retries=len(hosts),  # each other node once, on connection errors
                retry_on_timeout=True,
                retry_on_status=(502, 503, 504),
                http_compress=False,
                serializer=FastJSONSerializer(),
                pool_maxsize=16,  # per node: web threads and the writer share the client
            )
            _clients[key] = client
    return client


def retryable(error: Exception) -> bool:
    """Would the same request likely succeed later (a node restarting, a full queue)?"""
    if isinstance(error, TransportConnectionError):
        return True
    if isinstance(error, TransportError):
        return error.status_code in RETRY_STATUSES or error.status_code == "N/A"
    return False


def reading(call: Callable, *, attempts: int = 4, pause: float = 0.25):
    """Run a read; a missing index or an unreachable cluster is SearchUnavailable.

    A node that just died can fail a request or two while the cluster moves its
    shards' work to their replicas, so transient errors are retried briefly.
    """
    for attempt in range(attempts):
        try:
            return call()
        except NotFoundError as error:
            raise SearchUnavailable(f"the search index does not exist ({error.error})") from error
        except (TransportError, IncompleteResults) as error:
            if attempt + 1 < attempts and (
                isinstance(error, IncompleteResults) or retryable(error)
            ):
                time.sleep(pause * (attempt + 1))
                continue
            raise SearchUnavailable(f"the search cluster cannot answer: {error}") from error
    raise AssertionError("unreachable")  # pragma: no cover


class IncompleteResults(Exception):
    """Some shards did not answer: never show a partial result as if it were whole."""


def checked(response: dict) -> dict:
    """``response`` if every shard answered; IncompleteResults otherwise."""
    shards = response.get("_shards") or {}
    if shards.get("failed") or response.get("timed_out"):
        raise IncompleteResults(f"{shards.get('failed', 0)} of {shards.get('total')} shards failed")
    return response
