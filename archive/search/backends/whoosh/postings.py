"""Posting lists stored as flat arrays, one record per term and segment.

Whoosh 3 cuts a posting list into blocks of 128 and pickles each block (a tuple
of ids, weights and values) with a pickled header in front. Unpickling those
blocks was a quarter of a query's time, and a term query paid for positions it
never used. Here a term's postings are one record::

    b"ARP1" | count u32 | flags u32 | ids u32[count]
            | weights f32[count] (if HAS_WEIGHTS; else every weight is 1)
            | value ends u32[count] (if HAS_VALUES) | the values, concatenated

all little-endian, so a reader takes each part with one ``numpy.frombuffer``
and slices positions only for the documents it asks about. Whoosh's own
matchers still work: the codec hands them a ``ListMatcher`` over the decoded
record (segment merges and any query type our engine leaves to Whoosh).
"""

import io
import os
import struct
from array import array
from itertools import accumulate

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3PostingsWriter
from whoosh.matching import ListMatcher
from whoosh.reading import TermNotFound

MAGIC = b"ARP1"
HAS_WEIGHTS = 1
HAS_VALUES = 2
_HEADER = struct.Struct("<4sII")
VERSION = 2  # postings format of segments this code writes (1: Whoosh's pickled blocks)


class PackedPostingsWriter(W3PostingsWriter):
    """Buffers a whole posting list and writes it as one packed record."""

    def __init__(self, postfile):
        super().__init__(postfile, blocklimit=1 << 31, byteids=False, compression=0)

    def add_posting(self, id_, weight, vbytes, length=None):
        # Stock add_posting also checks types and tracks per-block length bounds,
        # which only serve Whoosh's block skipping; the engine never skips blocks.
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)

    def _write_block(self, last=False):
        self._terminfo.add_block(self)
        ids, weights, values = self._ids, self._weights, self._values
        flags = 0
        if weights.count(1.0) != len(weights):
            flags |= HAS_WEIGHTS
        if values:
            if len(values) != len(ids):
                raise ValueError("a posting list has values for only some of its documents")
            flags |= HAS_VALUES
        parts = [_HEADER.pack(MAGIC, len(ids), flags), _little_endian(ids)]
        if flags & HAS_WEIGHTS:
            parts.append(_little_endian(weights))
        if flags & HAS_VALUES:
            parts.append(_little_endian(array("I", accumulate(map(len, values)))))
            parts.extend(values)
        self._postfile.write(b"".join(parts))
        self._blockcount += 1
        self._new_block()


def _little_endian(numbers: array) -> bytes:
    if array("I", [1]).tobytes()[0] != 1:  # a big-endian machine
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return numbers.tobytes()


class CorruptPostings(ValueError):
    """A posting record that cannot be what this module wrote (damaged index data)."""


class PackedPostings:
    """One segment's posting list for a term, as arrays over the record's bytes."""

    __slots__ = ("ids", "weights", "ends", "blob")

    def __init__(self, record: bytes):
        if len(record) < _HEADER.size:
            raise CorruptPostings("posting record shorter than its header")
        magic, count, flags = _HEADER.unpack_from(record)
        if magic != MAGIC or flags & ~(HAS_WEIGHTS | HAS_VALUES):
            raise CorruptPostings("not a packed posting list")
        arrays = 1 + bool(flags & HAS_WEIGHTS) + bool(flags & HAS_VALUES)
        if len(record) < _HEADER.size + 4 * count * arrays:
            raise CorruptPostings("posting record shorter than its arrays")
        offset = _HEADER.size
        self.ids = np.frombuffer(record, dtype="<u4", count=count, offset=offset)
        offset += 4 * count
        self.weights = None
        if flags & HAS_WEIGHTS:
            self.weights = np.frombuffer(record, dtype="<f4", count=count, offset=offset)
            offset += 4 * count
        self.ends = None
        self.blob = memoryview(record)[offset:]
        if flags & HAS_VALUES:
            self.ends = np.frombuffer(record, dtype="<u4", count=count, offset=offset)
            self.blob = memoryview(record)[offset + 4 * count :]
            if count and int(self.ends[-1]) > len(self.blob):
                raise CorruptPostings("posting values out of bounds")

    def freqs(self) -> np.ndarray:
        """Weights as float64 (a word's count in the document, for our text fields)."""
        if self.weights is None:
            return np.ones(len(self.ids))
        return self.weights.astype(np.float64)

    def values(self, slots=None) -> list[bytes]:
        """The encoded values of the postings at ``slots`` (all when None)."""
        if self.ends is None:
            count = len(self.ids) if slots is None else len(slots)
            return [b""] * count
        ends = self.ends.tolist()
        chosen = range(len(ends)) if slots is None else slots
        blob = self.blob
        return [bytes(blob[(ends[i - 1] if i else 0) : ends[i]]) for i in chosen]

    def matcher(self, format_, *, term=None, terminfo=None, scorer=None) -> ListMatcher:
        """A Whoosh matcher over these postings.

        Values are always bytes (``b""`` for fields that store none): Whoosh's
        segment merge copies each posting's value and refuses anything else, and a
        ``ListMatcher`` without values would hand it ``""``.
        """
        return ListMatcher(
            self.ids.tolist(),
            self.freqs().tolist(),
            self.values(),
            format_,
            scorer=scorer,
            term=term,
            terminfo=terminfo,
        )


def _read_record(postfile, offset: int, length: int) -> bytes:
    handle = getattr(postfile, "file", None)
    if isinstance(handle, io.BufferedReader | io.FileIO):  # a whole file, not a part of one
        record = os.pread(handle.fileno(), length, offset)  # one call, no shared seek
    else:
        record = postfile.get(offset, length)
    if len(record) != length:
        raise CorruptPostings(f"posting record cut short ({len(record)} of {length} bytes)")
    return record


def _extent(terminfo) -> tuple[int, int]:
    offset, length = terminfo.extent()
    if isinstance(length, tuple):  # Whoosh's from_bytes leaves the length in a 1-tuple
        length = length[0]
    return offset, length


def postings_reader(postfile, terminfo, format_, term=None, scorer=None):
    """The codec's reader: packed records, or Whoosh 3 blocks in older segments."""
    offset, length = _extent(terminfo)
    record = _read_record(postfile, offset, length)
    if record[:4] == WHOOSH3_HEADER_MAGIC:
        return W3LeafMatcher(postfile, offset, length, format_, term=term, scorer=scorer)
    return PackedPostings(record).matcher(format_, term=term, terminfo=terminfo, scorer=scorer)


NOT_PACKED = object()


def read_packed(leaf, fieldname: str, text: str):
    """A segment's packed postings for a term; None if absent; NOT_PACKED for other formats.

    Deleted documents are included: callers drop them with their own live mask.
    """
    terms = getattr(leaf, "_terms", None)
    if terms is None or fieldname not in leaf.schema:
        return NOT_PACKED if terms is None else None
    try:
        terminfo = terms.term_info(fieldname, leaf._text_to_bytes(fieldname, text))
    except TermNotFound:
        return None
    if terminfo.is_inlined():
        return NOT_PACKED
    offset, length = _extent(terminfo)
    record = _read_record(terms._postfile, offset, length)
    if record[:4] != MAGIC:
        return NOT_PACKED
    return PackedPostings(record)


def segment_version(segment) -> int:
    """Postings format of a segment: 2 when written by this module, 1 before."""
    return getattr(segment.codec(), "postings_version", 1)
