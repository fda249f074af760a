"""The search service the site pages, the JSON API and the feeds all call.

``params_from_query`` checks a query string into ``SearchParams``; ``search``
parses the query, asks the engine (``backend.get_backend()``) for the page with
the totals and facet counts, and answers with its hits (highlighted in the
original script), named facet values, how the query was understood and, for
zero hits, a "did you mean". What a query costs to compute is cached per index
generation: every match once for an engine that cuts pages from them (pages are
cut from the cache), each page for one that pages by itself. ``find`` reads every
match, for exports and concordances.
"""

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields

from archive.search import expansion, glossary, query_fields, suggestions
from archive.search import query as q_mod
from archive.search.backend import (
    SORTS,
    FoundPage,
    SearchRequest,
    SearchUnavailable,
    get_backend,
    page_of,
)
from archive.search.facet_values import facet_values
from archive.search.hits import build_hits
from archive.search.params import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_VALUES,
    PastLastPage,
    SearchParamError,
    SearchParams,
    filters_for,
    params_from_query,
)
from archive.search.query import FILTER_LABELS
from archive.search.related import related_articles
from archive.search.results import FacetValue, Hit, SearchResults, Understood
from archive.search.suggest import did_you_mean
from archive.text import fold

__all__ = [
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "MAX_VALUES",
    "SORTS",
    "FacetValue",
    "Hit",
    "PastLastPage",
    "SearchParamError",
    "SearchParams",
    "SearchResults",
    "SearchUnavailable",
    "Understood",
    "find",
    "find_page",
    "index_generation",
    "params_from_query",
    "related_articles",
    "search",
    "warm_up",
]

CACHE_SIZE = 256
_cache_lock = threading.Lock()
_result_cache: "OrderedDict[tuple, _Core]" = OrderedDict()


@dataclass
class _Core(FoundPage):
    """What a query costs to compute: the engine's results (every one, or one page of
    them from ``start``; one per story unless "all") and how the query was understood."""

    understood: Understood
    runs: set[str]
    words: set[str]
    message: str | None
    suggestion: str | None


def _compute(params: SearchParams, backend, window: tuple[int, int] | None) -> _Core:
    """``window``: (start, size) of the results wanted; None for every one."""
    parsed = q_mod.parse(params.q)
    query_fields.resolve(parsed)
    pairs = glossary.load_pairs() if parsed.clauses else []
    also = glossary.expand(parsed, pairs)
    expanded = expansion.expand(parsed, backend, params.q)
    segments = [s for c in parsed.clauses for p in c.pieces for s in p.display]
    folded_q = " ".join(c.raw for c in parsed.clauses)
    understood = Understood(
        segments=segments,
        folded=fold(folded_q),
        also_searched=also,
        prefixes=expanded.prefixes,
        readings=expanded.readings,
        latin_only_q=expanded.latin_only_q,
        filters=[
            f"{'-' if f.negated else ''}{FILTER_LABELS[f.field]}:{f.value}" for f in parsed.filters
        ],
    )
    runs, words = q_mod.highlight_terms(parsed)
    request = SearchRequest(
        query=None if parsed.empty else parsed, filters=filters_for(params), sort=params.sort
    )
    grouped = params.versions != "all"
    if window is None:
        found = page_of(backend.search(request), start=0, size=None, grouped=grouped)
    else:
        start, size = window
        found = backend.search_page(request, start=start, size=size, grouped=grouped)
    suggestion = None
    if not found.articles and not parsed.empty:
        suggestion = did_you_mean(parsed, backend)
    return _Core(
        **{f.name: getattr(found, f.name) for f in fields(FoundPage)},
        understood=understood,
        runs=runs,
        words=words,
        message=parsed.message,
        suggestion=suggestion,
    )


def index_generation() -> tuple | None:
    """The live index generation (for cache keys), or None when there is no index."""
    try:
        return get_backend().generation()
    except SearchUnavailable:
        return None


def warm_up() -> None:
    """Open the index and load what a search reads first, so a worker's first search is quick.

    Called by gunicorn in each worker right after the fork (never in the master:
    open index files must not be shared between processes). Suggestion tables start
    building too (in the background for a large index), so typing soon gets answers.
    """
    get_backend().warm_up()
    try:
        suggestions.tables()
    except SearchUnavailable:
        pass  # no index yet: the first search reports it


def find(params: SearchParams, *, limit: int | None = None) -> tuple[tuple, "_Core"]:
    """The first ``limit`` results of ``params`` (None: every one) in order with the totals
    (cached per generation), and the generation. ``ids`` may hold more than ``limit``."""
    return _cached(params, None if limit is None else (0, limit))


def find_page(params: SearchParams) -> tuple[tuple, "_Core"]:
    """The results of ``params``' page with the totals and counts (cached per
    generation), and the generation. ``ids`` may hold more than the page: from an
    engine that cuts pages from every match, every one (one cached computation)."""
    return _cached(params, ((params.page - 1) * params.page_size, params.page_size))


def _cached(params: SearchParams, window: tuple[int, int] | None) -> tuple[tuple, "_Core"]:
    """``window``: (start, size) of the results wanted (None: every one); an engine that
    does not page by itself computes every result once for all windows."""
    backend = get_backend()
    generation = backend.generation()
    if not backend.pages_itself:
        window = None
    cache_key = (generation, params.cache_key(), window)
    with _cache_lock:
        core = _result_cache.get(cache_key)
        if core is not None:
            _result_cache.move_to_end(cache_key)
    if core is None:
        core = _compute(params, backend, window)
        with _cache_lock:
            _result_cache[cache_key] = core
            while len(_result_cache) > CACHE_SIZE:
                _result_cache.popitem(last=False)
    return generation, core


def search(params: SearchParams) -> SearchResults:
    """Run a search. Raises PastLastPage for a page past the end, SearchUnavailable."""
    generation, core = find_page(params)
    num_pages = max(1, math.ceil(core.total / params.page_size)) if core.total else 0
    if params.page > max(num_pages, 1):
        raise PastLastPage(page=params.page, last=max(num_pages, 1))
    start = (params.page - 1) * params.page_size - core.start
    ids = core.ids[start : start + params.page_size].tolist()
    scores = (
        core.scores[start : start + params.page_size].tolist()
        if core.scores is not None
        else [None] * len(ids)
    )
    hits = build_hits(ids, scores, runs=core.runs, words=core.words, marked=params.highlight)
    for hit in hits:
        hit.other_versions = core.other_versions.get(hit.article.pk, 0)
    facets = facet_values(params, core.counts, generation) if params.facets else {}
    return SearchResults(
        params=params,
        understood=core.understood,
        total=core.total,
        page=params.page,
        page_size=params.page_size,
        num_pages=num_pages,
        hits=hits,
        facets=facets,
        suggestion=core.suggestion,
        message=core.message,
        months=core.months,
        articles=core.articles,
        stories=core.stories,
    )
