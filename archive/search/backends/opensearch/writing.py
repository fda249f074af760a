"""Writing the cluster: versioned indexes behind one alias, batches, rebuilds, upkeep.

The live index is whichever ``<prefix>-articles-<time>`` the alias
``<prefix>-articles`` names. A rebuild fills a new index with bulk requests
(no refreshes and no replicas while it fills), checks its count, gives it its
replicas, then moves the alias in one atomic ``_aliases`` call and deletes the
old index: readers never see a half index. A small ``<prefix>-state`` index
(a copy on every node) holds the live index's name and a change counter, which
every committed batch increments, so ``generation()`` (and every cache keyed on
it) follows edits with one realtime GET that any node can answer.

Bulk requests are retried on 429, 5xx and connection errors for up to
``RETRY_SECONDS``; then the batch raises, and the index queue keeps its tasks.
"""

import logging
import multiprocessing
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice

from django.conf import settings
from opensearchpy.exceptions import NotFoundError, TransportError

from archive.search.backend import Batch, SearchUnavailable

from . import vocabularies
from .client import get_client, retryable
from .mapping import index_fields, index_mappings, index_settings

logger = logging.getLogger(__name__)

CHUNK_DOCUMENTS = 500  # documents per bulk request
PARALLEL_FROM = 5000  # documents; below this one analysing process is faster
RETRY_SECONDS = 30.0  # how long a bulk request is retried before the batch fails
# How long a rebuild waits for its replicas before going live anyway: the cluster's
# own limit for a health request (the client spends ``timeout`` on its read timeout).
GREEN_SECONDS = 30
STATE_ID = "articles"


def alias_name() -> str:
    return f"{settings.OPENSEARCH_INDEX_PREFIX}-articles"


def state_index() -> str:
    return f"{settings.OPENSEARCH_INDEX_PREFIX}-state"


def _new_index_name() -> str:
    return f"{alias_name()}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"


def live_indexes(client=None) -> list[str]:
    """The concrete indexes the alias names (one, or none without an index)."""
    client = client or get_client()
    try:
        return sorted(client.indices.get_alias(name=alias_name()))
    except NotFoundError:
        return []


def own_indexes(client=None) -> list[str]:
    """Every index this archive's prefix ever created (live, previous, partial)."""
    client = client or get_client()
    try:
        return sorted(client.indices.get(index=f"{alias_name()}-*", expand_wildcards="all"))
    except NotFoundError:
        return []


def read_state(client=None) -> dict | None:
    """The state document (live index name, change counter), None before the first build."""
    client = client or get_client()
    try:
        return client.get(index=state_index(), id=STATE_ID, realtime=True)["_source"]
    except NotFoundError:
        return None


_generation_lock = threading.Lock()
_generations: dict[tuple, tuple[float, tuple]] = {}  # (pid, hosts, prefix) -> (expires, key)
GENERATION_SECONDS = 0.5  # how long a process reuses the generation it read


def _generation_slot() -> tuple:
    return (os.getpid(), tuple(settings.OPENSEARCH_HOSTS), settings.OPENSEARCH_INDEX_PREFIX)


def cached_generation(read: Callable[[], tuple]) -> tuple:
    """The generation, read at most every ``GENERATION_SECONDS`` per process: a search
    asks for it several times (results, pinyin, suggestions), and another process's
    edit shows that much later at most. This process's own writes are seen at once."""
    slot = _generation_slot()
    now = time.monotonic()
    with _generation_lock:
        held = _generations.get(slot)
    if held is not None and held[0] > now:
        return held[1]
    key = read()
    with _generation_lock:
        _generations[slot] = (now + GENERATION_SECONDS, key)
    return key


def _forget_generation() -> None:
    with _generation_lock:
        _generations.pop(_generation_slot(), None)


def _write_state(client, index: str, changes: int) -> None:
    _ensure_state_index(client)
    try:
        _retrying(
            lambda: client.index(
                index=state_index(),
                id=STATE_ID,
                body={"index": index, "changes": changes},
                refresh="true",
            )
        )
    finally:
        _forget_generation()


def _ensure_state_index(client) -> None:
    """The state index (one shard, a copy on every node, nothing of it searchable)."""
    if not client.indices.exists(index=state_index()):
        try:
            client.indices.create(
                index=state_index(),
                body={
                    "settings": {"index": {"number_of_shards": 1, "auto_expand_replicas": "0-all"}},
                    "mappings": {"dynamic": False, "properties": {}},
                },
            )
        except TransportError as error:
            if error.error != "resource_already_exists_exception":
                raise


