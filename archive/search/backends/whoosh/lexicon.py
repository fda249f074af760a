"""The index's words (title and body terms) with their article counts, for prefixes,
pinyin and suggestions.

Whoosh's own term iteration decodes a ``TermInfo`` object per term and merges
segments in Python, about 40 s for the 300k words of 61k articles. Here each
segment's terms file is read as one byte string and walked record by record
(Whoosh 3's layout: lengths, key, then a term info whose document frequency sits
at byte 5, which ``W3TermInfo.read_doc_freq`` also relies on), about 1 s;
segments never change, so each is read once per process, and a new generation
only reads its new segments.
"""

import struct
import threading

from whoosh.codec.whoosh3 import W3TermsReader
from whoosh.filedb.filetables import _lengths

from archive.search.generations import PerGeneration
from archive.search.vocabulary import Vocabulary

WORD_FIELDS = ("body", "title")  # the fields of analysed words (``schema``)
_DOC_FREQUENCY = struct.Struct("!I")
_DOC_FREQUENCY_AT = 5  # flags (1 byte) and weight (4 bytes) come first
_segment_words: dict[tuple, dict[str, int]] = {}
_lock = threading.Lock()
_lexicons = PerGeneration()


def lexicon(searcher, key: tuple) -> Vocabulary:
    """The lexicon of the generation ``key``, built once per process."""
    return _lexicons.get(key, lambda: _build(searcher, key))


def _build(searcher, key: tuple) -> Vocabulary:
    merged: dict[str, int] = {}
    seen = set()
    for fieldname in WORD_FIELDS:
        field_counts: dict[str, int] = {}
        for leaf, _offset in searcher.reader().leaf_readers():
            if leaf.segment() is None:
                continue
            cache_key = (key[0], leaf.segment().segment_id(), fieldname)
            seen.add(cache_key)
            with _lock:
                words = _segment_words.get(cache_key)
            if words is None:
                words = _read_segment(leaf, fieldname)
                with _lock:
                    _segment_words[cache_key] = words
            for word, count in words.items():
                field_counts[word] = field_counts.get(word, 0) + count
        for word, count in field_counts.items():
            if count > merged.get(word, 0):
                merged[word] = count
    with _lock:
        for stale in [k for k in _segment_words if k not in seen]:
            del _segment_words[stale]
    return Vocabulary(merged)


def _read_segment(leaf, fieldname: str) -> dict[str, int]:
    """word -> documents of one segment holding it in ``fieldname``."""
    if fieldname not in leaf.schema:
        return {}
    terms = getattr(leaf, "_terms", None)
    if not isinstance(terms, W3TermsReader):  # another codec: Whoosh's own (slow) way
        return {
            text.decode("utf-8"): info.doc_frequency() for text, info in leaf.iter_field(fieldname)
        }
    table = terms._tindex
    prefix = terms._keycoder(fieldname, b"")
    pos = table.closest_key_pos(prefix)
    if pos is None:
        return {}
    blob = table.dbfile.get(pos, table.endofdata - pos)
    size, lengths, frequency = _lengths.size, _lengths.unpack_from, _DOC_FREQUENCY.unpack_from
    words: dict[str, int] = {}
    i, end, width = 0, len(blob), len(prefix)
    while i < end:
        key_length, data_length = lengths(blob, i)
        key_at = i + size
        if blob[key_at : key_at + width] != prefix:
            break
        data_at = key_at + key_length
        word = blob[key_at + width : data_at].decode("utf-8")
        words[word] = frequency(blob, data_at + _DOC_FREQUENCY_AT)[0]
        i = data_at + data_length
    return words
