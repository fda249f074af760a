"""The Whoosh analyzers give exactly what archive.text gives, with positions."""

from archive.search.backends.whoosh.analysis import GramAnalyzer, WordAnalyzer


def test_word_analyzer_gives_consecutive_positions_and_stems():
    tokens = [(t.text, t.pos) for t in WordAnalyzer()("臺灣新能源汽车, magnets!", positions=True)]
    assert tokens == [("台湾", 0), ("新能源", 1), ("汽车", 2), ("magnet", 3)]


def test_gram_analyzer_emits_unigrams_and_bigrams_within_runs():
    terms = {(t.text, t.pos) for t in GramAnalyzer()("福利院，港", positions=True)}
    assert {("福", 0), ("福利", 0), ("利院", 1), ("港", 4)} <= terms
    assert not any(text == "院港" for text, _pos in terms)


def test_term_positions_match_the_tokens():
    analyzer = WordAnalyzer()
    text = "稀土 magnets 稀土"
    assert analyzer.term_positions(text) == {"稀土": [0, 2], "magnet": [1]}
