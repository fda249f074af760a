"""The query language, parsed into the engine-neutral tree every backend compiles."""

from archive.search.query import MAX_CLAUSES, MAX_QUERY_CHARS, highlight_terms, parse


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
    for q in ['"unbalanced', "((稀土", "OR OR", "-", "+稀土", "\x00\u200b稀土", "field:value ~2 *"]:
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
