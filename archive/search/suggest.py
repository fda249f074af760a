""" "Did you mean": a query rewritten with the index's own words, for zero hits."""

from archive.search.backend import SearchBackend
from archive.search.query import ParsedQuery
from archive.text import is_chinese


def did_you_mean(parsed: ParsedQuery, backend: SearchBackend) -> str | None:
    """The query with each unknown word replaced by the closest indexed one, or None
    (also for queries with fields, proximity or prefixes, which it could not rewrite)."""
    if parsed.filters or not all(c.plain for c in parsed.clauses):
        return None
    changed = False
    out = []
    for clause in parsed.clauses:
        words = []
        for piece in clause.pieces:
            if piece.kind == "run":
                candidates = backend.similar_words(piece.folded, max_distance=1)
                if candidates and candidates[0] != piece.folded:
                    words.append(candidates[0])
                    changed = True
                else:
                    words.append(piece.folded)
                continue
            for term, shown in zip(piece.terms, piece.display, strict=False):
                if backend.word_frequency(term):
                    words.append(shown)
                    continue
                candidates = backend.similar_words(term, max_distance=2 if len(term) > 4 else 1)
                if candidates:
                    words.append(candidates[0])
                    changed = True
                else:
                    words.append(shown)
        joined = "".join(words)
        out.append(("" if is_chinese(joined) else " ").join(words))
    return " ".join(out) if changed else None
