"""Bilingual glossary expansion: a query for one term of a pair also finds the other."""

from dataclasses import dataclass
from functools import lru_cache

from archive.models import GlossaryTerm
from archive.search.query import Clause, ParsedQuery, Piece, split_pieces


@dataclass(frozen=True)
class Pair:
    zh: str
    en: str
    zh_folded: str
    en_terms: tuple[str, ...]


@lru_cache(maxsize=4096)
def _pair(zh: str, en: str) -> Pair | None:
    """A glossary row as query pieces (segmenting is the costly part, so it is remembered)."""
    zh_pieces, en_pieces = split_pieces(zh), split_pieces(en)
    if len(zh_pieces) != 1 or zh_pieces[0].kind != "run":
        return None
    en_terms = tuple(t for p in en_pieces if p.kind == "words" for t in p.terms)
    if not en_terms or any(p.kind != "words" for p in en_pieces):
        return None
    return Pair(zh=zh, en=en, zh_folded=zh_pieces[0].folded, en_terms=en_terms)


def load_pairs() -> list[Pair]:
    """The glossary as it is now (one query; each row's parsing is cached)."""
    pairs = (_pair(zh, en) for zh, en in GlossaryTerm.objects.values_list("zh", "en"))
    return [pair for pair in pairs if pair is not None]


def _simple_terms(clause: Clause) -> tuple[str, ...] | None:
    if (
        not clause.plain
        or clause.alternatives
        or len(clause.pieces) != 1
        or clause.pieces[0].kind != "words"
    ):
        return None
    return tuple(clause.pieces[0].terms)


def expand(parsed: ParsedQuery, pairs: list[Pair]) -> list[str]:
    """Add the other term of each matching pair as an OR alternative; returns what was added."""
    if not pairs or parsed.empty:
        return []
    also: list[str] = []
    by_zh = {p.zh_folded: p for p in pairs}
    by_en = {p.en_terms: p for p in pairs}
    longest = max(len(p.en_terms) for p in pairs)
    clauses = parsed.clauses
    out: list[Clause] = []
    i = 0
    while i < len(clauses):
        clause = clauses[i]
        if not clause.plain:
            out.append(clause)
            i += 1
            continue
        if (
            not clause.alternatives
            and len(clause.pieces) == 1
            and clause.pieces[0].kind == "run"
            and clause.pieces[0].folded in by_zh
        ):
            pair = by_zh[clause.pieces[0].folded]
            clause.alternatives.append(
                Clause(raw=pair.en, pieces=split_pieces(pair.en), phrase=True)
            )
            clause.glossary.append(pair.en)
            also.append(pair.en)
            out.append(clause)
            i += 1
            continue
        matched = False
        for size in range(min(longest, len(clauses) - i), 0, -1):
            group = clauses[i : i + size]
            terms: list[str] = []
            for c in group:
                t = _simple_terms(c)
                if t is None:
                    terms = []
                    break
                terms.extend(t)
            if terms and tuple(terms) in by_en:
                pair = by_en[tuple(terms)]
                merged = Clause(
                    raw=" ".join(c.raw for c in group),
                    pieces=[p for c in group for p in c.pieces],
                    phrase=any(c.phrase for c in group),
                )
                zh_piece = Piece(pair.zh_folded, "run", [], [pair.zh_folded])
                merged.alternatives.append(Clause(raw=pair.zh, pieces=[zh_piece]))
                merged.glossary.append(pair.zh)
                also.append(pair.zh)
                out.append(merged)
                i += size
                matched = True
                break
        if not matched:
            out.append(clause)
            i += 1
    parsed.clauses = out
    return list(dict.fromkeys(also))
