"""Glossary pairs: a query for one term of a pair also searches the other."""

import pytest

from archive.models import GlossaryTerm
from archive.search.glossary import expand, load_pairs
from archive.search.query import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs():
    GlossaryTerm.objects.all().delete()
    GlossaryTerm.objects.create(zh="稀土", en="rare earth")
    GlossaryTerm.objects.create(zh="永磁", en="permanent magnet")
    return load_pairs()


def test_a_chinese_term_adds_its_english_phrase(pairs):
    parsed = parse("稀土 价格")
    assert expand(parsed, pairs) == ["rare earth"]
    alternative = parsed.clauses[0].alternatives[0]
    assert alternative.phrase and alternative.raw == "rare earth"
    assert not parsed.clauses[1].alternatives


def test_english_words_in_a_row_add_the_chinese_term_in_any_script_or_inflection(pairs):
    parsed = parse("Permanent Magnets prices")
    assert expand(parsed, pairs) == ["永磁"]
    assert parsed.clauses[0].raw == "Permanent Magnets"
    assert parsed.clauses[0].alternatives[0].pieces[0].folded == "永磁"
    traditional = parse("稀土")  # a pair's Chinese is matched folded
    assert expand(traditional, pairs) == ["rare earth"]


def test_terms_already_or_ed_or_excluded_are_not_expanded(pairs):
    parsed = parse("稀土 OR 铁 -永磁")
    assert expand(parsed, pairs) == []


def test_rows_that_are_not_one_chinese_word_and_one_english_term_are_skipped():
    GlossaryTerm.objects.all().delete()
    GlossaryTerm.objects.bulk_create(
        [GlossaryTerm(zh="稀土 价格", en="rare earth prices"), GlossaryTerm(zh="稀土", en="稀土")]
    )  # bulk_create skips clean(): rows an older version may have stored
    assert load_pairs() == []
