"""Whole Whoosh columns read in one go, for the per-segment arrays facets and BM25 use.

Whoosh's column readers fetch one document's value per call (a seek and a read
each); over 60k documents and a dozen columns that is most of a web worker's
start-up. These read a column's bytes once and cut them up in memory. Any column
kind not handled here falls back to Whoosh's own reader.
"""

import numpy as np
from whoosh.columns import NumericColumn, TranslatingColumnReader, VarBytesColumn


def text_values(leaf, name: str) -> list[str]:
    """A text column (ID/KEYWORD, sortable) as one string per document ("" if missing)."""
    count = leaf.doc_count_all()
    if not leaf.has_column(name):
        return [""] * count
    reader = leaf.column_reader(name)
    raw = getattr(reader, "_reader", None)
    if isinstance(reader, TranslatingColumnReader) and isinstance(raw, VarBytesColumn.Reader):
        lengths = np.asarray(raw._lengths, dtype=np.int64)
        offsets = np.asarray(raw._offsets, dtype=np.int64)
        end = int((offsets + lengths).max()) if count else 0
        blob = raw._dbfile.get(raw._basepos, end)
        decoded: dict[bytes, str] = {}
        out = []
        for start, length in zip(offsets.tolist(), lengths.tolist(), strict=True):
            value = blob[start : start + length]
            text = decoded.get(value)
            if text is None:
                text = decoded[value] = value.decode("utf-8")
            out.append(text)
        return out
    return [value or "" for value in reader]


def numeric_values(reader, count: int) -> np.ndarray | None:
    """A NumericColumn reader's values as an array (raw, untranslated), or None."""
    if not isinstance(reader, NumericColumn.Reader):
        return None
    size = reader._fixedlen
    stored = min(reader._count, count)
    values = np.full(count, reader._default, dtype=np.dtype(">" + reader._typecode))
    if stored:
        raw = reader._dbfile.get(reader._basepos, stored * size)
        values[:stored] = np.frombuffer(raw, dtype=">" + reader._typecode)
    return values
