"""Text analysis: folding keeps offsets, segmentation keeps positions consecutive."""

from archive.text import (
    fold,
    fold_with_map,
    gram_terms,
    query_segments,
    stem,
    to_simplified,
    to_traditional,
    word_terms,
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


def test_word_terms_fold_segment_and_stem():
    assert word_terms(fold("臺灣新能源汽车, magnets!")) == ["台湾", "新能源", "汽车", "magnet"]
    assert stem("magnets") == stem("magnet")
    assert stem("ripping") == stem("rip")  # Porter's rule for doubled consonants


def test_gram_analyzer_emits_unigrams_and_bigrams_within_runs():
    terms = gram_terms(fold("福利院，港"))
    assert ("福利", 0) in terms and ("利院", 1) in terms and ("港", 4) in terms
    assert not any(text == "院港" for text, _pos in terms)
    assert gram_terms("港") == [("港", 0)]


def test_query_segments_fold_before_segmenting():
    assert query_segments("公佈") == ["公布"]
