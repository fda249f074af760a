"""Text analysis shared by ingest, indexing, querying and highlighting.

One module, so the indexer, the query parser and the highlighter can never
disagree about what a piece of text means.
"""

import unicodedata
from functools import cache

import opencc


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(f"{config}.json" if not config.endswith(".json") else config)


def normalize(text: str) -> str:
    """NFKC: full-width letters, digits and punctuation become their plain forms."""
    return unicodedata.normalize("NFKC", text)


def to_simplified(text: str) -> str:
    """Traditional to simplified characters (character level, length-preserving)."""
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    """Simplified to traditional characters, for the reader's script switch."""
    return _converter("s2t").convert(text)


def fold(text: str) -> str:
    """The form every match is made on: normalized, simplified, lower-case."""
    return to_simplified(normalize(text)).lower()
