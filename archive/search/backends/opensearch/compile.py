"""The engine-neutral query tree (``archive.search.query``) and filters as query DSL.

The same rules as the embedded engine (``backends.whoosh.compile``): a run of
Chinese characters must be in ``grams`` (one character, or a phrase of bigrams, so
any substring is found) and ranks higher in the title and as jieba words; English
words match their stems in title or body, a phrase when several; the words of a
query found together rank above scattered ones. ``title:`` clauses use the title
fields only; proximity is an unordered ``span_near`` of the pieces (characters
for Chinese, words for English); a prefix is an OR of the words it was expanded to.

Facet filters and counts are ``counts``.
"""

from archive.search.facets import BY_NAME
from archive.search.query import Clause, Constraint, ParsedQuery, Piece

from .mapping import run_pieces, term, terms_text

TITLE_BOOST = 4.0
PHRASE_BOOST = 2.0
MATCH_ALL = {"match_all": {}}
MATCH_NONE = {"match_none": {}}


def _boosted(query: dict, boost: float) -> dict:
    if boost == 1.0:
        return query
    kind, body = next(iter(query.items()))
    field, spec = next(iter(body.items()))
    return {kind: {field: {**spec, "boost": boost}}}


def _phrase(field: str, terms: list[str], boost: float = 1.0) -> dict | None:
    if not terms:
        return None
    if len(terms) == 1:
        return _boosted({"term": {field: {"value": term(terms[0])}}}, boost)
    return _boosted({"match_phrase": {field: {"query": terms_text(terms)}}}, boost)


def _run_required(run: str, field: str = "grams", boost: float = 1.0) -> dict:
    """Exactly the documents containing ``run``: a character, or a phrase of its bigrams."""
    suffix, text = run_pieces(run)
    if not suffix:
        return _boosted({"term": {field: {"value": text}}}, boost)
    return _boosted({"match_phrase": {f"{field}{suffix}": {"query": text}}}, boost)


def any_of(queries: list[dict | None]) -> dict:
    queries = [q for q in queries if q is not None]
    if not queries:
        return MATCH_NONE
    if len(queries) == 1:
        return queries[0]
    return {"bool": {"should": queries, "minimum_should_match": 1}}


def all_of(queries: list[dict]) -> dict:
    return queries[0] if len(queries) == 1 else {"bool": {"must": queries}}


def _and_maybe(required: dict, optional: list[dict | None]) -> dict:
    optional = [q for q in optional if q is not None]
    return {"bool": {"must": [required], "should": optional}} if optional else required


def _words(terms: list[str], *, title_only: bool, boost: float) -> dict:
    in_title = _phrase("title", terms, TITLE_BOOST * boost)
    return in_title if title_only else any_of([in_title, _phrase("body", terms, boost)])


def piece_query(piece: Piece, *, title_only: bool = False, boost: float = 1.0) -> dict:
    """Required part plus ranking part for one piece."""
    if piece.kind == "prefix":
        return any_of([_words([t], title_only=title_only, boost=boost) for t in piece.terms])
    if piece.kind == "run":
        in_title = _run_required(piece.folded, "tgrams", TITLE_BOOST * boost)
        title_words = _phrase("title", piece.terms, TITLE_BOOST * boost)
        if title_only:
            return _and_maybe(in_title, [title_words])
        return _and_maybe(
            _run_required(piece.folded, boost=boost),
            [in_title, title_words, _phrase("body", piece.terms, boost)],
        )
    return _words(piece.terms, title_only=title_only, boost=boost)


def _span(field: str, group: list[str]) -> dict:
    spans = [{"span_term": {field: item}} for item in group]
    if len(spans) == 1:
        return spans[0]
    return {"span_near": {"clauses": spans, "slop": 0, "in_order": True}}


