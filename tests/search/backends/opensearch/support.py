"""The local OpenSearch cluster for tests: reachable or skipped (failed in CI), and the
site switched to it for one test with its own index names.

``make opensearch-up`` (``.ci/opensearch``) starts the cluster; without it these
tests are skipped locally, and fail when ``ARCHIVE_REQUIRE_OPENSEARCH=1`` (CI).
"""

import os
import uuid
from contextlib import contextmanager

import pytest
from django.conf import settings

ENGINE = "archive.search.backends.opensearch.engine.OpenSearchEngine"
_reachable: dict[tuple, str | None] = {}


def required() -> bool:
    return os.environ.get("ARCHIVE_REQUIRE_OPENSEARCH", "") == "1"


def _problem(hosts: tuple[str, ...]) -> str | None:
    """Why the cluster cannot be used (None when it answers with every node)."""
    from opensearchpy import OpenSearch

    try:
        health = OpenSearch(list(hosts), timeout=5).cluster.health()
    except Exception as error:  # noqa: BLE001 - any failure means "not there"
        return f"no OpenSearch cluster at {', '.join(hosts)} ({error.__class__.__name__}); run `make opensearch-up`"
    if health.get("status") == "red":
        return f"the OpenSearch cluster at {', '.join(hosts)} is red"
    return None


def require_cluster() -> None:
    """Skip (or, in CI, fail) the test when the cluster is not reachable."""
    hosts = tuple(settings.OPENSEARCH_HOSTS)
    if hosts not in _reachable:
        _reachable[hosts] = _problem(hosts)
    problem = _reachable[hosts]
    if problem:
        if required():
            pytest.fail(problem)
        pytest.skip(problem)


def delete_indexes(prefix: str) -> None:
    from archive.search.backends.opensearch.client import get_client

    client = get_client()
    for pattern in (f"{prefix}-articles-*", f"{prefix}-state"):
        client.indices.delete(index=pattern, params={"ignore_unavailable": "true"})


@contextmanager
def opensearch_site(settings, *, prefix: str | None = None):
    """The whole site on the cluster for the ``with`` block, under a fresh index prefix."""
    require_cluster()
    from haystack import connections

    prefix = prefix or f"test-{uuid.uuid4().hex[:10]}"
    settings.ARCHIVE_SEARCH_ENGINE = "opensearch"
    settings.OPENSEARCH_INDEX_PREFIX = prefix
    settings.HAYSTACK_CONNECTIONS = {
        "default": {**settings.HAYSTACK_CONNECTIONS["default"], "ENGINE": ENGINE}
    }
    # haystack keeps the dict it read at import (settings changes do not reach it).
    previous = connections.connections_info
    connections.connections_info = settings.HAYSTACK_CONNECTIONS
    connections.reload("default")
    try:
        yield prefix
    finally:
        from archive.search.backends.opensearch import vocabularies

        vocabularies.wait_for_reread()  # a writer's reread of these indexes ends first
        delete_indexes(prefix)
        connections.connections_info = previous
        connections.reload("default")
