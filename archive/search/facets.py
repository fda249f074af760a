"""Per-document facet values read from Whoosh columns, cached per segment.

Segments never change once written (only their deletion lists do), so a segment's
column values are read once per process and reused for every query.
"""

import threading
from collections import Counter
from dataclasses import dataclass

from archive.search.schema import UNDATED

_FIELDS = ("id", "source", "topics", "language", "year", "month", "pub")
_segment_cache: dict[tuple, dict[str, list]] = {}
_columns_cache: dict[tuple, "Columns"] = {}
_lock = threading.Lock()


@dataclass
class Columns:
    """Facet values by docnum for the whole index, and the live (not deleted) docnums."""

    ids: list[int]
    source: list[str]
    topics: list[tuple[str, ...]]
    language: list[str]
    year: list[str]
    month: list[str]
    pub: list[int | None]
    live: list[int]


def _read_segment(leaf) -> dict[str, list]:
    out: dict[str, list] = {}
    for name in _FIELDS:
        if leaf.has_column(name):
            values = list(leaf.column_reader(name))
        else:
            values = [None] * leaf.doc_count_all()
        out[name] = values
    out["ids"] = [int(v) if v else 0 for v in out.pop("id")]
    out["topics"] = [tuple(v.split()) if v else () for v in out["topics"]]
    year = out["year"]
    out["pub"] = [p if y and y != UNDATED else None for p, y in zip(out["pub"], year, strict=False)]
    return out


def columns(searcher, key) -> Columns:
    """The columns of every segment of ``searcher``'s reader, concatenated by docnum."""
    with _lock:
        cached = _columns_cache.get(key)
        if cached is not None:
            return cached
    reader = searcher.reader()
    leaves = reader.leaf_readers()
    merged: dict[str, list] = {
        name: [] for name in ("ids", "source", "topics", "language", "year", "month", "pub")
    }
    live: list[int] = []
    seen_keys = set()
    for leaf, offset in leaves:
        if leaf.segment() is None or not leaf.doc_count_all():  # an empty index
            continue
        seg_key = (key[0], leaf.segment().segment_id())
        seen_keys.add(seg_key)
        with _lock:
            data = _segment_cache.get(seg_key)
        if data is None:
            data = _read_segment(leaf)
            with _lock:
                _segment_cache[seg_key] = data
        for name, values in data.items():
            merged[name].extend(values)
        if leaf.has_deletions():
            live.extend(offset + d for d in leaf.all_doc_ids())
        else:
            live.extend(range(offset, offset + leaf.doc_count_all()))
    result = Columns(live=live, **merged)
    with _lock:
        for stale in [k for k in _segment_cache if k not in seen_keys]:
            del _segment_cache[stale]
        _columns_cache.clear()
        _columns_cache[key] = result
    return result


@dataclass
class Filters:
    sources: frozenset[str]
    topics: frozenset[str]
    languages: frozenset[str]
    year: str | None  # "2025" or UNDATED
    month: str | None  # "2025-09"
    pub_from: int | None
    pub_to: int | None  # exclusive

    @property
    def active(self) -> bool:
        return bool(
            self.sources
            or self.topics
            or self.languages
            or self.year
            or self.pub_from is not None
            or self.pub_to is not None
        )


GROUPS = ("source", "topic", "language", "date", "range")


def _failures(doc: int, cols: Columns, f: Filters) -> list[str]:
    failed = []
    if f.sources and cols.source[doc] not in f.sources:
        failed.append("source")
    if f.topics and not f.topics.intersection(cols.topics[doc]):
        failed.append("topic")
    if f.languages and cols.language[doc] not in f.languages:
        failed.append("language")
    if f.year:
        if f.month:
            if cols.month[doc] != f.month:
                failed.append("date")
        elif cols.year[doc] != f.year:
            failed.append("date")
    if f.pub_from is not None or f.pub_to is not None:
        pub = cols.pub[doc]
        if (
            pub is None
            or (f.pub_from is not None and pub < f.pub_from)
            or (f.pub_to is not None and pub >= f.pub_to)
        ):
            failed.append("range")
    return failed


@dataclass
class FacetCounts:
    source: Counter
    topic: Counter
    language: Counter
    date: Counter  # years, or months of the selected year


def filter_and_count(docs, cols: Columns, f: Filters) -> tuple[list[int], FacetCounts]:
    """Docs passing every filter, and facet counts where each facet ignores its own filter.

    Several values of one facet OR together; different facets AND. A facet's counts
    are over the documents that pass all the *other* filters, so a reader can add a
    second value of the same facet.
    """
    counts = FacetCounts(Counter(), Counter(), Counter(), Counter())
    by_month = bool(f.year and f.year != UNDATED)
    if not f.active:
        docs = list(docs)
        counts.source.update(cols.source[d] for d in docs)
        for d in docs:
            counts.topic.update(cols.topics[d])
        counts.language.update(cols.language[d] for d in docs)
        counts.date.update(cols.year[d] for d in docs)
        return docs, counts
    passed: list[int] = []
    for d in docs:
        failed = _failures(d, cols, f)
        if not failed:
            passed.append(d)
            counts.source[cols.source[d]] += 1
            counts.topic.update(cols.topics[d])
            counts.language[cols.language[d]] += 1
        elif len(failed) == 1:
            group = failed[0]
            if group == "source":
                counts.source[cols.source[d]] += 1
            elif group == "topic":
                counts.topic.update(cols.topics[d])
            elif group == "language":
                counts.language[cols.language[d]] += 1
        if "date" not in failed or failed == ["date"]:
            if len(failed) == (1 if "date" in failed else 0):
                if by_month:
                    if cols.year[d] == f.year:
                        counts.date[cols.month[d]] += 1
                else:
                    counts.date[cols.year[d]] += 1
    return passed, counts