def _near(clause: Clause) -> dict:
    """Proximity: every piece within ``clause.distance`` positions (characters in Chinese)."""
    runs = clause.pieces[0].kind == "run"
    if runs:
        groups = [list(p.folded) for p in clause.pieces]
        fields = ("tgrams",) if clause.field == "title" else ("grams", "tgrams")
    else:
        groups = [[term(p.terms[0])] for p in clause.pieces]
        fields = ("title",) if clause.field == "title" else ("body", "title")
    near = [
        {
            "span_near": {
                "clauses": [_span(name, group) for group in groups],
                "slop": clause.distance,
                "in_order": False,
                "boost": TITLE_BOOST if name in ("title", "tgrams") else 1.0,
            }
        }
        for name in fields
    ]
    if len(near) == 1:
        return near[0]
    if runs:  # every Chinese substring is in ``grams``; the title only ranks
        return _and_maybe(near[0], [near[1]])
    return any_of(near)


def clause_query(clause: Clause) -> dict:
    if clause.distance is not None:
        result = _near(clause)
    else:
        title_only = clause.field == "title"
        result = all_of(
            [piece_query(p, title_only=title_only, boost=clause.weight) for p in clause.pieces]
        )
    if clause.alternatives:
        result = any_of([result, *(clause_query(alt) for alt in clause.alternatives)])
    return result


def _exclusion(clause: Clause) -> dict:
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
    return all_of(parts)


def exclusion_query(parsed: ParsedQuery) -> dict | None:
    """What a result must not match (None when nothing is excluded)."""
    if not parsed.excluded:
        return None
    return any_of([_exclusion(c) for c in parsed.excluded])


def words_query(parsed: ParsedQuery) -> dict | None:
    """The query for the parsed query's words (None without words), exclusions not included."""
    if not parsed.clauses:
        return None
    main = all_of([clause_query(c) for c in parsed.clauses])
    # Exact phrase above scattered words: reward the words appearing together.
    simple = [
        c
        for c in parsed.clauses
        if not c.alternatives and not c.phrase and c.plain and c.field is None
    ]
    if len(simple) >= 2:
        terms = [t for c in simple for p in c.pieces for t in p.terms]
        if len(terms) >= 2:
            main = _and_maybe(
                main,
                [
                    _phrase("title", terms, TITLE_BOOST * PHRASE_BOOST),
                    _phrase("body", terms, PHRASE_BOOST),
                ],
            )
    return main


def date_span(pub_from: int | None, pub_to: int | None) -> dict:
    bounds = {}
    if pub_from is not None:
        bounds["gte"] = pub_from
    if pub_to is not None:
        bounds["lt"] = pub_to
    parts = [{"term": {"dated": True}}]
    if bounds:
        parts.append({"range": {"pub": bounds}})
    return {"bool": {"filter": parts}}


def values_query(field: str, values) -> dict:
    values = sorted(values)
    return {"terms": {field: values}} if values else MATCH_NONE


def constraint_query(constraint: Constraint) -> dict:
    """A resolved field filter of the query (``source:``, ``date:`` …), negated or not."""
    if constraint.field == "date":
        query = date_span(constraint.pub_from, constraint.pub_to)
    else:
        query = values_query(BY_NAME[constraint.field].field, constraint.values)
    return {"bool": {"must_not": [query]}} if constraint.negated else query


def search_query(parsed: ParsedQuery | None) -> tuple[dict, bool]:
    """The query (words, exclusions and field filters) and whether it ranks by words."""
    if parsed is None:
        return MATCH_ALL, False
    words = words_query(parsed)
    excluded = exclusion_query(parsed)
    constraints = [constraint_query(c) for c in parsed.constraints]
    if words is None and excluded is None and not constraints:
        return MATCH_ALL, False
    body: dict = {"must": [words if words is not None else MATCH_ALL]}
    if excluded is not None:
        body["must_not"] = [excluded]
    if constraints:
        body["filter"] = constraints
    return {"bool": body}, words is not None
