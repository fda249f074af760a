"""The engine-neutral query tree (``archive.search.query``) as Whoosh query objects.

A run of Chinese characters must match in ``grams`` (a phrase of its bigrams, so
any substring is found) and ranks higher in the title and as jieba words; English
words match their stems in title or body; the words of a query found together as
a phrase rank above scattered ones.
"""

from whoosh import query as wq

from archive.search.query import Clause, ParsedQuery, Piece
from archive.text import run_bigrams

TITLE_BOOST = 4.0
PHRASE_BOOST = 2.0


def _phrase(fieldname: str, terms: list[str], boost: float = 1.0) -> wq.Query:
    if len(terms) == 1:
        return wq.Term(fieldname, terms[0], boost=boost)
    return wq.Phrase(fieldname, terms, boost=boost)


def _run_required(run: str, fieldname: str = "grams", boost: float = 1.0) -> wq.Query:
    """Exactly the documents containing ``run``: a unigram, or a phrase of bigrams."""
    if len(run) == 1:
        return wq.Term(fieldname, run, boost=boost)
    return _phrase(fieldname, run_bigrams(run), boost=boost)


def piece_query(piece: Piece, *, phrase: bool = False) -> wq.Query:
    """Required part plus ranking part for one piece."""
    if piece.kind == "run":
        required = _run_required(piece.folded)
        ranking = [_run_required(piece.folded, "tgrams", TITLE_BOOST)]
        if piece.terms:
            ranking.append(_phrase("title", piece.terms, TITLE_BOOST))
            ranking.append(_phrase("body", piece.terms))
        return wq.AndMaybe(required, wq.Or(ranking))
    if phrase or len(piece.terms) > 1:
        return wq.Or([_phrase("title", piece.terms, TITLE_BOOST), _phrase("body", piece.terms)])
    term = piece.terms[0]
    return wq.Or([wq.Term("title", term, boost=TITLE_BOOST), wq.Term("body", term)])


def clause_query(clause: Clause) -> wq.Query:
    own = [piece_query(p, phrase=clause.phrase) for p in clause.pieces]
    result = own[0] if len(own) == 1 else wq.And(own)
    if clause.alternatives:
        result = wq.Or([result, *(clause_query(alt) for alt in clause.alternatives)])
    return result


def _exclusion_query(clause: Clause) -> wq.Query:
    parts = []
    for piece in clause.pieces:
        if piece.kind == "run":
            parts.append(_run_required(piece.folded))
        else:
            parts.append(wq.Or([_phrase("title", piece.terms), _phrase("body", piece.terms)]))
    return parts[0] if len(parts) == 1 else wq.And(parts)


def build_query(parsed: ParsedQuery) -> wq.Query:
    """The Whoosh query for a non-empty parsed query."""
    required = [clause_query(c) for c in parsed.clauses]
    main: wq.Query = required[0] if len(required) == 1 else wq.And(required)
    # Exact phrase above scattered words: reward the words appearing together.
    simple = [c for c in parsed.clauses if not c.alternatives and not c.phrase]
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
    if parsed.excluded:
        main = wq.AndNot(main, wq.Or([_exclusion_query(c) for c in parsed.excluded]))
    return main
