"""The only code that writes the index: queue draining, full rebuilds, full updates.

Every writer takes ``storage.writer_lock`` first, so web processes never write and
two indexers never interleave. Queue rows are deleted only after the index commit
that applied them: a killed indexer loses nothing, the rows are applied again.
"""

import logging
import time

from whoosh.index import LockError

from archive.models import Article, IndexTask
from archive.search import postings, storage
from archive.search.schema import ArchiveCodec, article_document, build_schema

logger = logging.getLogger(__name__)

WRITER_TIMEOUT = 10.0  # seconds to wait for Whoosh's own lock inside ours
LOCK_TIMEOUT = 60.0  # seconds a drain waits for another indexer (e.g. a rebuild)
PARALLEL_FROM = 5000  # articles; below this a single-process writer is faster
BULK_REBUILD_FROM = 5000  # queued changes; a fresh build beats this many updates
COMMIT_EVERY = 10  # batches per index commit while draining


# How every segment is written. Separate files, not Whoosh's "compound" segment
# file: opening a compound segment copies it whole into the reading process's
# memory (BytesIO over the mmap), so each web worker would hold the entire index;
# separate files are read through the OS page cache, shared by all processes.
WRITER_OPTIONS = {"codec": ArchiveCodec(), "compound": False}


def _articles():
    return Article.objects.select_related("source", "source__merged_into").prefetch_related(
        "tags", "tags__merged_into"
    )


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


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


def _apply(writer, article_ids: set[int]) -> tuple[int, int]:
    """Write current documents for ``article_ids``; delete those no longer in the DB."""
    updated = 0
    found = set()
    ids = sorted(article_ids)
    for start in range(0, len(ids), 500):
        for article in _articles().filter(pk__in=ids[start : start + 500]):
            writer.update_document(**article_document(article))
            found.add(article.pk)
            updated += 1
    deleted = 0
    for pk in article_ids - found:
        writer.delete_by_term("id", str(pk))
        deleted += 1
    return updated, deleted


def drain_queue(*, batch_size: int = 500, stdout=None) -> int:
    """Apply pending IndexTask rows to the live index; returns how many rows were applied.

    Builds the whole index instead if none exists yet, or if so much is queued
    (a bulk import) that a fresh build is faster. Rows are deleted only after the
    commit that applied them. If another indexer holds the lock for longer than
    LOCK_TIMEOUT, IndexBusy is raised and the rows stay queued.
    """
    pending = IndexTask.objects.count()
    if storage.current_dir() is None:
        rebuild(stdout=stdout)
        return pending - IndexTask.objects.count()
    if pending >= BULK_REBUILD_FROM and pending >= Article.objects.count() // 2:
        _say(stdout, f"index: {pending} changes queued; rebuilding instead")
        rebuild(stdout=stdout)
        return pending - IndexTask.objects.count()
    applied = 0
    with storage.writer_lock(timeout=LOCK_TIMEOUT):
        ix = storage.open_current()
        try:
            while True:
                tasks = list(IndexTask.objects.order_by("id")[: batch_size * COMMIT_EVERY])
                if not tasks:
                    break
                writer = _writer(ix)
                try:
                    updated, deleted = _apply(writer, {t.article_id for t in tasks})
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
                done = [t.pk for t in tasks]
                for start in range(0, len(done), 500):
                    IndexTask.objects.filter(pk__in=done[start : start + 500]).delete()
                applied += len(tasks)
                _say(stdout, f"index: {updated} updated, {deleted} removed")
        finally:
            ix.close()
    return applied


def rebuild(*, stdout=None, procs: int | None = None, limitmb: int = 256, batch: int = 1000) -> int:
    """Build a complete new index generation, validate it, then swap it in atomically.

    Returns the number of documents. The live index keeps serving until the swap;
    if anything fails (or the process is killed) the new generation is discarded.
    """
    with storage.writer_lock():
        return _rebuild_locked(stdout=stdout, procs=procs, limitmb=limitmb, batch=batch)


