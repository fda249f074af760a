"""Writing Whoosh generations: batches on the live one, whole new ones, merges.

Called only through the backend by ``archive.search.indexer``, which holds the
writer lock.
"""

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from whoosh.index import LockError
from whoosh.writing import MERGE_SMALL

from archive.search.backend import Batch
from archive.search.backends.whoosh import postings, storage
from archive.search.backends.whoosh.schema import ArchiveCodec, build_schema, whoosh_fields

logger = logging.getLogger(__name__)

WRITER_TIMEOUT = 10.0  # seconds to wait for Whoosh's own lock inside ours
PARALLEL_FROM = 5000  # documents; below this a single-process writer is faster
RECLAIM_DELETED_FROM = 0.2  # share of deleted documents that makes the merge a full one

# How every segment is written. Separate files, not Whoosh's "compound" segment
# file: opening a compound segment copies it whole into the reading process's
# memory (BytesIO over the mmap), so each web worker would hold the entire index;
# separate files are read through the OS page cache, shared by all processes.
WRITER_OPTIONS = {"codec": ArchiveCodec(), "compound": False}


def _writer(ix, **kwargs):
    """A Whoosh writer, retried a few times if something outside us holds its lock."""
    for attempt in range(3):
        try:
            return ix.writer(timeout=WRITER_TIMEOUT, **WRITER_OPTIONS, **kwargs)
        except LockError:
            if attempt == 2:
                raise
            logger.warning("Whoosh write lock busy, retrying")
            time.sleep(1.0)
    raise AssertionError("unreachable")


class _WhooshBatch(Batch):
    def __init__(self, writer):
        self.writer = writer

    def update(self, document: dict) -> None:
        self.writer.update_document(**whoosh_fields(document))

    def delete(self, article_id: int) -> None:
        self.writer.delete_by_term("id", str(article_id))


@contextmanager
def live_batch():
    """One writer and one commit on the live generation."""
    ix = storage.open_current()
    try:
        writer = _writer(ix)
        try:
            yield _WhooshBatch(writer)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    finally:
        ix.close()


def build_generation(
    documents: Iterable[dict],
    *,
    expected: int,
    progress: Callable[[int], None] | None = None,
    procs: int | None = None,
    limitmb: int = 256,
) -> int:
    """Write ``documents`` into a new generation, check it holds them all, then publish it.

    ``expected`` (how many there were when the rebuild began) decides whether to
    write with two processes; articles added meanwhile are written too.
    """
    storage.discard_unpublished()
    path, ix = storage.new_generation()
    written = 0
    try:
        kwargs = {"limitmb": limitmb, **WRITER_OPTIONS}
        if procs is None:
            procs = 2 if expected >= PARALLEL_FROM else 1
        if procs > 1:
            kwargs.update(procs=procs, multisegment=True)
        writer = ix.writer(**kwargs)
        try:
            for document in documents:
                writer.add_document(**whoosh_fields(document))
                written += 1
                if progress is not None and written % 1000 == 0:
                    progress(written)
            if progress is not None and written % 1000:
                progress(written)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        with ix.searcher() as searcher:
            count = searcher.doc_count()
        if count != written:
            raise RuntimeError(f"new index holds {count} documents, expected {written}")
    except BaseException:
        ix.close()
        storage.discard(path)
        raise
    ix.close()
    storage.publish(path)
    return written


def clear() -> None:
    """Publish an empty generation; the one before stays as PREVIOUS for readers."""
    storage.discard_unpublished()
    path, ix = storage.new_generation()
    ix.close()
    storage.publish(path)


def merge(*, full: bool | None = None) -> str:
    """Merge small segments (Whoosh's MERGE_SMALL, cheap), or all of them when deleted
    documents pass ``RECLAIM_DELETED_FROM`` of the index (or ``full`` says so): at
    61k articles a full merge takes minutes and holds the index lock, so doing it
    after every few hundred edits would stall every other writer."""
    ix = storage.open_current()
    try:
        with ix.reader() as reader:
            total, live = reader.doc_count_all(), reader.doc_count()
        if full is None:
            full = total > 0 and (total - live) > total * RECLAIM_DELETED_FROM
        writer = _writer(ix)
        if full:
            writer.commit(optimize=True)
        else:
            writer.commit(mergetype=MERGE_SMALL)
    finally:
        ix.close()
    if full:
        return f"index: merged all segments ({total - live} deleted documents dropped)"
    return "index: merged small segments"


def indexed_ids(searcher) -> set[int]:
    """Article ids of the live (not deleted) documents a searcher sees."""
    reader = searcher.reader()
    if not reader.doc_count():
        return set()  # an empty index's reader has no columns
    column = reader.column_reader("id")
    return {int(column[docnum]) for docnum in reader.all_doc_ids()}


def schema_is_current(schema) -> bool:
    """Does an index's schema have this version's fields and storage formats?"""
    expected = build_schema()
    return set(schema.names()) == set(expected.names()) and all(
        type(schema[name].format) is type(expected[name].format) for name in expected.names()
    )


def index_is_current(ix) -> bool:
    """Was the index written by this version: its schema, and every segment's postings?"""
    if not schema_is_current(ix.schema):
        return False
    with ix.reader() as reader:
        return all(
            postings.segment_version(leaf.segment()) == postings.VERSION
            for leaf, _offset in reader.leaf_readers()
            if leaf.segment() is not None
        )
