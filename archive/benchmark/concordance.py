"""Concordance time: ``research.concordance.build()`` in-process, for a few fixed queries.

Run on a benchmark's index (61k articles: ``ARCHIVE_VAR_DIR=/work/big``). Each
query is timed ``repeats`` times, reporting medians: ``cold`` empties the
search's and the concordance's caches first (a reader's first look: the search,
reading up to ``MAX_ARTICLES`` articles and cutting the lines), ``lines`` only
the concordance's (the search already cached, as when following the link from
the results), ``sort`` is ordering every line by the words before and after.
"""

import statistics
import time

QUERIES = ("经济", "稀土", "economy", '"interest rates"')


def _empty_search_cache() -> None:
    from archive.search import service

    with service._cache_lock:  # the search keeps no public way to forget its results
        service._result_cache.clear()


def _timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def measure_concordance(*, queries=QUERIES, repeats: int = 3) -> dict:
    """Per query: median seconds (cold, lines only, sort) and what the concordance held."""
    from archive.research import concordance
    from archive.search import service
    from archive.search.params import SearchParams

    service.warm_up()
    out = {}
    for q in queries:
        params = SearchParams(q=q, facets=False, highlight=False)
        cold, lines, sort = [], [], []
        kwic = None
        for _ in range(max(1, repeats)):
            _empty_search_cache()
            concordance.clear_cache()
            elapsed, kwic = _timed(lambda p=params: concordance.build(p))
            cold.append(elapsed)
            concordance.clear_cache()
            elapsed, kwic = _timed(lambda p=params: concordance.build(p))
            lines.append(elapsed)
            elapsed, _value = _timed(lambda k=kwic: (k.sorted("left"), k.sorted("right")))
            sort.append(elapsed)
        out[q] = {
            "cold_s": round(statistics.median(cold), 3),
            "lines_s": round(statistics.median(lines), 3),
            "sort_s": round(statistics.median(sort), 3),
            "lines": len(kwic.lines),
            "articles_with_lines": len(kwic.articles),
            "articles_read": kwic.scanned,
            "matching_articles": kwic.matching,
            "limit": kwic.limit,
        }
    return {
        "repeats": max(1, repeats),
        "max_lines": concordance.MAX_LINES,
        "max_articles": concordance.MAX_ARTICLES,
        "queries": out,
    }
