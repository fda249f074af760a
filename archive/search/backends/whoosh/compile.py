"""The engine-neutral query tree (``archive.search.query``) as Whoosh query objects.

A run of Chinese characters must match in ``grams`` (a phrase of its bigrams, so
any substring is found) and ranks higher in the title and as jieba words; English
words match their stems in title or body; the words of a query found together as
a phrase rank above scattered ones. ``title:`` clauses use the title fields only;
proximity clauses are ``evaluate.Near`` over the same fields; an expanded prefix is
an OR of the words it starts.
"""

from whoosh import query as wq

from archive.search.backends.whoosh.evaluate import Near
from archive.search.query import Clause, ParsedQuery, Piece
from archive.text import run_bigrams

TITLE_BOOST = 4.0
PHRASE_BOOST = 2.0


def _phrase(fieldname: str, terms: list[str], boost: float = 1.0) -> wq.Query:
    if len(terms) == 1:
        return wq.Term(fieldname, terms[0], boost=boost)
    return wq.Phrase(fieldname, terms, boost=boost)


def _run_terms(run: str) -> list[str]:
    """The terms a run of Chinese characters is matched by, in order: a unigram, or bigrams."""
    return [run] if len(run) == 1 else run_bigrams(run)


def _run_required(run: str, fieldname: str = "grams", boost: float = 1.0) -> wq.Query:
    """Exactly the documents containing ``run``: a unigram, or a phrase of bigrams."""
    return _phrase(fieldname, _run_terms(run), boost=boost)


def _words(terms: list[str], *, title_only: bool, boost: float) -> wq.Query:
    """Words (one, or a phrase) in the title (ranked higher) or the body."""
    in_title = _phrase("title", terms, TITLE_BOOST * boost)
    return in_title if title_only else wq.Or([in_title, _phrase("body", terms, boost)])


def piece_query(
    piece: Piece, *, phrase: bool = False, title_only: bool = False, boost: float = 1.0
) -> wq.Query:
    """Required part plus ranking part for one piece."""
    if piece.kind == "prefix":
        return wq.Or([_words([t], title_only=title_only, boost=boost) for t in piece.terms])
    if piece.kind == "run":
        in_title = _run_required(piece.folded, "tgrams", TITLE_BOOST * boost)
        if title_only:
            ranking = [_phrase("title", piece.terms, TITLE_BOOST * boost)] if piece.terms else []
            return wq.AndMaybe(in_title, wq.Or(ranking)) if ranking else in_title
        ranking = [in_title]
        if piece.terms:
            ranking.append(_phrase("title", piece.terms, TITLE_BOOST * boost))
            ranking.append(_phrase("body", piece.terms, boost))
        return wq.AndMaybe(_run_required(piece.folded, boost=boost), wq.Or(ranking))
    return _words(piece.terms, title_only=title_only, boost=boost)


def _near(clause: Clause) -> wq.Query:
    """Proximity: every piece within ``clause.distance`` positions (characters in Chinese)."""
    runs = clause.pieces[0].kind == "run"
    if runs:
        groups = tuple(tuple(_run_terms(p.folded)) for p in clause.pieces)
        spans = tuple(len(p.folded) for p in clause.pieces)
        fields = ("tgrams",) if clause.field == "title" else ("grams", "tgrams")
    else:
        groups = tuple((p.terms[0],) for p in clause.pieces)
        spans = (1,) * len(groups)
        fields = ("title",) if clause.field == "title" else ("body", "title")
    near = [
        Near(
            name, groups, spans, clause.distance, TITLE_BOOST if name in ("title", "tgrams") else 1
        )
        for name in fields
    ]
    if len(near) == 1:
        return near[0]
    if runs:  # every Chinese substring is in ``grams``; the title only ranks
        return wq.AndMaybe(near[0], near[1])
    return wq.Or(near)


def clause_query(clause: Clause) -> wq.Query:
    if clause.distance is not None:
        result = _near(clause)
    else:
        own = [
            piece_query(
                p, phrase=clause.phrase, title_only=clause.field == "title", boost=clause.weight
            )
            for p in clause.pieces
        ]
        result = own[0] if len(own) == 1 else wq.And(own)
    if clause.alternatives:
        result = wq.Or([result, *(clause_query(alt) for alt in clause.alternatives)])
    return result


def _exclusion_query(clause: Clause) -> wq.Query:
    if clause.distance is not None:
        return _near(clause)
    title_only = clause.field == "title"
    parts = []
    for piece in clause.pieces:
        if piece.kind == "run":
            parts.append(_run_required(piece.folded, "tgrams" if title_only else "grams"))
        elif piece.kind == "prefix":
            parts.append(piece_query(piece, title_only=title_only))
        else:
            parts.append(_words(piece.terms, title_only=title_only, boost=1.0))
    return parts[0] if len(parts) == 1 else wq.And(parts)


def build_query(parsed: ParsedQuery) -> wq.Query | None:
    """The Whoosh query for the parsed query's words, less its exclusions (None without words)."""
    if not parsed.clauses:
        return None
    required = [clause_query(c) for c in parsed.clauses]
    main: wq.Query = required[0] if len(required) == 1 else wq.And(required)
    # Exact phrase above scattered words: reward the words appearing together.
    simple = [
        c
        for c in parsed.clauses
        if not c.alternatives and not c.phrase and c.plain and c.field is None
    ]
    if len(simple) >= 2:
        terms = [t for c in simple for p in c.pieces for t in p.terms]
        if len(terms) >= 2:
            main = wq.AndMaybe(
                main,
                wq.Or(
                    [
                        _phrase("title", terms, TITLE_BOOST * PHRASE_BOOST),
                        _phrase("body", terms, PHRASE_BOOST),
                    ]
                ),
            )
    excluded = exclusion_query(parsed)
    return main if excluded is None else wq.AndNot(main, excluded)


def exclusion_query(parsed: ParsedQuery) -> wq.Query | None:
    """What a result must not match (None when nothing is excluded)."""
    if not parsed.excluded:
        return None
    return wq.Or([_exclusion_query(c) for c in parsed.excluded])
