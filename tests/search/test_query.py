"""The query language, parsed into the engine-neutral tree every backend compiles."""

from django.utils import translation

from archive.search.query import (
    MAX_CLAUSES,
    MAX_DISTANCE,
    MAX_PREFIXES,
    MAX_QUERY_CHARS,
    FieldFilter,
    highlight_terms,
    parse,
)


def test_words_phrases_exclusions_and_or_become_clauses():
    parsed = parse('稀土 "interest rates" -出口 magnets OR 磁铁')
    assert [c.raw for c in parsed.clauses] == ["稀土", "interest rates", "magnets"]
    assert [c.phrase for c in parsed.clauses] == [False, True, False]
    assert [c.raw for c in parsed.excluded] == ["出口"]
    assert [alt.raw for alt in parsed.clauses[2].alternatives] == ["磁铁"]


def test_chinese_runs_and_english_words_are_separate_pieces_folded_and_stemmed():
    (clause,) = parse("臺灣Magnets").clauses
    assert [(p.kind, p.folded) for p in clause.pieces] == [("run", "台湾"), ("words", "magnet")]
    assert clause.pieces[1].display == ["magnets"]  # the reader sees the word, not the stem


def test_a_quoted_mix_of_scripts_is_one_phrase_of_words():
    (clause,) = parse('"稀土 magnets"').clauses
    assert clause.phrase and len(clause.pieces) == 1
    assert clause.pieces[0].terms == ["稀土", "magnet"]


def test_malformed_input_is_read_as_text_never_an_error():
    for q in ['"unbalanced', "((稀土", "OR OR", "-", "+稀土", "\x00\u200b稀土", "field:value ~2"]:
        parsed = parse(q)
        assert parsed.message is None
        assert all(c.pieces for c in parsed.clauses)
    assert [c.raw for c in parse('"unbalanced').clauses] == ["unbalanced"]
    assert [c.raw for c in parse("+稀土").clauses] == ["稀土"]
    assert parse("OR OR").empty and parse("-").empty


def test_limits_shorten_with_a_message():
    long = parse("稀" * (MAX_QUERY_CHARS + 50))
    assert len(long.clauses[0].raw) == MAX_QUERY_CHARS and long.message
    many = parse(" ".join(f"w{n}" for n in range(MAX_CLAUSES + 5)))
    assert len(many.clauses) == MAX_CLAUSES and many.message


def test_highlight_terms_cover_alternatives_but_not_exclusions():
    runs, words = highlight_terms(parse("稀土 magnets OR 磁铁 -出口"))
    assert runs == {"稀土", "磁铁"} and words == {"magnet"}


def test_fields_filter_or_restrict_to_the_title_and_unknown_names_stay_text():
    parsed = parse('title:稀土 -source:reuters topic:"rare earths" lang:zh date:2021..2024-06 a:b')
    (title, literal) = parsed.clauses
    assert title.field == "title" and title.raw == "稀土"
    assert literal.field is None and literal.raw == "a:b"
    assert parsed.filters == [
        FieldFilter("source", "reuters", negated=True),
        FieldFilter("topic", "rare earths"),
        FieldFilter("language", "zh"),
        FieldFilter("date", "2021..2024-06"),
    ]
    assert parse("標題：稀土 來源:新华社").filters == [FieldFilter("source", "新华社")]
    assert parse("http://example.com").filters == []


def test_proximity_splits_the_words_and_keeps_the_window():
    (chinese,) = parse('"稀土 永磁"~10').clauses
    assert chinese.distance == 10 and [p.folded for p in chinese.pieces] == ["稀土", "永磁"]
    (english,) = parse('"Interest Rates"~3').clauses
    assert english.distance == 3 and [p.folded for p in english.pieces] == ["interest", "rate"]
    (near,) = parse("interest NEAR/2 rates NEAR/4 rise").clauses
    assert near.distance == 4 and len(near.pieces) == 3
    (one_word,) = parse('"稀土永磁"~3').clauses  # one run: a phrase, nothing to be near
    assert one_word.phrase and one_word.distance is None


def test_prefixes_are_english_word_starts_of_two_letters_or_more():
    (prefix,) = parse("Econom*").clauses
    assert prefix.pieces[0].kind == "prefix" and prefix.pieces[0].folded == "econom"
    assert prefix.pieces[0].display == ["econom*"]
    assert parse("e*").clauses[0].pieces[0].kind == "words"
    assert parse("稀*").clauses[0].pieces[0].kind == "run"
    many = parse(" ".join(f"ab{n}x*" for n in range(MAX_PREFIXES + 2)))
    kinds = [c.pieces[0].kind for c in many.clauses]
    assert kinds.count("prefix") == MAX_PREFIXES and many.message


def test_malformed_operators_are_text_with_a_note():
    with translation.override("en"):
        cases = {
            "title:": "needs something after it",
            "source:": "needs something after it",
            '"a b"~': "need a number",
            "a NEAR/ b": "need a number",
            f'"a b"~{MAX_DISTANCE * 10}': f"at most {MAX_DISTANCE}",
            '"稀土 oil"~3': "all Chinese or all English",
            "*": "needs the start of an English word",
            "e*": "at least two letters",
            "稀*": "Chinese needs no",
            "rare-ear*": "one English word",
        }
        for q, note in cases.items():
            parsed = parse(q)
            assert note in (parsed.message or ""), q
    assert [c.raw for c in parse("title:").clauses] == ["title"]
    assert [c.raw for c in parse("a NEAR/ b").clauses] == ["a", "b"]
