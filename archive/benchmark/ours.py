"""Our search measured in-process through ``archive.search.service.search()``.

Runs inside a worker subprocess whose settings point at the scratch area. The
service's parameters are inspected at run time so the benchmark keeps working
while the search API grows: a mode the service cannot switch off is reported.
"""

import dataclasses
import time

from archive.benchmark.queries import PAGE_SIZE, all_queries, measure_queries

# Candidate SearchParams field names for switching facets / highlighting.
_FACET_FLAGS = ("facets", "with_facets", "want_facets", "include_facets")
_HIGHLIGHT_FLAGS = ("highlight", "with_highlight", "highlighted", "want_highlight", "snippets")


def _field_names(params_cls) -> set[str]:
    if dataclasses.is_dataclass(params_cls):
        return {f.name for f in dataclasses.fields(params_cls)}
    return set(getattr(params_cls, "__annotations__", {}))


def _touch(results) -> int:
    """Read what a page renders (hits, their snippets, facets) so lazy work is counted."""
    total = getattr(results, "total", 0)
    for hit in list(getattr(results, "hits", []) or []):
        for attr in ("title_html", "snippet_html", "title", "source", "topics"):
            getattr(hit, attr, None) if not isinstance(hit, dict) else hit.get(attr)
    facets = getattr(results, "facets", None)
    if facets is not None:
        if isinstance(facets, dict):
            for values in facets.values():
                list(values or [])
        else:
            list(facets) if hasattr(facets, "__iter__") else None
    return int(total or 0)


def _cache_clearer(service):
    """A function emptying the service's result caches, or None when it has none we know."""
    public = getattr(service, "clear_cache", None)
    if callable(public):
        return public
    private = getattr(service, "_result_cache", None)
    if hasattr(private, "clear"):
        return private.clear
    return None


def measure_search(*, repeats: int) -> dict:
    """p50/p95/p99 per mode and page over the fixed query set; hits per query."""
    from archive.search import service

    params_cls = service.SearchParams
    fields = _field_names(params_cls)
    facet_flag = next((f for f in _FACET_FLAGS if f in fields), None)
    highlight_flag = next((f for f in _HIGHLIGHT_FLAGS if f in fields), None)

    def params_for(query: str, mode: str, page: int):
        kwargs = {"q": query, "page": page, "page_size": PAGE_SIZE}
        if facet_flag:
            kwargs[facet_flag] = mode in ("facets", "faceted_highlighted")
        if highlight_flag:
            kwargs[highlight_flag] = mode in ("highlight", "faceted_highlighted")
        return params_cls(**{k: v for k, v in kwargs.items() if k in fields or not fields})

    from django.core.cache import caches

    clear = _cache_clearer(service)

    def cold() -> None:
        """Every timed search computes from the index, as a reader's first search does."""
        if clear is not None:
            clear()
        caches["default"].clear()

    def run_one(query: str, mode: str, page: int) -> int:
        try:
            return _touch(service.search(params_for(query, mode, page)))
        except Exception as exc:
            if page > 1:
                return -1
            raise exc

    cold()
    first = time.perf_counter()
    try:
        run_one("经济", "faceted_highlighted", 1)
        first_search_s: float | None = time.perf_counter() - first
    except Exception:  # noqa: BLE001  (the per-query loop below records errors)
        first_search_s = None
    measured = measure_queries(run_one, repeats=repeats, before_each=cold, record_errors=True)
    timings, hits, errors = measured.timings, measured.hits, measured.errors
    # The same reader's page again (facets + highlighting), now answered from the cache.
    for _cls, query in all_queries():
        try:
            run_one(query, "faceted_highlighted", 1)
        except Exception:  # noqa: BLE001  (already recorded above)
            continue
        for _ in range(repeats):
            start = time.perf_counter()
            run_one(query, "faceted_highlighted", 1)
            timings.setdefault("faceted_highlighted/first cached", []).append(
                time.perf_counter() - start
            )
    latency = measured.latency()
    notes = []
    if clear is None:
        notes.append("no result cache found to clear: repeated timings may be cache hits")
    if not facet_flag:
        notes.append("SearchParams has no facet switch: every mode computes what search() does")
    if not highlight_flag:
        notes.append("SearchParams has no highlight switch: every mode highlights as search() does")
    return {
        "first_search_in_process_s": round(first_search_s, 3) if first_search_s else None,
        "latency": latency,
        "hits": hits,
        "error_count": len(errors),
        "errors": errors[:20],
        "notes": notes,
        "flags": {"facets": facet_flag, "highlight": highlight_flag},
    }
