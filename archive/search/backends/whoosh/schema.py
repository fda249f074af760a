"""The Whoosh schema of an article document, its file format, and the fields of a document."""

import struct

from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE, pack_uint

from archive.search.backends.whoosh import postings
from archive.search.backends.whoosh.analysis import GramAnalyzer, WordAnalyzer


class ArchiveCodec(W3Codec):
    """Whoosh's file format with packed posting lists (``postings``) and no length stats.

    Per-block length bounds only serve Whoosh's own block-skipping, which our
    engine does not use (the per-document lengths BM25 needs are still written).
    The codec is pickled into each segment's entry in the index's table of
    contents; ``postings_version`` tells segments written before packed
    postings (the class default, as their pickled instances lack the attribute).
    """

    length_stats = False
    postings_version = 1

    def __init__(self, blocklimit: int = 128, compression: int = 0, inlinelimit: int = 1):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)
        self.postings_version = postings.VERSION

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors, which the schema does not store
            return super().postings_writer(dbfile, byteids=byteids)
        return postings.PackedPostingsWriter(dbfile)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        return postings.postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)


class PackedPositions(Positions):
    """Positions stored as raw little-endian uint32s, filled straight from our analyzers.

    A value is Whoosh's 4-byte count followed by the positions, so a whole posting
    list's values decode with one ``numpy.frombuffer`` (stock ``Positions`` pickles
    each list of deltas, and unpickling them one by one is most of a phrase query).
    Stock ``word_values`` also builds a Token object per term occurrence, most of
    the time spent adding a document; ours reads the analyzer's term lists.
    """

    def word_values(self, value, analyzer, **kwargs):
        term_positions = getattr(analyzer, "term_positions", None)
        if term_positions is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for word, positions in term_positions(value).items():
            count = len(positions)
            yield word, count, count * boost, self.encode(positions)

    def encode(self, poslist) -> bytes:
        return pack_uint(len(poslist)) + struct.pack(f"<{len(poslist)}I", *poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        count = (len(valuestring) - _INT_SIZE) // 4
        return list(struct.unpack_from(f"<{count}I", valuestring, _INT_SIZE))


def _text(analyzer) -> TEXT:
    field = TEXT(analyzer=analyzer, phrase=True)
    field.format = PackedPositions(field_boost=field.format.field_boost)
    return field


def build_schema() -> Schema:
    """Text fields for matching and ranking; whole-value columns for facets and sorting.

    ``title``/``body``: jieba words (consecutive positions, stemmed English), for
    ranking and word phrases. ``grams``: CJK unigrams + bigrams of title and body
    (every substring is findable). ``tgrams``: the same for the title alone, to rank
    title matches first. Facet fields are unanalysed and sortable, so counts read
    columns rather than stored text. Only the id is stored: pages load articles
    from the database.
    """
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=_text(WordAnalyzer()),
        body=_text(WordAnalyzer()),
        grams=_text(GramAnalyzer()),
        tgrams=_text(GramAnalyzer()),
        source=ID(sortable=True),
        topics=KEYWORD(sortable=True, lowercase=False, commas=False, scorable=False),
        language=ID(sortable=True),
        year=ID(sortable=True),
        month=ID(sortable=True),
        pub=NUMERIC(int, bits=64, signed=True, sortable=True),
        story=ID(sortable=True),
    )


def whoosh_fields(document: dict) -> dict:
    """An engine-neutral document (``archive.search.documents``) as this schema's fields."""
    title, body = document["title"], document["body"]
    return {
        "id": str(document["id"]),
        "title": title,
        "body": body,
        "grams": f"{title}\n{body}",
        "tgrams": title,
        "source": document["source"],
        "topics": " ".join(document["topics"]),
        "language": document["language"],
        "year": document["year"],
        "month": document["month"],
        "pub": document["pub"],
        "story": str(document.get("story") or document["id"]),
    }
