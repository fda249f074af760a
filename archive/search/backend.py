"""The boundary between the search service and a search engine.

The service parses the reader's query into an engine-neutral tree
(``archive.search.query``), turns the parameters into ``Filters`` and asks the
backend for one page of results with the totals and facet counts
(``search_page``), or for every matching article id in order (``search``: exports
and concordances read them all). The indexer
(the single writer) hands the backend engine-neutral documents
(``archive.search.documents``). Everything an engine needs beyond that lives in
its package under ``archive.search.backends``; haystack names the one in use
(``HAYSTACK_CONNECTIONS``) and ``get_backend()`` returns it.
"""

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import numpy as np

from archive.search.facets import FacetCounts, Filters
from archive.search.query import ParsedQuery

SORTS = ("relevance", "newest", "oldest")


class SearchUnavailable(Exception):
    """The index is missing or unreadable; pages answer 503."""


class IndexBusy(Exception):
    """Another process holds the index writer lock for longer than we wait."""


@dataclass(frozen=True)
class SearchRequest:
    """What to find: a parsed query (``None``: every article), filters and an order."""

    query: ParsedQuery | None
    filters: Filters
    sort: str = "relevance"  # one of SORTS; "relevance" without a query means "newest"
    # Only the facet counts and months are wanted: an engine may leave the ids empty
    # (a cluster then sends no hits at all).
    counts_only: bool = False


@dataclass
class Found:
    """Every matching article id in result order, relevance scores, and facet counts.

    Facet counts follow the site's rule: each facet counts the articles that pass
    every *other* filter, so a reader can add a second value of the same facet.
    """

    ids: np.ndarray  # int64 article ids, in result order
    scores: np.ndarray | None  # aligned with ``ids`` when sorted by relevance
    counts: FacetCounts
    # The matches (after every filter) by (month or UNDATED, language), for the timeline.
    months: Counter = field(default_factory=Counter)
    # The story of each id (aligned with ``ids``): its first article's id, or its own.
    stories: np.ndarray | None = None

    @property
    def total(self) -> int:
        return len(self.ids)


@dataclass
class FoundPage:
    """Results ``start`` to ``start + len(ids)`` of a search, with its totals and counts.

    With ``grouped``, a result is a story: the first-ranked version of each story
    stands for it, and ``other_versions`` says how many more of its versions match.
    """

    ids: np.ndarray  # int64 article ids, in result order
    scores: np.ndarray | None  # aligned with ``ids`` when sorted by relevance
    start: int  # the position of ids[0] among all the results
    total: int  # every result (stories when grouped, else articles)
    articles: int  # matching articles, every version counted
    stories: int  # the stories they tell, each counted once
    other_versions: dict[int, int]  # shown id -> its story's other matching versions
    counts: FacetCounts
    months: Counter  # the matches by (month or UNDATED, language), for the timeline


def page_of(found: Found, *, start: int, size: int | None, grouped: bool) -> FoundPage:
    """Results ``start`` to ``start + size`` (``None``: to the end) cut from every match.

    Grouped, the first-ranked version of each story stands for it, in result order.
    """
    ids, scores, other_versions = found.ids, found.scores, {}
    stories = found.total
    if found.stories is not None:
        _story, first, versions = np.unique(found.stories, return_index=True, return_counts=True)
        stories = len(first)
        if grouped:
            order = np.argsort(first, kind="stable")
            ids = found.ids[first[order]]
            scores = found.scores[first[order]] if found.scores is not None else None
            several = versions[order] > 1
            more = (versions[order][several] - 1).tolist()
            other_versions = dict(zip(ids[several].tolist(), more, strict=True))
    end = None if size is None else start + size
    return FoundPage(
        ids=ids[start:end],
        scores=scores[start:end] if scores is not None else None,
        start=start,
        total=len(ids),
        articles=found.total,
        stories=stories,
        other_versions=other_versions,
        counts=found.counts,
        months=found.months,
    )


class Batch(ABC):
    """Changes to the live index, applied together when the batch ends without error."""

    @abstractmethod
    def update(self, document: dict) -> None:
        """Add ``document`` or replace the one with its id."""

    @abstractmethod
    def delete(self, article_id: int) -> None:
        """Remove the document of ``article_id`` (nothing if there is none)."""


