"""Helpers for search tests: apply the index queue, then search."""

from archive.search.indexer import drain_queue
from archive.search.service import SearchParams, search


def find(q: str = "", **kwargs) -> list[int]:
    """Ids of every article matching, in result order."""
    drain_queue()
    results = search(SearchParams(q=q, page_size=100, **kwargs))
    return [hit.article.pk for hit in results.hits]


def run(q: str = "", **kwargs):
    drain_queue()
    return search(SearchParams(q=q, **kwargs))
