"""Query evaluation over Whoosh's postings, a whole posting list at a time.

Whoosh's matchers score one document at a time in Python, which over a common
word in 60k articles costs hundreds of milliseconds. Here each term's posting
list is read as one record into NumPy arrays; AND/OR/AND-MAYBE/AND-NOT are
array set operations; BM25 is computed for every match at once; and phrase
positions are decoded only for documents that already contain every word (and,
for ranking-only parts, only for documents that match the required part).

The documents matched are exactly those Whoosh's own matchers return for the
same query objects (``Term``, ``Phrase``, ``And``, ``Or``, ``AndMaybe``,
``AndNot``); scores follow Whoosh's BM25F, with a phrase scored as one term
whose frequency is its number of occurrences.
"""

from dataclasses import dataclass
from functools import reduce
from itertools import chain

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from archive.search.backends.whoosh.column_io import numeric_values
from archive.search.backends.whoosh.postings import NOT_PACKED, PackedPostings, read_packed
from archive.search.backends.whoosh.schema import PackedPositions
from archive.search.generations import PerGeneration

K1 = 1.2
B = 0.75
LENGTH_FIELDS = ("title", "body", "grams", "tgrams")
_BYTE_LENGTHS = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)
_EMPTY_DOCS = np.zeros(0, dtype=np.int64)
_ROW_STRIDE = 1 << 32  # (row, position) pairs packed into one int64


@dataclass
class Matches:
    """Matching docnums (sorted, unique) and their scores, aligned."""

    docs: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> "Matches":
        return cls(_EMPTY_DOCS, np.zeros(0))


