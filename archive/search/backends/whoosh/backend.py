"""The embedded engine: Whoosh files on local disk, our own evaluator over them."""

import numpy as np
from whoosh import query as wq

from archive.search.backend import Found, SearchBackend, SearchRequest, SearchUnavailable
from archive.search.backends.whoosh import compile, storage, writing
from archive.search.backends.whoosh.columns import (
    Columns,
    columns,
    constrain,
    filter_and_count,
    months,
)
from archive.search.backends.whoosh.evaluate import evaluate
from archive.search.backends.whoosh.lexicon import lexicon
from archive.search.related import distinctive_terms
from archive.text import ANALYSIS_VERSION


class WhooshBackend(SearchBackend):
    """Generations of a Whoosh index under ``ARCHIVE_INDEX_DIR`` (``storage``)."""

    # --- reading ---------------------------------------------------------------------------
    def _searcher(self):
        searcher = storage.get_searcher()
        return searcher, storage.generation_key(searcher)

    def generation(self) -> tuple:
        return self._searcher()[1]

    def document_count(self) -> int:
        with storage.reading_index():
            return self._searcher()[0].doc_count()

    def warm_up(self) -> None:
        try:
            searcher, key = self._searcher()
            columns(searcher, key)
        except SearchUnavailable:
            pass  # no index yet: the first search reports it

    def search(self, request: SearchRequest) -> Found:
        with storage.reading_index():
            searcher, key = self._searcher()
            cols = columns(searcher, key)
            parsed = request.query
            matches = None
            candidates = cols.live
            if parsed is not None:
                words = compile.build_query(parsed)
                if words is not None:
                    matches = evaluate(searcher, key, words)
                    candidates = matches.docs
                elif parsed.excluded:
                    excluded = evaluate(searcher, key, compile.exclusion_query(parsed))
                    candidates = candidates[~np.isin(candidates, excluded.docs)]
                candidates = constrain(candidates, cols, parsed.constraints)
            passed, counts = filter_and_count(candidates, cols, request.filters)
            sort = request.sort
            if matches is None and sort == "relevance":
                sort = "newest"
            scores = None
            if sort == "relevance":
                passed_scores = matches.scores[np.searchsorted(matches.docs, passed)]
                order = np.lexsort((passed, -passed_scores))  # best first; ties in index order
                ordered, scores = passed[order], passed_scores[order]
            else:
                ordered = _order_by_date(passed, cols, newest=sort != "oldest")
            return Found(
                ids=cols.ids[ordered],
                scores=scores,
                counts=counts,
                months=months(passed, cols),
                stories=cols.story[ordered],
            )

    def related(self, article_id: int, text: str, *, limit: int) -> list[int]:
        with storage.reading_index():
            searcher, key = self._searcher()
            reader = searcher.reader()
            terms = distinctive_terms(
                text,
                frequency=lambda term: reader.doc_frequency("body", term),
                total=searcher.doc_count(),
            )
            if not terms:
                return []
            matches = evaluate(searcher, key, wq.Or([wq.Term("body", t) for t in terms]))
            ids = columns(searcher, key).ids[matches.docs]
        others = ids != article_id
        ids, scores = ids[others], matches.scores[others]
        best = np.lexsort((ids, -scores))[:limit]  # highest score first; ties by id
        return ids[best].tolist()

    def word_frequency(self, term: str) -> int:
        with storage.reading_index():
            searcher, _key = self._searcher()
            return max(searcher.doc_frequency("body", term), searcher.doc_frequency("title", term))

    def similar_words(self, term: str, *, max_distance: int) -> list[str]:
        if len(term) < 2:  # Whoosh's suggester needs more than its one-letter prefix
            return []
        with storage.reading_index():
            searcher, _key = self._searcher()
            return searcher.suggest("body", term, limit=1, maxdist=max_distance, prefix=1)

    def words_with_prefix(self, prefix: str, *, limit: int) -> tuple[list[tuple[str, int]], int]:
        if not prefix:
            return [], 0
        with storage.reading_index():
            return lexicon(*self._searcher()).with_prefix(prefix, limit=limit)

    def vocabulary(self):
        with storage.reading_index():
            return lexicon(*self._searcher()).items()

    def indexed_ids(self) -> set[int]:
        ix = storage.open_current()
        try:
            with ix.searcher() as searcher:
                return writing.indexed_ids(searcher)
        finally:
            ix.close()

    # --- writing ---------------------------------------------------------------------------
    def exists(self) -> bool:
        return storage.current_dir() is not None

    def is_current(self) -> bool:
        path = storage.current_dir()
        ix = storage.open_current()
        try:
            return writing.index_is_current(ix) and (
                storage.analysis_version(path) == ANALYSIS_VERSION
            )
        finally:
            ix.close()

    def batch(self):
        return writing.live_batch()

    def rebuild(self, documents, *, expected: int, progress=None, **options) -> int:
        """``options``: ``procs`` (writer processes) and ``limitmb`` (memory per writer)."""
        return writing.build_generation(documents, expected=expected, progress=progress, **options)

    def clear(self) -> None:
        writing.clear()

    def maintain(self, *, full: bool | None = None) -> str:
        return writing.merge(full=full)


def _order_by_date(docs: np.ndarray, cols: Columns, *, newest: bool) -> np.ndarray:
    """Dated documents by date (then id), undated ones after them by id."""
    dated = cols.dated[docs]
    with_date, without = docs[dated], docs[~dated]
    with_date = with_date[np.lexsort((cols.ids[with_date], cols.pub[with_date]))]
    without = without[np.argsort(cols.ids[without], kind="stable")]
    if newest:
        with_date, without = with_date[::-1], without[::-1]
    return np.concatenate((with_date, without))