class SearchBackend(ABC):
    """One search engine. Reading methods are safe in any process; writing methods
    are called only by ``archive.search.indexer``, with ``locks.writer_lock`` held."""

    # --- reading -------------------------------------------------------------------------
    @abstractmethod
    def generation(self) -> tuple:
        """Identifies the live index contents (for caches); SearchUnavailable if none."""

    @abstractmethod
    def document_count(self) -> int:
        """Live documents; SearchUnavailable if the index cannot be read (health checks)."""

    @abstractmethod
    def search(self, request: SearchRequest) -> Found:
        """Every matching article; SearchUnavailable if the index cannot be read."""

    # Does ``search_page`` ask the engine for just that page? Then the service computes
    # and caches each page by itself; otherwise it caches every match once and cuts
    # each page from it.
    pages_itself = False

    def search_page(
        self, request: SearchRequest, *, start: int, size: int, grouped: bool
    ) -> FoundPage:
        """Results ``start`` to ``start + size`` (stories when ``grouped``) with the totals
        and counts. This one cuts the page from ``search``; an engine that can page and
        group by itself (``pages_itself``) sends less."""
        return page_of(self.search(request), start=start, size=size, grouped=grouped)

    @abstractmethod
    def related(self, article_id: int, text: str, *, limit: int) -> list[int]:
        """Ids of the articles most like ``text`` (the article's own), best first."""

    @abstractmethod
    def word_frequency(self, term: str) -> int:
        """How many articles hold the word ``term`` (an analysed term) in title or body."""

    @abstractmethod
    def similar_words(self, term: str, *, max_distance: int) -> list[str]:
        """Index words within ``max_distance`` edits of ``term``, most frequent first."""

    @abstractmethod
    def words_with_prefix(self, prefix: str, *, limit: int) -> tuple[list[tuple[str, int]], int]:
        """Index words (analysed title or body terms) starting with ``prefix``: the
        ``limit`` held by most articles, with their article counts, and how many there are."""

    @abstractmethod
    def vocabulary(self) -> Iterator[tuple[str, int]]:
        """Every word of title or body with the number of articles holding it (either field)."""

    def health(self) -> dict:
        """What ``/healthz`` shows beside "index": "ok" about this engine (for a cluster,
        its colour and nodes); nothing for an engine with nothing to add."""
        return {}

    @abstractmethod
    def indexed_ids(self) -> set[int]:
        """Article ids of every live document."""

    @abstractmethod
    def warm_up(self) -> None:
        """Open the index and load what the first search would, if there is an index."""

    # --- writing (the single writer) ----------------------------------------------------------
    @abstractmethod
    def exists(self) -> bool:
        """Is there a live index (possibly empty)?"""

    @abstractmethod
    def is_current(self) -> bool:
        """Was the live index written by this version (schema, storage format)?
        SearchUnavailable when it cannot be read at all."""

    @abstractmethod
    def batch(self) -> AbstractContextManager[Batch]:
        """A ``Batch`` on the live index, committed when the ``with`` block ends."""

    @abstractmethod
    def rebuild(
        self,
        documents: Iterable[dict],
        *,
        expected: int,
        progress: Callable[[int], None] | None = None,
        **options,
    ) -> int:
        """Fill a new index generation with ``documents`` (about ``expected`` of them),
        check it holds every one written, then make it live atomically. Returns the number written. On any failure the
        live index is untouched and the new generation is dropped. ``options`` are the
        engine's own (ignored by engines that do not know them)."""

    @abstractmethod
    def clear(self) -> None:
        """Make an empty generation live (the previous one is kept as a fallback)."""

    @abstractmethod
    def maintain(self, *, full: bool | None = None) -> str:
        """Periodic upkeep (merging segments); returns what was done, for the log."""


def get_backend() -> SearchBackend:
    """The engine haystack's default connection names (``HAYSTACK_CONNECTIONS``)."""
    from haystack import connections

    return connections["default"].get_backend().archive
