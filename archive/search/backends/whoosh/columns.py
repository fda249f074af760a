"""Per-document facet values read from Whoosh columns, as arrays, cached per segment.

Segments never change once written (only their deletion lists do), so a segment's
column values are read once per process. Each facet is stored as small integer
codes per docnum (topics, which are several per document, as a CSR list), so
filtering and counting a result set are a few NumPy operations, whatever its size.
"""

import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np

from archive.search.backends.whoosh.column_io import numeric_values, text_values
from archive.search.documents import UNDATED
from archive.search.facets import BY_NAME, VALUE_FACETS, FacetCounts, Filters
from archive.search.generations import PerGeneration

# Document fields with one value per article (facets, and the date's two levels);
# and those with several (topics).
_SINGLE = (
    *(f.field for f in VALUE_FACETS if not f.several_per_article),
    "year",
    "month",
)
_MANY = tuple(f.field for f in VALUE_FACETS if f.several_per_article)
_segment_cache: dict[tuple, "_Segment"] = {}
_columns = PerGeneration()
_lock = threading.Lock()


@dataclass
class Coded:
    """One single-valued facet: a code per docnum and the value of each code."""

    codes: np.ndarray
    values: list[str]

    def code_set(self, wanted) -> np.ndarray:
        return _code_set(self.values, wanted)

    def count(self, docs: np.ndarray) -> Counter:
        return _counter(np.bincount(self.codes[docs], minlength=len(self.values)), self.values)


@dataclass
class Several:
    """Several codes per docnum (topics): ``codes[starts[d]:starts[d + 1]]``."""

    starts: np.ndarray
    codes: np.ndarray
    values: list[str]

    def _gather(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row of ``docs`` each entry belongs to, topic code) for every entry of ``docs``."""
        begin = self.starts[docs]
        lengths = self.starts[docs + 1] - begin
        rows = np.repeat(np.arange(len(docs)), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return rows, self.codes[np.repeat(begin, lengths) + offsets]

    def any_of(self, docs: np.ndarray, wanted) -> np.ndarray:
        rows, entry_codes = self._gather(docs)
        hit = np.zeros(len(docs), dtype=bool)
        hit[rows[np.isin(entry_codes, _code_set(self.values, wanted))]] = True
        return hit

    def count(self, docs: np.ndarray) -> Counter:
        _rows, entry_codes = self._gather(docs)
        return _counter(np.bincount(entry_codes, minlength=len(self.values)), self.values)


def _code_set(values: list[str], wanted) -> np.ndarray:
    """The codes of the ``wanted`` values (those that occur at all)."""
    lookup = {value: code for code, value in enumerate(values)}
    return np.array([lookup[v] for v in wanted if v in lookup], dtype=np.int32)


def _counter(counts: np.ndarray, values: list[str]) -> Counter:
    return Counter({values[code]: int(counts[code]) for code in np.flatnonzero(counts)})


@dataclass
class Columns:
    """Facet values by docnum for the whole index, and the live (not deleted) docnums."""

    ids: np.ndarray  # article pk per docnum
    single: dict[str, Coded]  # document field -> its codes (``_SINGLE``)
    several: dict[str, Several]  # document field -> its code lists (``_MANY``)
    pub: np.ndarray  # seconds since the epoch; meaningful where ``dated``
    dated: np.ndarray
    live: np.ndarray  # live docnums, ascending
    story: np.ndarray  # the story's article id per docnum (the article's own when alone)


@dataclass
class _Segment:
    ids: np.ndarray
    single: dict[str, list[str]]  # document field -> its value for each docnum
    several: dict[str, list[tuple[str, ...]]]
    pub: np.ndarray
    dated: np.ndarray
    story: np.ndarray


def _read_segment(leaf) -> _Segment:
    year = text_values(leaf, "year")
    dated = np.array([bool(y) and y != UNDATED for y in year], dtype=bool)
    ids = np.array([int(v) if v else 0 for v in text_values(leaf, "id")], dtype=np.int64)
    # An index written before story versions has no such field: each article is its own.
    stories = text_values(leaf, "story") if "story" in leaf.schema else [""] * len(ids)
    return _Segment(
        ids=ids,
        single={name: year if name == "year" else text_values(leaf, name) for name in _SINGLE},
        several={name: [tuple(v.split()) for v in text_values(leaf, name)] for name in _MANY},
        pub=np.where(dated, _publication_times(leaf), 0),
        dated=dated,
        story=np.array(
            [int(s) if s else pk for s, pk in zip(stories, ids.tolist(), strict=True)],
            dtype=np.int64,
        ),
    )


def _publication_times(leaf) -> np.ndarray:
    """The ``pub`` column as int64 seconds (0 where missing)."""
    count = leaf.doc_count_all()
    if not leaf.has_column("pub"):
        return np.zeros(count, dtype=np.int64)
    reader = leaf.column_reader("pub")
    raw = numeric_values(getattr(reader, "_reader", None), count)
    if raw is not None and raw.dtype.kind == "u" and raw.dtype.itemsize == 8:
        # Whoosh stores a signed 64-bit number shifted by 2**63 so it sorts unsigned.
        values = (raw.astype(np.uint64) - np.uint64(1 << 63)).view(np.int64)
        if not count or values[0] == reader[0]:
            return values
    return np.array([v if v is not None else 0 for v in reader], dtype=np.int64)


def _encode(values: list[str]) -> Coded:
    lookup: dict[str, int] = {}
    codes = np.fromiter(
        (lookup.setdefault(v, len(lookup)) for v in values), dtype=np.int32, count=len(values)
    )
    return Coded(codes, list(lookup))


def _encode_several(lists: list[tuple[str, ...]]) -> Several:
    lookup: dict[str, int] = {}
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    codes = np.fromiter(
        (lookup.setdefault(t, len(lookup)) for topics in lists for t in topics),
        dtype=np.int32,
        count=int(lengths.sum()),
    )
    starts = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    return Several(starts, codes, list(lookup))


def columns(searcher, key) -> Columns:
    """The columns of every segment of ``searcher``'s reader, concatenated by docnum."""
    return _columns.get(key, lambda: _read_columns(searcher, key))