class _Postings:
    """A term's postings over all segments: global docnums (ascending) and frequencies.

    Positions stay in their segments' records until asked for, and then only for
    the postings wanted (``positions_at``).
    """

    def __init__(self):
        self.fmt = None  # the field's format, which decodes positions
        self.docs = _EMPTY_DOCS
        self.freqs = np.zeros(0)
        self._doc_parts: list[np.ndarray] = []
        self._freq_parts: list[np.ndarray] = []
        self._parts: list = []  # PackedPostings, or a list of encoded values
        self._starts: list[int] = []  # slot of each part's first posting

    def add(self, fmt, docs: np.ndarray, freqs: np.ndarray, positions=None) -> None:
        """One segment's postings (global docnums); ``positions`` when they are wanted."""
        self.fmt = fmt
        if positions is not None:
            self._parts.append(positions)
            self._starts.append(sum(map(len, self._doc_parts)))
        self._doc_parts.append(docs)
        self._freq_parts.append(freqs)

    def finish(self) -> "_Postings":
        if self._doc_parts:
            self.docs = np.concatenate(self._doc_parts)
            self.freqs = np.concatenate(self._freq_parts)
        return self

    def positions_at(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the postings at ``slots`` (ascending): (count per posting, all flat)."""
        bounds = np.searchsorted(slots, self._starts[1:] + [len(self.docs)])
        lengths, flats, begin = [], [], 0
        for part, first, end in zip(self._parts, self._starts, bounds.tolist(), strict=True):
            local = slots[begin:end] - first
            begin = end
            if not len(local):
                continue
            if isinstance(part, PackedPostings):
                if isinstance(self.fmt, PackedPositions) and part.ends is not None:
                    counts, flat = _packed_positions(part, local)
                else:
                    counts, flat = _decode_one_by_one(self.fmt, part.values(local.tolist()))
            else:
                counts, flat = _decode_positions(self.fmt, [part[i] for i in local.tolist()])
            lengths.append(counts)
            flats.append(flat)
        if not lengths:
            return _EMPTY_DOCS, _EMPTY_DOCS
        return np.concatenate(lengths), np.concatenate(flats)


def _leaves(searcher) -> list:
    """(segment reader, first docnum) of every non-empty segment the searcher sees."""
    return [
        (leaf, offset)
        for leaf, offset in searcher.reader().leaf_readers()
        if leaf.segment() is not None and leaf.doc_count_all()
    ]


class IndexStats:
    """Per-generation figures BM25 needs: document count, live documents, field lengths.

    Only arrays: the segment readers belong to the searcher, which a process may
    reopen on the same generation.
    """

    def __init__(self, searcher):
        reader = searcher.reader()
        leaves = _leaves(searcher)
        self.doc_count_all = max(reader.doc_count_all(), 1)
        self.live = np.zeros(reader.doc_count_all(), dtype=bool)
        self.lengths: dict[str, np.ndarray] = {}
        self.average: dict[str, float] = {}
        for leaf, offset in leaves:
            self.live[offset + np.fromiter(leaf.all_doc_ids(), dtype=np.int64)] = True
        for fieldname in LENGTH_FIELDS:
            parts = [_leaf_lengths(leaf, fieldname) for leaf, _offset in leaves]
            lengths = np.concatenate(parts) if parts else np.zeros(0)
            self.lengths[fieldname] = lengths
            total = reader.field_length(fieldname) if fieldname in reader.schema else 0
            self.average[fieldname] = (total / self.doc_count_all) or 1.0


def _leaf_lengths(leaf, fieldname: str) -> np.ndarray:
    """Token counts of ``fieldname`` per document of one segment (Whoosh's one-byte code)."""
    count = leaf.doc_count_all()
    perdoc = getattr(leaf, "_perdoc", None)
    lenfield = _lenfield(fieldname)
    if perdoc is not None and perdoc.has_column(lenfield):
        codes = numeric_values(perdoc.column_reader(lenfield, LENGTHS_COLUMN), count)
        if codes is not None:
            return _BYTE_LENGTHS[codes.astype(np.uint8)]
    return np.array(
        [leaf.doc_field_length(i, fieldname, 0) or 0 for i in range(count)], dtype=np.float64
    )


_stats = PerGeneration()


def index_stats(searcher, key: tuple) -> IndexStats:
    """The stats of the generation ``key``, computed once per process."""
    return _stats.get(key, lambda: IndexStats(searcher))


def _read_postings(leaves: list, fieldname: str, text: str, *, positions: bool) -> _Postings:
    """A term's postings in every segment; positions kept only when ``positions``."""
    result = _Postings()
    for leaf, offset in leaves:
        packed = read_packed(leaf, fieldname, text)
        if packed is None:
            continue
        fmt = leaf.schema[fieldname].format
        if packed is NOT_PACKED:  # a segment written before packed postings
            try:
                matcher = leaf.postings(fieldname, text)  # skips deleted documents itself
            except TermNotFound:
                continue
            ids, freqs, values = _walk(matcher, positions=positions)
            docs = np.asarray(ids, dtype=np.int64) + offset
            result.add(fmt, docs, np.asarray(freqs), values if positions else None)
        else:
            docs = packed.ids.astype(np.int64) + offset
            result.add(fmt, docs, packed.freqs(), packed if positions else None)
    return result.finish()


def _walk(matcher, *, positions: bool) -> tuple[list[int], list[float], list[bytes]]:
    """Ids, weights and (if ``positions``) values of a Whoosh matcher, one posting at a time."""
    ids, freqs, values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        freqs.append(matcher.weight())
        if positions:
            values.append(matcher.value())
        matcher.next()
    return ids, freqs, values


def _packed_positions(part: PackedPostings, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PackedPositions values straight from a packed record's bytes, without copying each."""
    words = np.frombuffer(part.blob, dtype="<u4")
    ends = part.ends[local].astype(np.int64) // 4
    begins = np.where(local > 0, part.ends[np.maximum(local - 1, 0)].astype(np.int64) // 4, 0)
    counts = ends - begins - 1  # each value: a count word, then the positions
    firsts = begins + 1
    total = int(counts.sum())
    index = np.repeat(firsts - (np.cumsum(counts) - counts), counts) + np.arange(total)
    return counts, words[index].astype(np.int64)


def _decode_positions(fmt, values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of many postings at once: (count per posting, all positions flat)."""
    if isinstance(fmt, PackedPositions):
        # Each value: a 4-byte count, then uint32 positions; drop the counts.
        words = np.fromiter(map(len, values), dtype=np.int64, count=len(values)) // 4
        flat = np.frombuffer(b"".join(values), dtype="<u4")
        keep = np.ones(len(flat), dtype=bool)
        keep[np.cumsum(words) - words] = False
        return words - 1, flat[keep].astype(np.int64)
    return _decode_one_by_one(fmt, values)


def _decode_one_by_one(fmt, values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Any other positions format (an index written by an older version), value by value."""
    lists = [fmt.decode_positions(value) for value in values]
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lengths.sum()))
    return lengths, flat


class Evaluator:
    """Evaluates one query tree against one searcher's generation."""

    def __init__(self, searcher, stats: IndexStats):
        self.searcher = searcher
        self.stats = stats
        self.leaves = _leaves(searcher)
        self._df: dict[tuple[str, str], int] = {}

    # --- scoring helpers ---------------------------------------------------------------
    def _idf(self, fieldname: str, text: str) -> float:
        key = (fieldname, text)
        df = self._df.get(key)
        if df is None:
            df = self._df[key] = self.searcher.doc_frequency(fieldname, text)
        return float(np.log(self.stats.doc_count_all / (df + 1)) + 1)

    def _bm25(self, fieldname: str, docs: np.ndarray, freqs: np.ndarray, idf: float) -> np.ndarray:
        lengths = self.stats.lengths.get(fieldname)
        if lengths is None or not len(lengths):
            norm = np.ones(len(docs))
        else:
            norm = (1 - B) + B * lengths[docs] / self.stats.average[fieldname]
        return idf * (freqs * (K1 + 1)) / (freqs + K1 * norm)

    # --- query types ---------------------------------------------------------------------
    def evaluate(self, query: wq.Query, within: np.ndarray | None = None) -> Matches:
        """Docs matching ``query`` (restricted to ``within`` if given), with scores."""
        if isinstance(query, Near):
            return self._near(query, within)
        if isinstance(query, wq.Term):
            return self._term(query, within)
        if isinstance(query, wq.Phrase):
            return self._phrase(query, within)
        if isinstance(query, wq.AndMaybe):
            return self._and_maybe(query, within)
        if isinstance(query, wq.AndNot):
            return self._and_not(query, within)
        if isinstance(query, wq.And):
            return self._and(query, within)
        if isinstance(query, wq.Or):
            return self._or(query, within)
        return self._fallback(query, within)

    def _term(self, query: wq.Term, within) -> Matches:
        postings = _read_postings(self.leaves, query.fieldname, query.text, positions=False)
        docs, freqs = postings.docs, postings.freqs
        keep = self.stats.live[docs]
        if within is not None:
            keep &= np.isin(docs, within, assume_unique=True)
        docs, freqs = docs[keep], freqs[keep]
        idf = self._idf(query.fieldname, query.text)
        return Matches(docs, query.boost * self._bm25(query.fieldname, docs, freqs, idf))

    def _phrase(self, query: wq.Phrase, within) -> Matches:
        words = list(query.words)
        if len(words) == 1:
            return self._term(wq.Term(query.fieldname, words[0], boost=query.boost), within)
        lists = [
            _read_postings(self.leaves, query.fieldname, word, positions=True) for word in words
        ]
        candidates = self._candidates(lists, within)
        if not len(candidates):
            return Matches.empty()
        starts = _phrase_starts(lists, candidates)
        counts = np.bincount(starts // _ROW_STRIDE, minlength=len(candidates)).astype(float)
        return self._scored(query.fieldname, words, query.boost, candidates, counts)

    def _near(self, query: "Near", within) -> Matches:
        words = [word for group in query.groups for word in group]
        lists = [
            _read_postings(self.leaves, query.fieldname, word, positions=True) for word in words
        ]
        candidates = self._candidates(lists, within)
        if not len(candidates):
            return Matches.empty()
        occurrences, at = [], 0
        for group in query.groups:
            occurrences.append(_phrase_starts(lists[at : at + len(group)], candidates))
            at += len(group)
        counts = _windows(occurrences, query.spans, query.distance, len(candidates))
        return self._scored(query.fieldname, words, query.boost, candidates, counts)

    def _candidates(self, lists: list["_Postings"], within) -> np.ndarray:
        """Live documents (within ``within``) holding every one of the terms."""
        if any(not len(p.docs) for p in lists):
            return _EMPTY_DOCS
        candidates = reduce(
            lambda a, b: np.intersect1d(a, b, assume_unique=True), (p.docs for p in lists)
        )
        candidates = candidates[self.stats.live[candidates]]
        if within is not None:
            candidates = np.intersect1d(candidates, within, assume_unique=True)
        return candidates

    def _scored(self, fieldname, words, boost, candidates, counts) -> Matches:
        """Candidates found ``counts`` times (phrases, windows), scored as one term."""
        found = counts > 0
        docs, freqs = candidates[found], counts[found]
        idf = sum(self._idf(fieldname, word) for word in words)
        return Matches(docs, boost * self._bm25(fieldname, docs, freqs, idf))

    def _and(self, query: wq.And, within) -> Matches:
        result: Matches | None = None
        for sub in query.subqueries:
            found = self.evaluate(sub, within if result is None else result.docs)
            result = found if result is None else _intersect(result, found)
            if not len(result.docs):
                return Matches.empty()
        return result or Matches.empty()

    def _or(self, query: wq.Or, within) -> Matches:
        parts = [self.evaluate(sub, within) for sub in query.subqueries]
        return _union(parts)

    def _and_maybe(self, query: wq.AndMaybe, within) -> Matches:
        required = self.evaluate(query.a, within)
        if not len(required.docs):
            return required
        optional = self.evaluate(query.b, required.docs)
        return _add_where_present(required, optional)

    def _and_not(self, query: wq.AndNot, within) -> Matches:
        positive = self.evaluate(query.a, within)
        if not len(positive.docs):
            return positive
        negative = self.evaluate(query.b, positive.docs)
        keep = ~np.isin(positive.docs, negative.docs, assume_unique=True)
        return Matches(positive.docs[keep], positive.scores[keep])

    def _fallback(self, query: wq.Query, within) -> Matches:
        """Any other query type, through Whoosh's own matcher."""
        matcher = query.matcher(self.searcher)
        docs, scores = [], []
        while matcher.is_active():
            docs.append(matcher.id())
            scores.append(matcher.score())
            matcher.next()
        result = Matches(np.asarray(docs, dtype=np.int64), np.asarray(scores, dtype=np.float64))
        if within is not None:
            keep = np.isin(result.docs, within, assume_unique=True)
            result = Matches(result.docs[keep], result.scores[keep])
        return result


def _phrase_starts(lists: list[_Postings], candidates: np.ndarray) -> np.ndarray:
    """Where the words of ``lists`` occur in sequence in ``candidates`` (each holds them all):
    ``row * _ROW_STRIDE + position`` keys, ``row`` indexing ``candidates``, ascending."""
    # Rarest word first: most candidates fail on it, and later words decode less.
    order = sorted(range(len(lists)), key=lambda i: len(lists[i].docs))
    alive = np.arange(len(candidates))
    starts = _EMPTY_DOCS
    for rank, i in enumerate(order):
        postings = lists[i]
        slots = np.searchsorted(postings.docs, candidates[alive])
        lengths, positions = postings.positions_at(slots)
        rows = np.repeat(alive, lengths)
        begin = positions - i  # where the sequence would start
        valid = begin >= 0
        keys = rows[valid] * _ROW_STRIDE + begin[valid]
        starts = keys if rank == 0 else np.intersect1d(starts, keys, assume_unique=True)
        if not len(starts):
            return _EMPTY_DOCS
        alive = np.unique(starts // _ROW_STRIDE)
    return starts


def _windows(occurrences: list[np.ndarray], spans, distance: int, rows: int) -> np.ndarray:
    """Per row, the windows holding one occurrence of every group with at most ``distance``
    positions of other text in them (any order): how often the first group anchors one."""
    first, first_span = occurrences[0], spans[0]
    if len(occurrences) == 2:
        other, other_span = occurrences[1], spans[1]
        row_start = (first // _ROW_STRIDE) * _ROW_STRIDE
        low = np.maximum(first - other_span - distance, row_start)
        high = first + first_span + distance
        near = np.searchsorted(other, high, side="right") > np.searchsorted(other, low)
        return np.bincount(first[near] // _ROW_STRIDE, minlength=rows).astype(float)
    counts = np.zeros(rows)
    shared = reduce(np.intersect1d, (np.unique(o // _ROW_STRIDE) for o in occurrences))
    for row in shared.tolist():
        events = sorted(
            (int(key % _ROW_STRIDE), group)
            for group, keys in enumerate(occurrences)
            for key in keys[(keys // _ROW_STRIDE) == row].tolist()
        )
        counts[row] = _row_windows(events, spans, distance)
    return counts


def _row_windows(events: list[tuple[int, int]], spans, distance: int) -> int:
    """Windows over ``events`` (position, group), sorted, covering every group closely enough:
    the number of distinct first-group occurrences that start or sit in one."""
    needed, held, left, anchors = len(spans), {}, 0, set()
    total_span = sum(spans)
    for right, (_position, group) in enumerate(events):
        held[group] = held.get(group, 0) + 1
        while len(held) == needed:
            window = events[left : right + 1]
            end = max(pos + spans[g] for pos, g in window)
            if end - events[left][0] - total_span <= distance:
                anchors.update(pos for pos, g in window if g == 0)
            start_group = events[left][1]
            held[start_group] -= 1
            if not held[start_group]:
                del held[start_group]
            left += 1
    return len(anchors)


class Near(wq.Query):
    """Groups of terms (each a sequence, ``spans`` positions long) found within ``distance``
    positions of other text of each other, in any order (``"a b"~N``, ``a NEAR/N b``).

    Evaluated only here (a Whoosh query type so Whoosh's compound queries accept it).
    """

    def __init__(self, fieldname: str, groups, spans, distance: int, boost: float = 1.0):
        self.fieldname = fieldname
        self.groups = tuple(tuple(group) for group in groups)
        self.spans = tuple(spans)
        self.distance = distance
        self.boost = boost

    def __repr__(self) -> str:
        return f"Near({self.fieldname!r}, {self.groups!r}, {self.spans!r}, {self.distance})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Near) and repr(self) == repr(other) and self.boost == other.boost

    def __hash__(self) -> int:
        return hash(repr(self))


def _intersect(a: Matches, b: Matches) -> Matches:
    docs, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
    return Matches(docs, a.scores[ia] + b.scores[ib])


def _union(parts: list[Matches]) -> Matches:
    parts = [p for p in parts if len(p.docs)]
    if not parts:
        return Matches.empty()
    if len(parts) == 1:
        return parts[0]
    docs, inverse = np.unique(np.concatenate([p.docs for p in parts]), return_inverse=True)
    scores = np.bincount(inverse, weights=np.concatenate([p.scores for p in parts]))
    return Matches(docs, scores)


def _add_where_present(base: Matches, extra: Matches) -> Matches:
    if not len(extra.docs):
        return base
    scores = base.scores.copy()
    scores[np.searchsorted(base.docs, extra.docs)] += extra.scores
    return Matches(base.docs, scores)


def evaluate(searcher, key: tuple, query: wq.Query) -> Matches:
    """Every live document matching ``query``, with its score."""
    return Evaluator(searcher, index_stats(searcher, key)).evaluate(query)
