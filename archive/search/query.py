"""The reader's query, parsed into an engine-neutral tree (``ParsedQuery``).

Syntax: words are ANDed; ``"quoted phrase"`` is exact; ``-word`` excludes; ``OR``
between words. Each backend compiles the tree into its own engine's queries
(``archive.search.backends.whoosh.compile``); nothing the reader types reaches an
engine's query parser, so ``field:``, ``~``, ``*`` and ranges are plain text. Malformed input (unbalanced
quotes or parentheses, stray operators, control characters) is read as literal
words; over-long queries are shortened with a message.
"""

import unicodedata
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from archive.text import cjk_runs, fold, has_chinese, segment, stem

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 32

_QUOTES = {'"', "“", "”", "„", "「", "」", "『", "』", "＂"}
_SEPARATORS = {"(", ")", "（", "）", "[", "]", "{", "}"}


@dataclass
class Piece:
    """Something that must match: a run of Chinese characters, or a word sequence."""

    folded: str  # folded text, e.g. "新能源汽车" or "housing polici"
    kind: str  # "run" (Chinese characters) or "words"
    terms: list[str]  # stemmed word terms (for "words"; segmentation for "run")
    display: list[str]  # unstemmed segments, shown to the reader


@dataclass
class Clause:
    """One query item: a word, a quoted phrase, or several OR'ed alternatives."""

    raw: str
    pieces: list[Piece]  # ANDed
    phrase: bool = False
    alternatives: list["Clause"] = field(default_factory=list)  # OR'ed with this one
    glossary: list[str] = field(default_factory=list)  # glossary terms added


@dataclass
class ParsedQuery:
    clauses: list[Clause]
    excluded: list[Clause]
    message: str | None = None

    @property
    def empty(self) -> bool:
        return not self.clauses


def clean_text(q: str) -> tuple[str, object | None]:
    """Drop control characters, collapse spaces, cap the length."""
    chars = []
    for ch in q or "":
        category = unicodedata.category(ch)
        chars.append(" " if category in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co"} else ch)
    text = " ".join("".join(chars).split())
    if len(text) > MAX_QUERY_CHARS:
        # Lazy: parsed queries are cached across readers of either interface language.
        return text[:MAX_QUERY_CHARS].rstrip(), format_lazy(
            gettext_lazy("The query was shortened to its first {count} characters."),
            count=MAX_QUERY_CHARS,
        )
    return text, None


def _lex(text: str) -> list[tuple[str, str]]:
    """Split into ("word"|"phrase", text) items; an unbalanced quote is ignored."""
    items: list[tuple[str, str]] = []
    buf: list[str] = []
    i, n = 0, len(text)

    def flush():
        if buf:
            items.append(("word", "".join(buf)))
            buf.clear()

    while i < n:
        ch = text[i]
        if ch in _QUOTES:
            end = next((j for j in range(i + 1, n) if text[j] in _QUOTES), None)
            if end is None:  # unbalanced: treat the quote as a space
                flush()
                i += 1
                continue
            flush()
            inner = text[i + 1 : end].strip()
            if inner:
                items.append(("phrase", inner))
            i = end + 1
        elif ch.isspace() or ch in _SEPARATORS:
            flush()
            i += 1
        else:
            buf.append(ch)
            i += 1
    flush()
    return items


def split_pieces(text: str) -> list[Piece]:
    """Chinese runs and the word sequences between them, in order."""
    folded = fold(text)
    pieces: list[Piece] = []
    cursor = 0
    for start, end in [*cjk_runs(folded), (len(folded), len(folded))]:
        between = folded[cursor:start]
        words = [w for w, _s, _e in segment(between)] if between.strip() else []
        if words:
            terms = [stem(w) for w in words]
            pieces.append(Piece(" ".join(terms), "words", terms, words))
        if end > start:
            run = folded[start:end]
            segs = [w for w, _s, _e in segment(run)]
            pieces.append(Piece(run, "run", [stem(w) for w in segs], segs))
        cursor = end
    return pieces


def parse(q: str) -> ParsedQuery:
    """Read the reader's query; never raises."""
    text, message = clean_text(q)
    clauses: list[Clause] = []
    excluded: list[Clause] = []
    pending_or = False
    for kind, value in _lex(text):
        if kind == "word" and value == "OR":
            pending_or = bool(clauses)
            continue
        negate = False
        if kind == "word" and value.startswith("-") and len(value) > 1:
            negate, value = True, value.lstrip("-")
        if kind == "word" and value.startswith("+"):
            value = value.lstrip("+")
        pieces = split_pieces(value)
        if not pieces:
            continue
        if kind == "phrase" and len(pieces) > 1:
            # A quoted mix of scripts: one phrase over jieba words.
            terms = [stem(w) for w, _s, _e in segment(fold(value))]
            words = [w for w, _s, _e in segment(fold(value))]
            pieces = [Piece(" ".join(terms), "words", terms, words)]
        clause = Clause(raw=value, pieces=pieces, phrase=kind == "phrase")
        if negate:
            excluded.append(clause)
        elif pending_or and clauses:
            clauses[-1].alternatives.append(clause)
        else:
            clauses.append(clause)
        pending_or = False
    if len(clauses) > MAX_CLAUSES:
        clauses = clauses[:MAX_CLAUSES]
        message = message or "Only the first 32 words of the query were searched."
    return ParsedQuery(clauses=clauses, excluded=excluded[:MAX_CLAUSES], message=message)


def highlight_terms(parsed: ParsedQuery) -> tuple[set[str], set[str]]:
    """(Chinese runs, stemmed English words) to mark in snippets."""
    runs: set[str] = set()
    words: set[str] = set()
    stack = list(parsed.clauses)
    while stack:
        clause = stack.pop()
        stack.extend(clause.alternatives)
        for piece in clause.pieces:
            if piece.kind == "run":
                runs.add(piece.folded)
            else:
                for term in piece.terms:
                    if any(ch.isalnum() for ch in term):
                        if has_chinese(term):
                            runs.add(term)
                        else:
                            words.add(term)
    return runs, words
