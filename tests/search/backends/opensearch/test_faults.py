"""Faults on the cluster: a node killed mid-work, and the whole cluster out of reach.

The node-kill test really kills (``kill -9``) a node of the local cluster
(``.ci/opensearch``, pids in ``var/opensearch/node-N.pid``) and starts it again, so
it takes a minute or two; the cluster-down test stops the whole cluster
(``.ci/opensearch down``) and starts it again.
"""

import os
import signal
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest
from django.conf import settings

from archive.models import Article, IndexTask, Language
from archive.search import locks
from archive.search.backend import SearchRequest, SearchUnavailable, get_backend
from archive.search.backends.opensearch.client import get_client
from archive.search.facets import Filters
from archive.search.indexer import drain_queue, rebuild
from archive.search.query import parse
from tests.factories import make_archive
from tests.search.backends.opensearch.support import required

pytestmark = [pytest.mark.django_db, pytest.mark.opensearch, pytest.mark.slow]

RUN_DIR = settings.BASE_DIR / "var" / "opensearch"
CLUSTER_SCRIPT = settings.BASE_DIR / ".ci" / "opensearch"
ARTICLES = 400


def _articles(count: int) -> None:
    Article.objects.bulk_create(
        Article(
            title=f"稀土新闻 第{n}篇",
            body=f"包头稀土产业报道，编号 {n}。Rare earth report number {n}.",
            language=Language.SIMPLIFIED,
            external_id=f"fault-{n}",
            fingerprint=f"fp-{n}",
        )
        for n in range(count)
    )


def _total(q: str) -> int:
    request = SearchRequest(query=parse(q), filters=Filters())
    return get_backend().search(request).total


def _drain_until_empty(seconds: float) -> int:
    """The indexer's loop in short: drain, and on a failure try again shortly."""
    deadline = time.monotonic() + seconds
    failures = 0
    while IndexTask.objects.exists():
        try:
            drain_queue()
        except Exception:  # the loop logs it and tries again; the tasks stay
            failures += 1
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    return failures


def _node_to_kill() -> tuple[str, int]:
    """A data node that is not the elected cluster manager (killing that one stops
    writes until it is back, as a two-node cluster cannot elect another): its name, pid."""
    client = get_client()
    manager = client.cat.cluster_manager(format="json")[0]["node"]
    for name in sorted(n["name"] for n in client.cat.nodes(format="json")):
        pid_file = RUN_DIR / f"{name}.pid"
        if name != manager and pid_file.exists():
            return name, int(pid_file.read_text().strip())
    message = f"no pid file in {RUN_DIR} for a node other than {manager}: a cluster .ci/opensearch did not start"
    if required():
        pytest.fail(message)
    pytest.skip(message)


def test_a_killed_node_loses_no_search_and_no_edit(opensearch, client):
    _articles(ARTICLES)
    rebuild()
    cluster = get_client()
    cluster.cluster.health(wait_for_status="green", request_timeout=60)
    assert _total("稀土") == ARTICLES
    name, pid = _node_to_kill()

    answers, errors, stop = [], [], threading.Event()

    def search_all_the_time():
        while not stop.is_set():
            try:
                answers.append(_total("稀土"))
            except SearchUnavailable as error:
                errors.append(error)
            time.sleep(0.05)

    searcher = threading.Thread(target=search_all_the_time, daemon=True)
    searcher.start()
    try:
        time.sleep(1)
        os.kill(pid, signal.SIGKILL)
        # Edits while the node is gone: the single writer applies them (retrying while
        # the cluster promotes replicas), or they stay queued until it can.
        edited = list(Article.objects.order_by("pk")[:50])
        for article in edited:
            article.title = f"{article.title} 钕铁硼"
            article.save()
        failures = _drain_until_empty(120)
        time.sleep(2)
        # /healthz: every shard answers, but a copy of each is missing.
        cluster.cluster.health(wait_for_nodes="1", request_timeout=60)
        with locks.indexer_presence():
            health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["cluster"] == "yellow" and health.json()["nodes"] == 1
        during = len(answers)
        assert _total("钕铁硼") == len(edited)
    finally:
        stop.set()
        searcher.join(10)
    # Every search answered, and every answer was complete (replicas took over).
    assert not errors, errors[:3]
    assert during > 20 and set(answers) == {ARTICLES}
    # The node comes back and catches up: its copies hold the edits too.
    _cluster("up")
    health = cluster.cluster.health(wait_for_status="green", request_timeout=120)
    assert health["status"] == "green" and health["number_of_nodes"] == 2
    nodes = cluster.nodes.info()["nodes"]
    node_id = next(node_id for node_id, node in nodes.items() if node["name"] == name)
    on_returned = cluster.count(
        index=f"{opensearch}-articles",
        body={"query": {"match_phrase": {"grams.bi": "钕铁硼"}}},
        params={"preference": f"_only_nodes:{node_id}"},
    )
    assert on_returned["count"] == len(edited)
    assert on_returned["_shards"]["successful"] == on_returned["_shards"]["total"]
    print(f"node-kill: {during} searches complete, {failures} failed drains retried")


def _cluster(action: str) -> None:
    subprocess.run(["bash", str(CLUSTER_SCRIPT), action], check=True, timeout=600)


@contextmanager
def _stopped_cluster():
    """Every node stopped for the ``with`` block, started again after it (even on failure,
    so the tests after this one have their cluster)."""
    _cluster("down")
    try:
        yield
    finally:
        _cluster("up")


def test_with_the_cluster_down_search_is_503_and_the_rest_works(
    opensearch, client, boss_client, settings
):
    articles = make_archive()
    drain_queue()  # no index yet: builds it on the cluster
    assert client.get("/search/", {"q": "稀土"}).status_code == 200
    _node_to_kill()  # the nodes are the ones .ci/opensearch started (it can stop them)
    with _stopped_cluster():
        for url in ("/search/", "/api/search", "/feeds/search/"):
            response = client.get(url, {"q": "稀土"}, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 503, url
        page = client.get("/search/", {"q": "稀土"}, HTTP_ACCEPT_LANGUAGE="en")
        assert "Search temporarily unavailable" in page.content.decode()
        hans = articles["hans"]
        for url in ("/", f"/articles/{hans.pk}/", "/topics/", "/sources/", "/archive/2021/12/"):
            assert client.get(url).status_code == 200, url
        assert boss_client.get("/admin/archive/article/").status_code == 200
        assert boss_client.get(f"/admin/archive/article/{hans.pk}/change/").status_code == 200
        # An edit is queued; the writer cannot apply it and leaves it queued.
        hans.title = "内蒙古打造钕铁硼交易中心"
        hans.save()
        assert IndexTask.objects.filter(article_id=hans.pk).exists()
        with pytest.raises(Exception):  # noqa: B017 - whatever the client raises, the task stays
            drain_queue()
        assert IndexTask.objects.filter(article_id=hans.pk).exists()
        with locks.indexer_presence():
            health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["index"] == "unavailable" and health.json()["database"] == "ok"

    get_client().cluster.health(wait_for_status="green", request_timeout=120)
    failures = _drain_until_empty(60)  # the writer's retries, as its loop would
    assert failures <= 1
    assert not IndexTask.objects.exists()
    assert _total("钕铁硼") == 1
    with locks.indexer_presence():
        assert client.get("/healthz").status_code == 200