def _retrying(call: Callable, *, seconds: float = RETRY_SECONDS):
    deadline = time.monotonic() + seconds
    pause = 0.25
    while True:
        try:
            return call()
        except TransportError as error:
            if not retryable(error) or time.monotonic() + pause > deadline:
                raise
            logger.warning("opensearch: %s; retrying in %.1fs", error, pause)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _send(client, actions: list[dict], *, index: str) -> None:
    """One bulk request (``actions`` alternate action lines and sources); failed items
    that may succeed later are sent again until ``RETRY_SECONDS`` pass."""
    deadline = time.monotonic() + RETRY_SECONDS
    pause = 0.25
    pending = actions
    while pending:
        try:
            response = client.bulk(body=pending, index=index)
        except TransportError as error:
            if not retryable(error) or time.monotonic() + pause > deadline:
                raise
            logger.warning("opensearch: bulk request failed (%s); retrying in %.1fs", error, pause)
        else:
            if not response.get("errors"):
                return
            pending, fatal = _failed_items(pending, response["items"])
            if fatal:
                raise RuntimeError(f"opensearch refused a document: {fatal}")
            if not pending:
                return
            if time.monotonic() + pause > deadline:
                raise SearchUnavailable(f"opensearch kept refusing {len(pending) // 2} changes")
            logger.warning("opensearch: %d changes to retry", len(pending) // 2)
        time.sleep(pause)
        pause = min(pause * 2, 5.0)


def _failed_items(actions: list[dict], items: list[dict]) -> tuple[list[dict], str | None]:
    """(the actions to send again, the first error no retry can fix)."""
    again: list[dict] = []
    at = 0
    for item in items:
        kind, result = next(iter(item.items()))
        size = 1 if kind == "delete" else 2
        line = actions[at : at + size]
        at += size
        status = result.get("status", 200)
        if status < 300 or (kind == "delete" and status == 404):
            continue
        if status in (429, 500, 502, 503, 504):
            again.extend(line)
            continue
        return again, f"{result.get('_id')}: {result.get('error')}"
    return again, None


def _actions(document: dict | None, article_id: int) -> list[dict]:
    if document is None:
        return [{"delete": {"_id": str(article_id)}}]
    return [{"index": {"_id": str(article_id)}}, index_fields(document)]


class ClusterBatch(Batch):
    """Changes held in memory; sent, refreshed and counted when the block ends."""

    def __init__(self):
        self.changes: dict[int, dict | None] = {}

    def update(self, document: dict) -> None:
        self.changes[int(document["id"])] = document

    def delete(self, article_id: int) -> None:
        self.changes[int(article_id)] = None


@contextmanager
def live_batch():
    client = get_client()
    live = live_indexes(client)
    if not live:
        raise SearchUnavailable("the search index has not been built")
    batch = ClusterBatch()
    yield batch
    if not batch.changes:
        return
    index = live[0]
    items = list(batch.changes.items())
    for start in range(0, len(items), CHUNK_DOCUMENTS):
        actions = [
            line
            for article_id, document in items[start : start + CHUNK_DOCUMENTS]
            for line in _actions(document, article_id)
        ]
        _send(client, actions, index=index)
    _retrying(lambda: client.indices.refresh(index=index))
    state = read_state(client) or {}
    changes = state.get("changes", 0) + 1 if state.get("index") == index else 1
    _write_state(client, index, changes)
    vocabularies.keep_if_stale(client, store=state_index(), index=index, changes=changes)


def _chunks(documents: Iterable[dict], size: int):
    iterator = iter(documents)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _analysed(chunk: list[dict]) -> list[dict]:
    """The bulk lines of a chunk of documents (run in the analysis processes)."""
    return [line for doc in chunk for line in _actions(doc, int(doc["id"]))]


def _analysed_chunks(documents: Iterable[dict], procs: int):
    """(documents, their bulk lines), a chunk at a time, analysed by ``procs`` processes.

    Documents are read here (the database connection stays in this process and
    thread); only the analysis (jieba, stemming, folding) is spread out.
    """
    chunks = _chunks(documents, CHUNK_DOCUMENTS)
    if procs <= 1:
        yield from ((len(chunk), _analysed(chunk)) for chunk in chunks)
        return
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        waiting: deque = deque()  # (documents, their lines to come), oldest first
        for chunk in chunks:
            waiting.append((len(chunk), pool.apply_async(_analysed, (chunk,))))
            if len(waiting) > procs * 2:  # the processes stay busy while we send
                count, lines = waiting.popleft()
                yield count, lines.get()
        while waiting:
            count, lines = waiting.popleft()
            yield count, lines.get()


def build_index(
    documents: Iterable[dict],
    *,
    expected: int,
    progress: Callable[[int], None] | None = None,
    procs: int | None = None,
) -> int:
    """Fill a new index, check it, make it live and drop the old one; returns documents written.

    ``procs``: processes analysing documents (default: 2 from ``PARALLEL_FROM``
    documents, as the embedded engine's writer).
    """
    if procs is None:
        procs = min(2, os.cpu_count() or 1) if expected >= PARALLEL_FROM else 1
    client = get_client()
    name = _new_index_name()
    client.indices.create(
        index=name, body={"settings": index_settings(building=True), "mappings": index_mappings()}
    )
    written = 0
    try:
        analysed = _analysed_chunks(documents, procs)
        # Analysis (Python) and the previous bulk request (the cluster) run side by side.
        with ThreadPoolExecutor(max_workers=1) as sender:
            pending = None
            for count, actions in analysed:
                if pending is not None:
                    pending.result()
                pending = sender.submit(_send, client, actions, index=name)
                written += count
                if progress is not None and (
                    written % 5000 < CHUNK_DOCUMENTS or written == expected
                ):
                    progress(written)
            if pending is not None:
                pending.result()
        _go_live(client, name, written)
    except BaseException:
        _drop(client, name)
        raise
    return written


def _go_live(client, name: str, written: int) -> None:
    client.indices.put_settings(index=name, body={"index": {"refresh_interval": "1s"}})
    client.indices.refresh(index=name)
    count = client.count(index=name)["count"]
    if count != written:
        raise RuntimeError(f"the new index holds {count} documents, {written} were written")
    # Once for every web worker, which would each read it soon after starting; before the
    # replicas are copied, which keeps the cluster busy. It serves once the alias moves.
    _ensure_state_index(client)
    vocabularies.keep_quietly(client, store=state_index(), index=name, changes=0)
    client.indices.put_settings(
        index=name, body={"index": {"number_of_replicas": settings.OPENSEARCH_REPLICAS}}
    )
    health = client.cluster.health(
        index=name,
        wait_for_status="green",
        request_timeout=GREEN_SECONDS + 10,
        params={"ignore": 408},
    )
    if health.get("status") not in ("green", "yellow"):
        raise RuntimeError(f"the new index is {health.get('status')}: its shards are not all up")
    if health.get("status") != "green":
        logger.warning("opensearch: %s goes live without all its replicas (%s)", name, health)
    previous = _swap(client, name)
    for old in own_indexes(client):
        if old != name:
            _drop(client, old)
    del previous


def _swap(client, name: str) -> list[str]:
    """Point the alias at ``name`` in one atomic step; returns the indexes it named before."""
    previous = live_indexes(client)
    actions = [{"remove": {"index": old, "alias": alias_name()}} for old in previous]
    actions.append({"add": {"index": name, "alias": alias_name()}})
    client.indices.update_aliases(body={"actions": actions})
    _write_state(client, name, 0)
    return previous


def _drop(client, name: str) -> None:
    try:
        client.indices.delete(index=name, params={"ignore_unavailable": "true"})
    except Exception:  # a leftover index is deleted by the next build
        logger.warning("opensearch: could not delete index %s", name, exc_info=True)


def clear() -> None:
    """Make a new empty index live; the previous one stays until the next build."""
    client = get_client()
    name = _new_index_name()
    client.indices.create(
        index=name, body={"settings": index_settings(), "mappings": index_mappings()}
    )
    client.cluster.health(
        index=name,
        wait_for_status="yellow",
        request_timeout=GREEN_SECONDS + 10,
        params={"ignore": 408},
    )
    previous = _swap(client, name)
    for old in own_indexes(client):
        if old != name and old not in previous:
            _drop(client, old)
    vocabularies.keep_quietly(client, store=state_index(), index=name, changes=0)


def merge(*, full: bool | None = None) -> str:
    """Expunge deleted documents when they pass 20% of the index (or when ``full``)."""
    client = get_client()
    live = live_indexes(client)
    if not live:
        return "index: nothing to merge (no index)"
    stats = client.indices.stats(index=live[0], metric="docs")["_all"]["primaries"]["docs"]
    deleted, count = stats.get("deleted", 0), stats.get("count", 0)
    if full is None:
        full = deleted > 0.2 * max(count + deleted, 1)
    if not full:
        return f"index: {deleted} deleted of {count + deleted} documents; no merge needed"
    client.indices.forcemerge(index=live[0], only_expunge_deletes=True, request_timeout=3600)
    return f"index: merged {live[0]}, {deleted} deleted documents expunged"
