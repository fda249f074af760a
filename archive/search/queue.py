"""The index queue: model changes become IndexTask rows, drained by one indexer.

Rows are written inside the caller's transaction, so a rolled-back change queues
nothing and a committed one cannot be lost, even if the indexer is stopped.
"""

from collections.abc import Iterable

from archive.models import IndexTask


def enqueue(article_ids: Iterable[int]) -> int:
    """Queue articles for (re)indexing or removal; returns how many rows were queued."""
    ids = sorted({int(pk) for pk in article_ids if pk is not None})
    IndexTask.objects.bulk_create([IndexTask(article_id=pk) for pk in ids], batch_size=1000)
    return len(ids)
