"""The only code that writes the index: queue draining, full rebuilds, full updates.

Every writer takes ``locks.writer_lock`` first, so web processes never write and
two indexers never interleave. Queue rows are deleted only after the index commit
that applied them: a killed indexer loses nothing, the rows are applied again.
The engine is whichever ``backend.get_backend()`` names; this module only hands
it documents (``documents.article_document``) and ids.
"""

import logging
import time

from archive.models import Article, IndexTask
from archive.search import locks
from archive.search.backend import SearchBackend, SearchUnavailable, get_backend
from archive.search.documents import article_document

logger = logging.getLogger(__name__)

LOCK_TIMEOUT = 60.0  # seconds a drain waits for another indexer (e.g. a rebuild)
BULK_REBUILD_FROM = 5000  # queued changes; a fresh build beats this many updates
COMMIT_EVERY = 10  # batches per index commit while draining
WAITING = "index: another process is writing the index; waiting for it to finish…"


def _articles():
    return Article.objects.select_related("source", "source__merged_into").prefetch_related(
        "tags", "tags__merged_into"
    )


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _apply(batch, article_ids: set[int]) -> tuple[int, int, set[int]]:
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
            batch.update(document)
            updated += 1
    deleted = 0
    for pk in article_ids - found:
        batch.delete(pk)
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
    backend = get_backend()
    pending = IndexTask.objects.count()
    if not backend.exists():
        rebuild(stdout=stdout)
        return pending - IndexTask.objects.count()
    if pending >= BULK_REBUILD_FROM and pending >= Article.objects.count() // 2:
        _say(stdout, f"index: {pending} changes queued; rebuilding instead")
        rebuild(stdout=stdout)
        return pending - IndexTask.objects.count()
    applied = 0
    failed: set[int] = set()  # articles left queued after failing in this drain
    with locks.writer_lock(timeout=LOCK_TIMEOUT):
        while True:
            pending = IndexTask.objects.exclude(article_id__in=failed).order_by("id")
            tasks = list(pending[: batch_size * COMMIT_EVERY])
            if not tasks:
                break
            try:
                with backend.batch() as batch:
                    updated, deleted, failed_now = _apply(batch, {t.article_id for t in tasks})
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
    return applied


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


def _all_documents(*, batch: int):
    """Every article's document, in id order, read ``batch`` articles at a time."""
    last_pk = 0
    while True:
        chunk = list(_articles().filter(pk__gt=last_pk).order_by("pk")[:batch])
        if not chunk:
            return
        for article in chunk:
            try:
                yield article_document(article)
            except Exception as exc:
                raise RuntimeError(f"article {article.pk} cannot be indexed: {exc}") from exc
        last_pk = chunk[-1].pk


def rebuild(*, stdout=None, batch: int = 1000, **options) -> int:
    """Build a complete new index generation, validate it, then swap it in atomically.

    Returns the number of documents. The live index keeps serving until the swap;
    if anything fails (or the process is killed) the new generation is discarded.
    ``options`` go to the engine (Whoosh: ``procs``, ``limitmb``).
    """
    with locks.writer_lock(waiting=lambda: _say(stdout, WAITING)):
        return _rebuild_locked(get_backend(), stdout=stdout, batch=batch, options=options)


def _rebuild_locked(backend: SearchBackend, *, stdout, batch: int, options: dict) -> int:
    last_task = IndexTask.objects.order_by("-id").values_list("id", flat=True).first() or 0
    total = Article.objects.count()
    started = time.monotonic()

    def progress(written: int) -> None:
        elapsed = time.monotonic() - started
        _say(stdout, f"rebuild: {written}/{total} articles ({written / max(elapsed, 1e-6):.0f}/s)")

    written = backend.rebuild(
        _all_documents(batch=batch), expected=total, progress=progress, **options
    )
    # Changes queued before we started reading are in this build.
    IndexTask.objects.filter(id__lte=last_task).delete()
    elapsed = time.monotonic() - started
    _say(
        stdout,
        f"rebuild: {written} articles indexed in {elapsed:.1f}s "
        f"({written / max(elapsed, 1e-6):.0f}/s); now live",
    )
    return written


def clear(*, stdout=None) -> None:
    """Make an empty index live (``clear_index``); ``rebuild`` fills it again.

    The queue is left as it is: changes made before the clear are not in the empty
    index either way, and ``rebuild_index`` indexes every article.
    """
    with locks.writer_lock(waiting=lambda: _say(stdout, WAITING)):
        get_backend().clear()
    _say(stdout, "index: emptied (a new, empty generation is live)")


def update_all(*, stdout=None, batch: int = 1000) -> tuple[int, int]:
    """Rewrite every article's document in the live index and drop documents without one.

    Waits for as long as another writer (the indexer draining a bulk edit, a
    rebuild) holds the index: someone asked for this update.
    """
    backend = get_backend()
    if not backend.exists():
        return rebuild(stdout=stdout), 0
    with locks.writer_lock(waiting=lambda: _say(stdout, WAITING)):
        indexed = backend.indexed_ids()
        db_ids = set(Article.objects.values_list("pk", flat=True))
        ids = sorted(db_ids)
        total = len(ids)
        for start in range(0, total, batch):
            with backend.batch() as writer:
                _updated, _deleted, failed = _apply(writer, set(ids[start : start + batch]))
            if failed:
                IndexTask.objects.bulk_create(IndexTask(article_id=pk) for pk in failed)
            _say(stdout, f"update: {min(start + batch, total)}/{total} articles")
        stale = indexed - db_ids
        if stale:
            with backend.batch() as writer:
                for pk in stale:
                    writer.delete(pk)
        _say(stdout, f"update: {total} articles written, {len(stale)} removed")
        return total, len(stale)


def optimize(*, stdout=None, full: bool | None = None) -> None:
    """Periodic index upkeep (the engine decides: Whoosh merges segments)."""
    with locks.writer_lock(timeout=LOCK_TIMEOUT):
        message = get_backend().maintain(full=full)
    _say(stdout, message)


def index_drift() -> tuple[set[int], set[int]]:
    """Ids the live index lacks, and ids it holds that the database does not."""
    indexed = get_backend().indexed_ids()
    in_database = set(Article.objects.values_list("pk", flat=True))
    return in_database - indexed, indexed - in_database


def index_matches_database() -> bool:
    """Does the live index hold exactly the articles the database holds (by id)?"""
    missing, extra = index_drift()
    return not missing and not extra


def ensure_index(*, stdout=None, drain: bool = True) -> str:
    """Build the index if missing, unreadable or out of date; apply the queue (unless
    ``drain`` is false: the indexer loop drains it itself); rebuild on drift."""
    backend = get_backend()
    try:
        if not backend.exists():
            raise SearchUnavailable("the search index has not been built")
        current = backend.is_current()
    except SearchUnavailable as exc:
        _say(stdout, f"index: {exc}; building it")
        rebuild(stdout=stdout)
        return "built"
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


def write_now(article_ids) -> int:
    """Index (or remove) these articles right away, through the writer lock.

    For haystack's ``update_index``/``remove`` API; the site itself queues changes
    for the indexer instead (``queue.enqueue``).
    """
    ids = {int(pk) for pk in article_ids}
    if not ids:
        return 0
    with locks.writer_lock(timeout=LOCK_TIMEOUT), get_backend().batch() as batch:
        updated, deleted, _failed = _apply(batch, ids)
    return updated + deleted
