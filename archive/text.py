"""Text analysis shared by ingest, indexing, querying and highlighting.

One module, so the indexer, the query parser and the highlighter can never
disagree about what a piece of text means. The path is always the same:
NFKC (per character) → OpenCC traditional-to-simplified → lower case, then
either jieba word segmentation (``words``) or CJK character n-grams (``grams``).
Nothing here knows a search engine: each backend wraps these functions in
its own analyzers (``archive.search.backends.whoosh.analysis``).
"""

import re
import unicodedata
from functools import cache, lru_cache

import opencc
import rjieba
import Stemmer


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


def traditional_variants(text: str) -> set[str]:
    """``text`` in the traditional forms of OpenCC's standard, Taiwan and Hong Kong."""
    return {_converter(config).convert(text) for config in ("s2t", "s2tw", "s2hk")}


def _t2s_same_length(text: str) -> str:
    converted = to_simplified(text)
    if len(converted) == len(text):
        return converted
    # A phrase rule changed the length: convert character by character instead.
    return "".join(to_simplified(ch) if len(to_simplified(ch)) == 1 else ch for ch in text)


@cache
def _nfkc_changes() -> tuple[re.Pattern, dict[str, str]]:
    """Every Basic Multilingual Plane character NFKC changes, and what it becomes.

    Built once per process (a few tens of milliseconds; the web master builds it
    before forking). Chinese text is rarely NFKC-normal, because of its
    full-width punctuation, so folding replaces just those characters instead
    of normalizing the text one character at a time.
    """
    table = {}
    for code in range(0x80, 0x10000):
        if 0xD800 <= code < 0xE000:  # surrogates
            continue
        ch = chr(code)
        normal = unicodedata.normalize("NFKC", ch)
        if normal != ch:
            table[ch] = normal
    return re.compile("[" + "".join(map(re.escape, table)) + "]"), table


def _nfkc_with_map(text: str) -> tuple[str, list[int] | None]:
    """NFKC applied character by character, and the map back when lengths change."""
    if unicodedata.is_normalized("NFKC", text):
        return text, None
    pattern, table = _nfkc_changes()
    nfkc = pattern.sub(lambda match: table[match[0]], text)
    if unicodedata.is_normalized("NFKC", nfkc):
        if len(nfkc) == len(text):
            return nfkc, None
        mapping: list[int] = []
        done = 0
        for match in pattern.finditer(text):
            start = match.start()
            mapping.extend(range(done, start))
            mapping.extend([start] * len(table[match[0]]))
            done = start + 1
        mapping.extend(range(done, len(text)))
        return nfkc, mapping
    # Outside the table (combining marks, other planes): one character at a time.
    parts = [unicodedata.normalize("NFKC", ch) for ch in text]
    nfkc = "".join(parts)
    if len(nfkc) == len(text) and all(len(p) == 1 for p in parts):
        return nfkc, None
    return nfkc, [i for i, p in enumerate(parts) for _ in p]


def fold_with_map(text: str) -> tuple[str, list[int] | None]:
    """Fold ``text`` and map each folded character back to its original index.

    The map is ``None`` when folding kept every character in place (the usual
    case), so ``folded[i]`` comes from ``text[i]``.
    """
    nfkc, mapping = _nfkc_with_map(text or "")
    simplified = _t2s_same_length(nfkc)
    lowered = simplified.lower()
    if len(lowered) != len(simplified):
        pieces = [ch.lower() for ch in simplified]
        lowered = "".join(pieces)
        inner = [i for i, p in enumerate(pieces) for _ in p]
        mapping = [mapping[i] for i in inner] if mapping is not None else inner
    return lowered, mapping


def fold(text: str) -> str:
    """The form every match is made on: normalized, simplified, lower-case."""
    return fold_with_map(text)[0]


# --- Characters ---------------------------------------------------------------------
_CJK_RANGES = (
    (0x3007, 0x3007),  # 〇
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # Unified Ideographs
    (0xF900, 0xFAFF),  # Compatibility Ideographs
    (0x20000, 0x3134F),  # Extensions B–G
)


_CJK_CLASS = "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES) + "]"
_CJK_CHAR = re.compile(_CJK_CLASS)
_CJK_RUN = re.compile(_CJK_CLASS + "+")


def chinese_chars(text: str) -> list[str]:
    """The Chinese characters of ``text`` (Han ideographs of any extension; not kana or hangul)."""
    return _CJK_CHAR.findall(text)


def is_chinese(text: str) -> bool:
    """Is every character of ``text`` a Chinese character (and there is at least one)?"""
    return bool(text) and _CJK_RUN.fullmatch(text) is not None


def has_chinese(text: str) -> bool:
    return _CJK_CHAR.search(text) is not None


def cjk_runs(folded: str) -> list[tuple[int, int]]:
    """(start, end) of every run of consecutive Chinese characters."""
    return [match.span() for match in _CJK_RUN.finditer(folded)]


# --- Words --------------------------------------------------------------------------
# What the functions below make of text, as a number: an index built with another
# version holds other terms, and is rebuilt (``SearchBackend.is_current``).
# 2: PyStemmer's Porter stems; hyphenated words split into their parts.
ANALYSIS_VERSION = 2

_porter = Stemmer.Stemmer("porter")  # PyStemmer: Snowball's C build of Porter's algorithm


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """English Porter stem of a lower-case word; other scripts are unchanged."""
    if word.isascii() and word.isalpha():
        return _porter.stemWord(word)
    return word


_is_word = re.compile(r"[^\W_]").search  # has a letter or digit (str.isalnum)


_HYPHENS = re.compile("[-\u2010\u2011]")  # after NFKC: hyphen-minus, hyphen, no-break hyphen


def segment(folded: str) -> list[tuple[str, int, int]]:
    """jieba (rjieba) accurate-mode words of folded text: (word, start, end), no punctuation.

    A hyphenated word is its parts, as Lucene's standard tokenizer has it:
    "shanghai-based" is "shanghai" and "based", so a search for either finds it
    and "rare earth" finds "rare-earth" (jieba keeps such words whole).
    """
    words = []
    for word, start, end in rjieba.tokenize(folded):
        if not _is_word(word):
            continue
        if not _HYPHENS.search(word):
            words.append((word, start, end))
            continue
        offset = start
        for part in _HYPHENS.split(word):
            if _is_word(part):
                words.append((part, offset, offset + len(part)))
            offset += len(part) + 1
    return words


def word_terms(folded: str) -> list[str]:
    """The terms the ``words`` analyzer indexes for folded text, in order."""
    return [stem(w) for w, _s, _e in segment(folded)]


def query_segments(text: str) -> list[str]:
    """How a piece of a query is segmented, for showing the reader (folded, unstemmed)."""
    return [w for w, _s, _e in segment(fold(text))]


def gram_terms(folded: str) -> list[tuple[str, int]]:
    """CJK unigrams and bigrams with their character position (bigram at its first char)."""
    terms = []
    for start, end in cjk_runs(folded):
        for i in range(start, end):
            terms.append((folded[i], i))
            if i + 1 < end:
                terms.append((folded[i : i + 2], i))
    return terms


def run_bigrams(run: str) -> list[str]:
    """The overlapping bigrams a run of Chinese characters is matched by, as a phrase."""
    return [run[i : i + 2] for i in range(len(run) - 1)]
