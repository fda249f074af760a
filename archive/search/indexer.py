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
RECLAIM_DELETED_FROM = 0.2  # share of deleted documents that makes the merge a full one
WAITING = "index: another process is writing the index; waiting for it to finish…"


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


def _apply(writer, article_ids: set[int]) -> tuple[int, int, set[int]]:
    """Write current documents for ``article_ids``; delete those no longer in the DB.

    Returns (updated, deleted, failed): an article whose document cannot be built
    is logged and left out (its queue rows stay), so one bad article never holds
    back the rest of a batch.
    """
    updated = 0
    found, failed = set(), set()
    ids = sorted(article_ids)
    for start in range(0, len(ids), 500):
        for article in _articles().filter(pk__in=ids[start : start + 500]):
            found.add(article.pk)
            try:
                document = article_document(article)
            except Exception:
                logger.exception("index: article %s cannot be indexed; left queued", article.pk)
                failed.add(article.pk)
                continue
            writer.update_document(**document)
            updated += 1
    deleted = 0
    for pk in article_ids - found:
        writer.delete_by_term("id", str(pk))
        deleted += 1
    return updated, deleted, failed


def id_ranges(ids) -> str:
    """``[1, 2, 3, 7, 9, 10]`` as ``"1-3, 7, 9-10"`` (for log lines about many rows)."""
    parts, run = [], []
    for pk in sorted(ids):
        if run and pk == run[-1] + 1:
            run.append(pk)
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [pk]
    if run:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(parts)


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
    failed: set[int] = set()  # articles left queued after failing in this drain
    with storage.writer_lock(timeout=LOCK_TIMEOUT):
        ix = storage.open_current()
        try:
            while True:
                pending = IndexTask.objects.exclude(article_id__in=failed).order_by("id")
                tasks = list(pending[: batch_size * COMMIT_EVERY])
                if not tasks:
                    break
                try:
                    updated, deleted, failed_now = _apply_batch(ix, tasks)
                except Exception:
                    logger.exception(
                        "index: a batch of %d changes failed (index tasks %s); they stay queued",
                        len(tasks),
                        id_ranges(t.pk for t in tasks),
                    )
                    raise
                failed |= failed_now
                done = [t.pk for t in tasks if t.article_id not in failed_now]
                for start in range(0, len(done), 500):
                    IndexTask.objects.filter(pk__in=done[start : start + 500]).delete()
                applied += len(done)
                _say(stdout, f"index: {updated} updated, {deleted} removed")
        finally:
            ix.close()
    return applied


def _apply_batch(ix, tasks) -> tuple[int, int, set[int]]:
    """One writer and commit for a batch of queue rows."""
    writer = _writer(ix)
    try:
        result = _apply(writer, {t.article_id for t in tasks})
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return result


def drain_or_leave_queued(*, stdout=None, stderr=None) -> None:
    """A command's final drain: if the index is busy or fails, the queue keeps the work."""
    try:
        drain_queue(stdout=stdout)
    except Exception as error:  # noqa: BLE001 - the rows stay queued for the indexer
        _say(
            stderr,
            f"Index not updated now ({error}); the changes stay queued "
            "for the indexer (manage.py run_indexer).",
        )


def rebuild(*, stdout=None, procs: int | None = None, limitmb: int = 256, batch: int = 1000) -> int:
    """Build a complete new index generation, validate it, then swap it in atomically.

    Returns the number of documents. The live index keeps serving until the swap;
    if anything fails (or the process is killed) the new generation is discarded.
    """
    with storage.writer_lock(waiting=lambda: _say(stdout, WAITING)):
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
                    writer.add_document(**_rebuild_document(article))
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


def _rebuild_document(article) -> dict:
    try:
        return article_document(article)
    except Exception as exc:
        raise RuntimeError(f"article {article.pk} cannot be indexed: {exc}") from exc


def update_all(*, stdout=None, batch: int = 1000) -> tuple[int, int]:
    """Rewrite every article's document in the live index and drop documents without one.

    Waits for as long as another writer (the indexer draining a bulk edit, a
    rebuild) holds the index: someone asked for this update.
    """
    if storage.current_dir() is None:
        return rebuild(stdout=stdout), 0
    with storage.writer_lock(waiting=lambda: _say(stdout, WAITING)):
        ix = storage.open_current()
        try:
            with ix.searcher() as searcher:
                indexed = indexed_ids(searcher)
            db_ids = set(Article.objects.values_list("pk", flat=True))
            ids = sorted(db_ids)
            total, done = len(ids), 0
            for start in range(0, total, batch):
                writer = _writer(ix)
                try:
                    _updated, _deleted, failed = _apply(writer, set(ids[start : start + batch]))
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
                if failed:
                    IndexTask.objects.bulk_create(IndexTask(article_id=pk) for pk in failed)
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


def optimize(*, stdout=None, full: bool | None = None) -> None:
    """Periodic segment maintenance of the live index (also drops files a killed writer left).

    Small segments are merged as Whoosh's MERGE_SMALL policy decides (cheap). The
    whole index is merged into one segment only when deleted documents (the old
    versions of updated articles) make up more than ``RECLAIM_DELETED_FROM`` of
    it, or when ``full`` says so: at 61k articles a full merge takes minutes and
    holds the index lock, so doing it after every few hundred edits would stall
    every other writer.
    """
    from whoosh.writing import MERGE_SMALL

    with storage.writer_lock(timeout=LOCK_TIMEOUT):
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
        _say(stdout, f"index: merged all segments ({total - live} deleted documents dropped)")
    else:
        _say(stdout, "index: merged small segments")


def indexed_ids(searcher) -> set[int]:
    """Article ids of the live (not deleted) documents a searcher sees."""
    reader = searcher.reader()
    if not reader.doc_count():
        return set()  # an empty index's reader has no columns
    column = reader.column_reader("id")
    return {int(column[docnum]) for docnum in reader.all_doc_ids()}


def index_drift() -> tuple[set[int], set[int]]:
    """Ids the live index lacks, and ids it holds that the database does not."""
    ix = storage.open_current()
    try:
        with ix.searcher() as searcher:
            indexed = indexed_ids(searcher)
    finally:
        ix.close()
    in_database = set(Article.objects.values_list("pk", flat=True))
    return in_database - indexed, indexed - in_database


def index_matches_database() -> bool:
    """Does the live index hold exactly the articles the database holds (by id)?"""
    missing, extra = index_drift()
    return not missing and not extra


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


def ensure_index(*, stdout=None, drain: bool = True) -> str:
    """Build the index if missing, unreadable or out of date; apply the queue (unless
    ``drain`` is false: the indexer loop drains it itself); rebuild on drift."""
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
    if drain:
        drain_queue(stdout=stdout)
    queued = set(IndexTask.objects.values_list("article_id", flat=True))
    missing, extra = (ids - queued for ids in index_drift())  # queued ones are on their way
    if missing or extra:
        _say(
            stdout,
            f"index: {len(missing)} articles missing and {len(extra)} extra documents; rebuilding",
        )
        rebuild(stdout=stdout)
        return "rebuilt"
    return "ok"
