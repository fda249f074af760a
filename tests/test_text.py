"""Text analysis: folding keeps offsets, segmentation keeps positions consecutive."""

from archive.text import (
    GramAnalyzer,
    WordAnalyzer,
    fold,
    fold_with_map,
    gram_terms,
    query_segments,
    stem,
    to_simplified,
    to_traditional,
)


def test_fold_full_width_traditional_and_case():
    assert fold("ＡＢＣ臺灣 Magnets") == "abc台湾 magnets"
    assert to_simplified("蘇權") == "苏权"
    assert to_traditional("台湾") in {"臺灣", "台灣"}


def test_fold_with_map_points_back_to_original_characters():
    text = "ﬁ蘇權"  # NFKC turns the ligature into two letters
    folded, mapping = fold_with_map(text)
    assert folded == "fi苏权"
    assert mapping == [0, 0, 1, 2]
    assert fold_with_map("普通文本")[1] is None


def test_word_analyzer_gives_consecutive_positions_and_stems():
    tokens = [(t.text, t.pos) for t in WordAnalyzer()("臺灣新能源汽车, magnets!", positions=True)]
    assert tokens == [("台湾", 0), ("新能源", 1), ("汽车", 2), ("magnet", 3)]
    assert stem("magnets") == stem("magnet")


def test_gram_analyzer_emits_unigrams_and_bigrams_within_runs():
    terms = gram_terms(fold("福利院，港"))
    assert ("福利", 0) in terms and ("利院", 1) in terms and ("港", 4) in terms
    assert not any(text == "院港" for text, _pos in terms)
    assert {t.text for t in GramAnalyzer()("港")} == {"港"}


def test_query_segments_fold_before_segmenting():
    assert query_segments("公佈") == ["公布"]