def _rebuild_locked(*, stdout, procs, limitmb, batch) -> int:
    storage.discard_unpublished()
    last_task = IndexTask.objects.order_by("-id").values_list("id", flat=True).first() or 0
    total = Article.objects.count()
    if procs is None:
        procs = 2 if total >= PARALLEL_FROM else 1
    path, ix = storage.new_generation()
    started = time.monotonic()
    written = 0
    try:
        kwargs = {"limitmb": limitmb, **WRITER_OPTIONS}
        if procs > 1:
            kwargs.update(procs=procs, multisegment=True)
        writer = ix.writer(**kwargs)
        try:
            last_pk = 0
            while True:
                chunk = list(_articles().filter(pk__gt=last_pk).order_by("pk")[:batch])
                if not chunk:
                    break
                for article in chunk:
                    writer.add_document(**article_document(article))
                written += len(chunk)
                last_pk = chunk[-1].pk
                elapsed = time.monotonic() - started
                _say(
                    stdout,
                    f"rebuild: {written}/{total} articles ({written / max(elapsed, 1e-6):.0f}/s)",
                )
        except BaseException:
            writer.cancel()
            raise
        _say(stdout, "rebuild: committing…")
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
    # Changes queued before we started reading are in this build.
    IndexTask.objects.filter(id__lte=last_task).delete()
    elapsed = time.monotonic() - started
    _say(
        stdout,
        f"rebuild: {written} articles indexed in {elapsed:.1f}s "
        f"({written / max(elapsed, 1e-6):.0f}/s); now live",
    )
    return written


def update_all(*, stdout=None, batch: int = 1000) -> tuple[int, int]:
    """Rewrite every article's document in the live index and drop documents without one."""
    if storage.current_dir() is None:
        return rebuild(stdout=stdout), 0
    with storage.writer_lock(timeout=LOCK_TIMEOUT):
        ix = storage.open_current()
        try:
            with ix.searcher() as searcher:
                indexed = {int(v) for v in searcher.reader().column_reader("id") if v}
            db_ids = set(Article.objects.values_list("pk", flat=True))
            ids = sorted(db_ids)
            total, done = len(ids), 0
            for start in range(0, total, batch):
                writer = _writer(ix)
                try:
                    _apply(writer, set(ids[start : start + batch]))
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
                done = min(start + batch, total)
                _say(stdout, f"update: {done}/{total} articles")
            stale = indexed - db_ids
            if stale:
                writer = _writer(ix)
                for pk in stale:
                    writer.delete_by_term("id", str(pk))
                writer.commit()
            _say(stdout, f"update: {total} articles written, {len(stale)} removed")
            return total, len(stale)
        finally:
            ix.close()


def optimize(*, stdout=None) -> None:
    """Merge the live index's segments into one (drops orphaned files too)."""
    with storage.writer_lock(timeout=LOCK_TIMEOUT):
        ix = storage.open_current()
        try:
            _writer(ix).commit(optimize=True)
        finally:
            ix.close()
    _say(stdout, "index: optimized")


def index_matches_database() -> bool:
    """Does the live index hold exactly as many documents as there are articles?"""
    ix = storage.open_current()
    try:
        with ix.searcher() as searcher:
            return searcher.doc_count() == Article.objects.count()
    finally:
        ix.close()


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


def ensure_index(*, stdout=None) -> str:
    """Build the index if missing or unreadable, else apply the queue; rebuild on drift."""
    try:
        ix = storage.open_current()
    except storage.SearchUnavailable as exc:
        _say(stdout, f"index: {exc}; building it")
        rebuild(stdout=stdout)
        return "built"
    try:
        current = index_is_current(ix)
    finally:
        ix.close()
    if not current:
        _say(stdout, "index: written by an older version of the archive; rebuilding")
        rebuild(stdout=stdout)
        return "rebuilt"
    drain_queue(stdout=stdout)
    if not index_matches_database():
        _say(stdout, "index: document count differs from the database; rebuilding")
        rebuild(stdout=stdout)
        return "rebuilt"
    return "ok"
