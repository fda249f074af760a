"""Pinyin readings of the index's Chinese words: ``xitu`` or ``xī tǔ`` finds 稀土.

A word's reading comes from pypinyin's dictionaries (the word's own reading when
pypinyin knows the word, else each character's most common one), without tones
and joined (``稀土`` -> ``xitu``, ``ü`` written ``v``). ``PinyinTable`` maps the
readings of the index's Chinese words of two characters or more to those words
and the number of articles holding each; ``table()`` builds it once per index
generation, and each word's reading once per process.
"""

import bisect
import re
import threading
import unicodedata
from functools import cache

from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

from archive.search.generations import PerGeneration
from archive.text import is_chinese

MIN_CHARS = 2  # one-character words are too ambiguous to reach by their reading
LONGEST_SYLLABLE = 6  # zhuang, shuang
_TONE_DIGITS = re.compile(r"(?<=[a-z])[1-5]")
_SEPARATORS = re.compile(r"[\s'’\-·]+")
_TONE_MARKS = re.compile("[\u0300-\u036f]")
_readings: dict[str, str] = {}
_readings_lock = threading.Lock()
_tables = PerGeneration()


def strip_tones(syllables: str) -> str:
    """``lǜ`` -> ``lv``, ``xī`` -> ``xi`` (lower-case, marks and tone digits removed)."""
    text = unicodedata.normalize("NFD", syllables.lower()).replace("u\u0308", "v")
    text = _TONE_MARKS.sub("", text.replace("u:", "v"))
    return _TONE_DIGITS.sub("", text)


def typed_reading(text: str) -> str | None:
    """What a reader typed as a toneless reading key (``Xī tǔ`` -> ``xitu``), or None
    when it is not Latin letters (with tone marks or digits, spaces and apostrophes)."""
    key = _SEPARATORS.sub("", strip_tones(text))
    return key if key and key.isascii() and key.isalpha() else None


@cache
def _syllables() -> frozenset[str]:
    """Every toneless syllable any character is read with."""
    return frozenset(
        strip_tones(reading) for readings in pinyin_dict.values() for reading in readings.split(",")
    )


def could_be_reading(key: str) -> bool:
    """Is ``key`` a run of pinyin syllables (``xitu``, ``china``; not ``economy``)? Every
    reading in a table is, so for any other key the table need not be read at all."""
    syllables = _syllables()
    ends = {0}  # the offsets a run of syllables from the start can reach
    for start in range(len(key)):
        if start in ends:
            for end in range(start + 1, min(len(key), start + LONGEST_SYLLABLE) + 1):
                if key[start:end] in syllables:
                    ends.add(end)
    return len(key) in ends


def has_tone_marks(text: str) -> bool:
    """Was ``text`` written as pinyin with tones (``xī``, ``xi1``)?"""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return bool(_TONE_MARKS.search(decomposed.replace("\u0308", ""))) or bool(
        _TONE_DIGITS.search(decomposed)
    )


@cache
def _char_reading(char: str) -> str:
    readings = pinyin_dict.get(ord(char))
    return strip_tones(readings.split(",")[0]) if readings else ""


def word_reading(word: str) -> str:
    """The toneless reading of a (simplified) Chinese word, ``""`` if a character has none."""
    with _readings_lock:
        known = _readings.get(word)
    if known is not None:
        return known
    phrase = phrases_dict.get(word)
    if phrase and len(phrase) == len(word):
        parts = [strip_tones(readings[0]) for readings in phrase]
    else:
        parts = [_char_reading(char) for char in word]
    reading = "".join(parts) if all(parts) else ""
    with _readings_lock:
        _readings[word] = reading
    return reading


class PinyinTable:
    """Readings of the index's Chinese words -> (word, articles), most articles first."""

    def __init__(self, vocabulary):
        by_key: dict[str, list[tuple[str, int]]] = {}
        for word, count in vocabulary:
            if len(word) < MIN_CHARS or not is_chinese(word):
                continue
            key = word_reading(word)
            if key:
                by_key.setdefault(key, []).append((word, count))
        for words in by_key.values():
            words.sort(key=lambda item: (-item[1], item[0]))
        self._by_key = by_key
        self._keys = sorted(by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def words_for(self, key: str) -> list[tuple[str, int]]:
        """The index's words read exactly ``key``."""
        return list(self._by_key.get(key, ()))

    def complete(self, prefix: str, *, limit: int) -> list[tuple[str, int]]:
        """The ``limit`` words held by most articles whose reading starts with ``prefix``."""
        if not prefix:
            return []
        start = bisect.bisect_left(self._keys, prefix)
        end = bisect.bisect_left(self._keys, prefix + "\x7f")
        found = [item for key in self._keys[start:end] for item in self._by_key[key]]
        found.sort(key=lambda item: (-item[1], item[0]))
        return found[:limit]


def table(backend) -> PinyinTable:
    """The table of the live index generation (SearchUnavailable without an index)."""
    return _tables.get(backend.generation(), lambda: PinyinTable(backend.vocabulary()))