def _read_columns(searcher, key) -> Columns:
    reader = searcher.reader()
    segments: list[_Segment] = []
    live_parts: list[np.ndarray] = []
    seen_keys = set()
    for leaf, offset in reader.leaf_readers():
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
        segments.append(data)
        if leaf.has_deletions():
            live_parts.append(offset + np.fromiter(leaf.all_doc_ids(), dtype=np.int64))
        else:
            live_parts.append(np.arange(offset, offset + leaf.doc_count_all(), dtype=np.int64))
    result = Columns(
        ids=_concat([seg.ids for seg in segments], np.int64),
        single={n: _encode([v for seg in segments for v in seg.single[n]]) for n in _SINGLE},
        several={
            n: _encode_several([t for seg in segments for t in seg.several[n]]) for n in _MANY
        },
        pub=_concat([seg.pub for seg in segments], np.int64),
        dated=_concat([seg.dated for seg in segments], bool),
        live=_concat(live_parts, np.int64),
        story=_concat([seg.story for seg in segments], np.int64),
    )
    with _lock:
        for stale in [k for k in _segment_cache if k not in seen_keys]:
            del _segment_cache[stale]
    return result


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def constrain(docs: np.ndarray, cols: Columns, constraints) -> np.ndarray:
    """``docs`` (in order) that pass every field filter of the query (``query.Constraint``)."""
    for constraint in constraints:
        if constraint.field == "date":
            ok = cols.dated[docs].copy()
            pub = cols.pub[docs]
            if constraint.pub_from is not None:
                ok &= pub >= constraint.pub_from
            if constraint.pub_to is not None:
                ok &= pub < constraint.pub_to
        else:
            facet = BY_NAME[constraint.field]
            if facet.several_per_article:
                ok = cols.several[facet.field].any_of(docs, constraint.values)
            else:
                coded = cols.single[facet.field]
                ok = np.isin(coded.codes[docs], coded.code_set(constraint.values))
        docs = docs[~ok if constraint.negated else ok]
    return docs


def _checks(docs: np.ndarray, cols: Columns, f: Filters) -> dict[str, np.ndarray]:
    """For each active filter group, which of ``docs`` pass it."""
    checks: dict[str, np.ndarray] = {}
    for facet in VALUE_FACETS:
        wanted = f.selected(facet.name)
        if not wanted:
            continue
        if facet.several_per_article:
            checks[facet.name] = cols.several[facet.field].any_of(docs, wanted)
        else:
            coded = cols.single[facet.field]
            checks[facet.name] = np.isin(coded.codes[docs], coded.code_set(wanted))
    if f.year:
        year, month = cols.single["year"], cols.single["month"]
        coded, wanted = (month, f.month) if f.month else (year, f.year)
        checks["date"] = np.isin(coded.codes[docs], coded.code_set([wanted]))
    if f.pub_from is not None or f.pub_to is not None:
        ok = cols.dated[docs].copy()
        pub = cols.pub[docs]
        if f.pub_from is not None:
            ok &= pub >= f.pub_from
        if f.pub_to is not None:
            ok &= pub < f.pub_to
        checks["range"] = ok
    return checks


def _passing(checks: dict[str, np.ndarray], size: int, *, ignore: str | None = None):
    ok = np.ones(size, dtype=bool)
    for group, passed in checks.items():
        if group != ignore:
            ok &= passed
    return ok


def filter_and_count(docs, cols: Columns, f: Filters) -> tuple[np.ndarray, FacetCounts]:
    """Docs passing every filter, and facet counts where each facet ignores its own filter.

    Several values of one facet OR together; different facets AND. A facet's counts
    are over the documents that pass all the *other* filters, so a reader can add a
    second value of the same facet. ``docs`` keeps its order in the answer.
    """
    docs = np.asarray(docs, dtype=np.int64)
    checks = _checks(docs, cols, f)
    passed = docs[_passing(checks, len(docs))] if checks else docs

    def among(group: str) -> np.ndarray:
        return docs[_passing(checks, len(docs), ignore=group)] if checks else docs

    counts: FacetCounts = {}
    for facet in VALUE_FACETS:
        column = (cols.several if facet.several_per_article else cols.single)[facet.field]
        counts[facet.name] = column.count(among(facet.name))
    date_docs = among("date")
    year, month = cols.single["year"], cols.single["month"]
    if f.year and f.year != UNDATED:  # months of the selected year
        in_year = np.isin(year.codes[date_docs], year.code_set([f.year]))
        counts["date"] = month.count(date_docs[in_year])
    else:
        counts["date"] = year.count(date_docs)
    return passed, counts


def months(docs: np.ndarray, cols: Columns) -> Counter:
    """(month or UNDATED, language) -> how many of ``docs``, for the timeline."""
    month, language = cols.single["month"], cols.single["language"]
    width = max(len(language.values), 1)
    pairs = np.bincount(
        month.codes[docs].astype(np.int64) * width + language.codes[docs],
        minlength=len(month.values) * width,
    )
    return Counter(
        {
            (month.values[code // width], language.values[code % width]): int(pairs[code])
            for code in np.flatnonzero(pairs)
        }
    )
