"""The live index's vocabulary, kept in the cluster for every web worker.

Reading the vocabulary from the index is a pass of terms aggregations over every
article's words (about 20 s at 250,000 articles), and every worker of every web
node needed it soon after its start (pinyin, suggestions). So the single writer
reads it once: after each build, and after edits when the copy kept is older
than ``VOCABULARY_SECONDS``. It keeps it as one document beside the state
document (about 1.2 MB compressed for 300,000 words). A reader loads that copy
when it was read from the live index, even some batches behind; only without one
does it read the index itself.

After edits the reread runs in a thread of the writer's process, so the next
batches do not wait for it (about a minute at 250,000 articles on a busy
cluster), and it is written only if no other copy was kept meanwhile (a rebuild's,
of the new index).
"""

import base64
import logging
import math
import threading
import time
import zlib
from dataclasses import dataclass

from opensearchpy.exceptions import ConflictError

from archive.search.vocabulary import Vocabulary

from .client import checked

logger = logging.getLogger(__name__)

VOCABULARY_SECONDS = 300  # the most an edit's new words wait to reach pinyin and suggestions
VOCABULARY_PARTITION = 20000  # words per terms aggregation while reading the vocabulary
KEEP_TIMEOUT = 300  # seconds the writer waits for each aggregation (a busy cluster is slow)
WORD_FIELDS = ("title_words", "body_words")
DOCUMENT_ID = "vocabulary"


@dataclass(frozen=True)
class Kept:
    """The copy kept in the cluster: read from ``index`` after ``changes`` batches."""

    index: str
    changes: int
    saved: float  # when it was read (seconds since the epoch, the writer's clock)
    vocabulary: Vocabulary | None  # None when only the description was loaded
    version: tuple[int, int] | None = None  # the document's (seq_no, primary_term)

    def serves(self, index: str, changes: int, *, now: float | None = None) -> bool:
        """Does it stand for the vocabulary of ``index`` after ``changes`` batches?"""
        age = (now if now is not None else time.time()) - self.saved
        return self.index == index and (self.changes == changes or age < VOCABULARY_SECONDS)


def read_from_index(client, index: str, *, timeout: float | None = None) -> Vocabulary:
    """Every word of both word fields of ``index`` (or alias) with its article count
    (the larger of the two): terms aggregations, a partition at a time, each waited
    for ``timeout`` seconds (None: the client's own)."""
    merged: dict[str, int] = {}
    for field in WORD_FIELDS:
        for word, count in _field_words(client, index, field, timeout):
            if count > merged.get(word, 0):
                merged[word] = count
    return Vocabulary(merged)


def _field_words(client, index: str, field: str, timeout) -> list[tuple[str, int]]:
    params = {} if timeout is None else {"request_timeout": timeout}
    body = {"size": 0, "aggs": {"n": {"cardinality": {"field": field}}}}
    estimate = checked(client.search(index=index, body=body, **params))
    estimate = estimate["aggregations"]["n"]["value"]
    partitions = max(1, math.ceil(estimate * 1.3 / VOCABULARY_PARTITION))
    while True:
        words, complete = [], True
        for partition in range(partitions):
            terms = {
                "field": field,
                "include": {"partition": partition, "num_partitions": partitions},
                "size": VOCABULARY_PARTITION,
                "shard_size": VOCABULARY_PARTITION,
            }
            body = {"size": 0, "aggs": {"words": {"terms": terms}}}
            result = checked(client.search(index=index, body=body, **params))
            result = result["aggregations"]["words"]
            if result.get("sum_other_doc_count"):  # a partition held more than its size
                complete = False
                break
            words.extend((b["key"], b["doc_count"]) for b in result["buckets"])
        if complete:
            return words
        partitions *= 2


def encode(vocabulary: Vocabulary) -> str:
    lines = "\n".join(f"{word}\t{count}" for word, count in vocabulary.items())
    return base64.b64encode(zlib.compress(lines.encode("utf-8"), 6)).decode("ascii")


def decode(payload: str) -> Vocabulary:
    counts: dict[str, int] = {}
    text = zlib.decompress(base64.b64decode(payload)).decode("utf-8")
    for line in text.split("\n") if text else ():
        word, _tab, count = line.rpartition("\t")
        counts[word] = int(count)
    return Vocabulary(counts)


