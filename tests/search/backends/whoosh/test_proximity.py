"""Proximity (``"a b"~N``, ``NEAR/N``) on the embedded engine against a brute-force
reading of the same documents: random texts, every window size."""

import itertools
import random

import pytest

from archive.search import locks
from archive.search.backend import SearchRequest, get_backend
from archive.search.facets import Filters
from archive.search.query import parse
from archive.text import fold, word_terms

pytestmark = pytest.mark.django_db

WORDS = ["alpha", "beta", "gamma", "delta", "x"]
CHARS = "甲乙丙丁戊"


def document(pk: int, body: str) -> dict:
    return {
        "id": pk,
        "title": "",
        "body": body,
        "source": "s",
        "topics": [],
        "language": "en",
        "year": "2024",
        "month": "2024-05",
        "pub": 1_700_000_000 + pk,
    }


@pytest.fixture(scope="module")
def texts():
    rng = random.Random(7)
    english = [" ".join(rng.choices(WORDS, k=rng.randint(3, 14))) for _ in range(80)]
    chinese = ["".join(rng.choices(CHARS, k=rng.randint(3, 16))) for _ in range(80)]
    return english + chinese


@pytest.fixture
def backend(texts):
    engine = get_backend()
    docs = [document(pk, text) for pk, text in enumerate(texts, start=1)]
    with locks.writer_lock():
        engine.rebuild(iter(docs), expected=len(docs))
    return engine


def found(backend, q: str) -> set[int]:
    return set(backend.search(SearchRequest(parse(q), Filters())).ids.tolist())


def occurrences(tokens: list[str], group: list[str]) -> list[int]:
    size = len(group)
    return [i for i in range(len(tokens) - size + 1) if tokens[i : i + size] == group]


def within(groups: list[list[str]], tokens: list[str], distance: int) -> bool:
    """Is there one occurrence of every group with at most ``distance`` other positions
    in the window they span?"""
    spans = [len(g) for g in groups]
    for starts in itertools.product(*(occurrences(tokens, g) for g in groups)):
        end = max(s + n for s, n in zip(starts, spans, strict=True))
        if end - min(starts) - sum(spans) <= distance:
            return True
    return False


@pytest.mark.parametrize("distance", [0, 1, 2, 4, 7])
def test_two_english_words_in_either_order(backend, texts, distance):
    for a, b in [("alpha", "beta"), ("gamma", "delta"), ("beta", "alpha")]:
        expected = {
            pk
            for pk, text in enumerate(texts, start=1)
            if within([[a], [b]], word_terms(fold(text)), distance)
        }
        assert found(backend, f'"{a} {b}"~{distance}') == expected, (a, b, distance)
        assert found(backend, f"{a} NEAR/{distance} {b}") == expected


@pytest.mark.parametrize("distance", [0, 1, 3, 6])
def test_three_english_words_in_one_window(backend, texts, distance):
    groups = [["alpha"], ["beta"], ["gamma"]]
    expected = {
        pk
        for pk, text in enumerate(texts, start=1)
        if within(groups, word_terms(fold(text)), distance)
    }
    assert found(backend, f'"alpha beta gamma"~{distance}') == expected


@pytest.mark.parametrize("distance", [0, 1, 2, 5])
def test_two_chinese_runs_of_different_lengths_count_characters(backend, texts, distance):
    for a, b in [("甲乙", "丙"), ("丁", "戊甲"), ("乙丙", "丁戊")]:
        expected = {
            pk
            for pk, text in enumerate(texts, start=1)
            if within([list(a), list(b)], list(text), distance)
        }
        assert found(backend, f'"{a} {b}"~{distance}') == expected, (a, b, distance)
