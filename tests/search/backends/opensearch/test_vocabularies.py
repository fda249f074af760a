"""The vocabulary the writer keeps for the web workers: its encoding and when it serves
(no cluster needed; ``test_backend.py`` keeps and loads it on the real cluster)."""

from archive.search.backends.opensearch.vocabularies import (
    VOCABULARY_SECONDS,
    Kept,
    decode,
    encode,
)
from archive.search.vocabulary import Vocabulary


def test_the_kept_vocabulary_reads_back_word_for_word():
    words = {"稀土": 4, "магнит": 1, "rare": 7, "1.3%": 2, "𠵱": 1, "_": 9}
    assert dict(decode(encode(Vocabulary(words))).items()) == words
    assert dict(decode(encode(Vocabulary({}))).items()) == {}


def test_a_copy_serves_its_own_index_when_current_or_recent():
    kept = Kept(index="a-1", changes=3, saved=1000.0, vocabulary=None)
    assert kept.serves("a-1", 3, now=1000.0 + 10 * VOCABULARY_SECONDS)  # current: always
    assert kept.serves("a-1", 5, now=1000.0 + VOCABULARY_SECONDS - 1)  # behind, but recent
    assert not kept.serves("a-1", 5, now=1000.0 + VOCABULARY_SECONDS + 1)  # behind and old
    assert not kept.serves("a-2", 3, now=1000.0)  # another index (a rebuild)