def load(client, *, store: str, words: bool = True) -> Kept | None:
    """The copy kept in the index ``store`` (without its words unless ``words``), None if
    there is none or it cannot be read."""
    try:
        found = client.get(
            index=store,
            id=DOCUMENT_ID,
            params={} if words else {"_source_excludes": "words"},
        )
    except Exception:  # no copy, or no cluster: the caller reads the index itself
        logger.debug("opensearch: no vocabulary kept", exc_info=True)
        return None
    source = found.get("_source") or {}
    try:
        return Kept(
            index=source["index"],
            changes=int(source["changes"]),
            saved=float(source["saved"]),
            vocabulary=decode(source["words"]) if words else None,
            version=(found["_seq_no"], found["_primary_term"]) if "_seq_no" in found else None,
        )
    except (KeyError, ValueError, zlib.error):
        logger.warning("opensearch: the vocabulary kept is unreadable; reading the index")
        return None


ANY = object()  # ``keep`` over whatever copy there is (a build's own vocabulary)


def keep(client, *, store: str, index: str, changes: int, replacing=ANY) -> int:
    """Read the vocabulary of ``index`` and keep it in ``store``; returns its words.

    ``replacing``: the ``Kept`` copy this one may replace, so a copy another writer kept
    meanwhile stays (``ConflictError``); ``ANY``: whatever is there."""
    saved = time.time()
    vocabulary = read_from_index(client, index, timeout=KEEP_TIMEOUT)
    body = {"index": index, "changes": changes, "saved": saved, "words": encode(vocabulary)}
    params = {}
    if replacing is not ANY and replacing.version is not None:
        params = {"if_seq_no": replacing.version[0], "if_primary_term": replacing.version[1]}
    client.index(
        index=store, id=DOCUMENT_ID, body=body, params=params, request_timeout=KEEP_TIMEOUT
    )
    return len(vocabulary.words)


def keep_quietly(client, *, store: str, index: str, changes: int, replacing=ANY) -> None:
    """``keep``, logging instead of raising: readers can always read the index."""
    started = time.monotonic()
    try:
        words = keep(client, store=store, index=index, changes=changes, replacing=replacing)
    except ConflictError:
        logger.info("opensearch: a newer vocabulary was kept meanwhile; %s's is dropped", index)
        return
    except Exception:
        logger.warning("opensearch: could not keep the vocabulary of %s", index, exc_info=True)
        return
    logger.info(
        "opensearch: kept the vocabulary of %s (%d words, %.1f s)",
        index,
        words,
        time.monotonic() - started,
    )


_rereading: threading.Thread | None = None  # this process's reread after edits
_rereading_lock = threading.Lock()


def keep_if_stale(client, *, store: str, index: str, changes: int) -> None:
    """After a batch: when the copy no longer serves, keep the vocabulary again in a
    background thread (one at a time; the batch does not wait for it)."""
    global _rereading
    kept = load(client, store=store, words=False)
    if kept is not None and kept.serves(index, changes):
        if kept.changes != changes:  # recent, but behind: look again once it is not recent
            _look_again(client, store=store, index=index, changes=changes, after=kept.saved)
        return
    with _rereading_lock:
        if _rereading is not None and _rereading.is_alive():
            return  # the reread under way; a batch after it checks again
        _rereading = threading.Thread(
            target=keep_quietly,
            args=(client,),
            kwargs={
                "store": store,
                "index": index,
                "changes": changes,
                "replacing": ANY if kept is None else kept,  # none, or none readable
            },
            name="keep-vocabulary",
            daemon=True,  # a writer that exits leaves the previous copy, still valid
        )
        _rereading.start()


_later: dict = {}  # the batch a pending look again is for, and its timer


def _look_again(client, *, store: str, index: str, changes: int, after: float) -> None:
    """Check the copy again ``VOCABULARY_SECONDS`` after ``after`` (when it was read), for
    the latest batch, so the words of the last edits reach readers with no further edit."""
    with _rereading_lock:
        _later["batch"] = {"store": store, "index": index, "changes": changes}
        pending = _later.get("timer")
        if pending is not None and pending.is_alive() and pending is not threading.current_thread():
            return
        delay = max(0.0, after + VOCABULARY_SECONDS - time.time()) + 1.0
        timer = threading.Timer(delay, lambda: keep_if_stale(client, **_later["batch"]))
        timer.daemon = True
        _later["timer"] = timer
        timer.start()


def wait_for_reread(timeout: float | None = None) -> None:
    """Wait for this process's reread after edits, if one runs, and drop a pending look
    again (tests, a clean stop)."""
    timer = _later.get("timer")
    if timer is not None:
        timer.cancel()
    thread = _rereading
    if thread is not None:
        thread.join(timeout)
