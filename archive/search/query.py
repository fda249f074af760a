"""The reader's query, parsed into an engine-neutral tree (``ParsedQuery``).

Syntax (the search tips page shows each with an example):

- words are ANDed; ``"quoted phrase"`` is exact; ``-word`` excludes; ``OR`` between words;
- ``"a b"~N`` and ``a NEAR/N b``: the words within N positions of each other, in any
  order (N words in English, N characters in Chinese);
- ``econom*``: English words starting with ``econom`` (expanded against the index by
  ``archive.search.expansion``);
- fields: ``title:`` (text in the title), ``source:``, ``topic:``, ``lang:`` and
  ``date:`` (filters, resolved by ``archive.search.query_fields``), also negated
  (``-source:reuters``) and with a phrase (``title:"rare earth"``).

Each backend compiles the tree into its own engine's queries
(``archive.search.backends.whoosh.compile``); nothing the reader types reaches an
engine's query parser. Unknown field names, ranges and other syntax are plain
text; malformed input (unbalanced quotes, ``~`` without a number, a field with
nothing after it, stray operators, control characters) is read as literal words
with a note, never an error. Over-long queries are shortened with a message.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from archive.text import cjk_runs, fold, has_chinese, segment, stem

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 32
MAX_DISTANCE = 50  # the widest proximity window
MAX_PREFIXES = 4  # prefix (``word*``) searches in one query

_QUOTES = {'"', "“", "”", "„", "「", "」", "『", "』", "＂"}
_SEPARATORS = {"(", ")", "（", "）", "[", "]", "{", "}"}
_NEAR = re.compile(r"NEAR/(\d*)$")
# Field names as typed (English, and Chinese in either script) -> the field.
FIELD_NAMES = {
    "title": "title",
    "标题": "title",
    "標題": "title",
    "source": "source",
    "来源": "source",
    "來源": "source",
    "topic": "topic",
    "主题": "topic",
    "主題": "topic",
    "lang": "language",
    "language": "language",
    "语言": "language",
    "語言": "language",
    "date": "date",
    "日期": "date",
}
FILTER_FIELDS = ("source", "topic", "language", "date")  # fields that filter, not text
FILTER_LABELS = {"source": "source", "topic": "topic", "language": "lang", "date": "date"}
_FIELD_PREFIX = re.compile(r"^([-+]?)([^\W\d_]+)[:：]$")


@dataclass
class Piece:
    """Something that must match: a run of Chinese characters, a word sequence, or a prefix."""

    folded: str  # folded text, e.g. "新能源汽车", "housing polici" or "econom"
    kind: str  # "run" (Chinese characters), "words", or "prefix" (English word start)
    terms: list[str]  # stemmed word terms ("words"); segmentation ("run"); expansion ("prefix")
    display: list[str]  # unstemmed segments, shown to the reader


@dataclass
class Clause:
    """One query item: a word, a quoted phrase, or several OR'ed alternatives."""

    raw: str
    pieces: list[Piece]  # ANDed
    phrase: bool = False
    alternatives: list["Clause"] = field(default_factory=list)  # OR'ed with this one
    glossary: list[str] = field(default_factory=list)  # glossary terms added
    field: str | None = None  # "title": only the title; None: title or body
    distance: int | None = None  # proximity: the pieces' words within this many positions
    weight: float = 1.0  # below 1 for alternatives the archive added (pinyin readings)

    @property
    def plain(self) -> bool:
        """Words as typed, with no field, proximity or prefix (glossary and pinyin apply)."""
        return (
            self.field is None
            and self.distance is None
            and not any(p.kind == "prefix" for p in self.pieces)
        )


@dataclass(frozen=True)
class FieldFilter:
    """``source:``, ``topic:``, ``lang:`` or ``date:`` as typed, before it is resolved."""

    field: str  # one of FILTER_FIELDS
    value: str
    negated: bool = False


@dataclass(frozen=True)
class Constraint:
    """A resolved field filter: facet values (``field`` a facet name) or a date span."""

    field: str  # "source", "topic", "language" (facet names) or "date"
    values: frozenset[str] = frozenset()  # no values: matches nothing (an unknown name)
    pub_from: int | None = None  # "date": seconds since the epoch, inclusive
    pub_to: int | None = None  # exclusive
    negated: bool = False


@dataclass
class ParsedQuery:
    clauses: list[Clause]
    excluded: list[Clause]
    notes: list = field(default_factory=list)  # what was read differently, for the reader
    filters: list[FieldFilter] = field(default_factory=list)  # as typed
    constraints: list[Constraint] = field(default_factory=list)  # resolved ``filters``

    @property
    def empty(self) -> bool:
        """Nothing to search for or filter by: every article matches."""
        return not (self.clauses or self.excluded or self.filters or self.constraints)

    @property
    def message(self) -> Promise | None:
        """The notes as one message, translated when shown (parsed queries are shared)."""
        notes = list(dict.fromkeys(self.notes))
        return format_lazy(" ".join(["{}"] * len(notes)), *notes) if notes else None


def clean_text(q: str) -> tuple[str, Promise | None]:
    """Drop control characters, collapse spaces, cap the length."""
    chars = []
    for ch in q or "":
        category = unicodedata.category(ch)
        chars.append(" " if category in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co"} else ch)
    text = " ".join("".join(chars).split())
    if len(text) > MAX_QUERY_CHARS:
        # Lazy: parsed queries are cached across readers of either interface language.
        return text[:MAX_QUERY_CHARS].rstrip(), format_lazy(
            _("The query was shortened to its first {count} characters."),
            count=MAX_QUERY_CHARS,
        )
    return text, None


@dataclass
class _Item:
    kind: str  # "word" or "phrase"
    text: str
    field: str | None = None  # a field name as typed, before a phrase (``title:"a b"``)
    negated: bool = False
    distance: str | None = None  # the digits after ``~`` ("" when none followed it)


def _lex(text: str) -> list[_Item]:
    """Split into word and phrase items; an unbalanced quote is ignored."""
    items: list[_Item] = []
    buf: list[str] = []
    i, n = 0, len(text)

    def flush():
        if buf:
            items.append(_Item("word", "".join(buf)))
            buf.clear()

    while i < n:
        ch = text[i]
        if ch in _QUOTES:
            end = next((j for j in range(i + 1, n) if text[j] in _QUOTES), None)
            if end is None:  # unbalanced: treat the quote as a space
                flush()
                i += 1
                continue
            prefix = _FIELD_PREFIX.match("".join(buf))
            negated, name = (prefix.group(1) == "-", prefix.group(2)) if prefix else (False, None)
            if prefix:
                buf.clear()
            flush()
            item = _Item("phrase", text[i + 1 : end].strip(), field=name, negated=negated)
            i = end + 1
            if i < n and text[i] in "~～":
                j = i + 1
                while j < n and text[j].isdigit():
                    j += 1
                item.distance = text[i + 1 : j]
                i = j
            if item.text:
                items.append(item)
            elif name:
                items.append(_Item("word", f"{'-' if negated else ''}{name}:"))
        elif ch.isspace() or ch in _SEPARATORS:
            flush()
            i += 1
        else:
            buf.append(ch)
            i += 1
    flush()
    return items


def _field_of(item: _Item) -> tuple[str | None, str, bool]:
    """(field, value, negated) of a word or phrase item; field None when it has none."""
    if item.kind == "phrase":
        name = FIELD_NAMES.get((item.field or "").lower())
        if item.field and not name:  # an unknown field name before a phrase stays text
            return None, f"{item.field}:{item.text}", item.negated
        return name, item.text, item.negated
    text = item.text
    negated = text.startswith("-") and len(text) > 1
    body = text.lstrip("-+")
    name, sep, value = body.replace("：", ":").partition(":")
    if sep and name.lower() in FIELD_NAMES:
        return FIELD_NAMES[name.lower()], value, negated
    return None, text, False


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


_MIXED_PROXIMITY = _(
    "Words near each other must be all Chinese or all English; searched for all of them anywhere."
)


def lazy_message(message: Promise, **values) -> Promise:
    """A note with values, in the reader's interface language (lazy: parsed queries are shared)."""
    return format_lazy(message, **values)


def _prefix_piece(word: str, notes: list) -> list[Piece]:
    """``econom*`` as a prefix piece; other uses of ``*`` are read as the word, with a note."""
    base = word.rstrip("*")
    pieces = split_pieces(base)
    if not base.strip("*"):
        notes.append(_("A “*” needs the start of an English word before it (econom*)."))
        return []
    if has_chinese(base):
        notes.append(_("Chinese needs no “*”: any part of a word is found as typed."))
        return pieces
    if len(pieces) != 1 or pieces[0].kind != "words" or len(pieces[0].terms) != 1:
        notes.append(
            lazy_message(
                _("“*” works at the end of one English word; “{word}” was searched as typed."),
                word=word,
            )
        )
        return pieces
    start = pieces[0].display[0]
    if len(start) < 2:
        notes.append(
            lazy_message(
                _("A prefix needs at least two letters; “{word}” was searched as a word."),
                word=word,
            )
        )
        return pieces
    return [Piece(start, "prefix", [], [f"{start}*"])]


def _distance(digits: str | None, notes: list) -> int | None:
    """The proximity window of ``~N`` or ``NEAR/N`` (capped), None when it had no number."""
    if digits is None:
        return None
    if not digits:
        notes.append(_("“~” and “NEAR/” need a number (“rare earth”~5); searched without it."))
        return None
    distance = int(digits[:6])
    if distance > MAX_DISTANCE:
        notes.append(
            lazy_message(
                _("Words can be at most {count} apart; the window was narrowed to {count}."),
                count=MAX_DISTANCE,
            )
        )
        return MAX_DISTANCE
    return distance


def _text_clause(item: _Item, value: str, notes: list) -> Clause | None:
    """A word or phrase item (without its field) as a clause."""
    phrase = item.kind == "phrase"
    if not phrase and value.endswith("*"):
        pieces = _prefix_piece(value, notes)
    else:
        pieces = split_pieces(value.rstrip("*") if phrase else value)
    if not pieces:
        return None
    distance = _distance(item.distance, notes) if phrase else None
    if distance is not None:
        groups = _proximity_groups(pieces)
        if groups is None:
            notes.append(_MIXED_PROXIMITY)
            return Clause(raw=value, pieces=pieces)
        if len(groups) < 2:
            return Clause(raw=value, pieces=pieces, phrase=True)
        return Clause(raw=value, pieces=groups, distance=distance)
    if phrase and len(pieces) > 1:
        # A quoted mix of scripts: one phrase over jieba words.
        words = [w for w, _s, _e in segment(fold(value))]
        pieces = [Piece(" ".join(stem(w) for w in words), "words", [stem(w) for w in words], words)]
    return Clause(raw=value, pieces=pieces, phrase=phrase)


def _proximity_groups(pieces: list[Piece]) -> list[Piece] | None:
    """Each word of a proximity search as its own piece; None when scripts are mixed."""
    kinds = {p.kind for p in pieces}
    if kinds == {"run"}:
        return pieces
    if kinds == {"words"}:
        return [
            Piece(term, "words", [term], [shown])
            for p in pieces
            for term, shown in zip(p.terms, p.display, strict=True)
        ]
    return None


def _join_near(left: Clause, right: Clause, distance: int, notes: list) -> Clause | None:
    """``left NEAR/N right`` as one proximity clause (chains keep the widest window)."""
    groups = _proximity_groups([*left.pieces, *right.pieces])
    if groups is None or left.alternatives or right.alternatives or left.field != right.field:
        notes.append(_MIXED_PROXIMITY)
        return None
    return Clause(
        raw=f"{left.raw} NEAR/{distance} {right.raw}",
        pieces=groups,
        field=left.field,
        distance=max(distance, left.distance or 0),
    )


def parse(q: str) -> ParsedQuery:
    """Read the reader's query; never raises."""
    text, shortened = clean_text(q)
    notes: list = [shortened] if shortened else []
    clauses: list[Clause] = []
    excluded: list[Clause] = []
    filters: list[FieldFilter] = []
    pending_or = False
    pending_near: int | None = None
    prefixes = 0
    for item in _lex(text):
        if item.kind == "word" and item.text == "OR":
            pending_or = bool(clauses)
            continue
        near = _NEAR.match(item.text) if item.kind == "word" else None
        if near:
            distance = _distance(near.group(1), notes)
            if distance is not None and clauses:
                pending_near = distance
            continue
        name, value, negated = _field_of(item)
        if name and not value.strip():  # ``title:`` with nothing after it
            notes.append(
                lazy_message(
                    _("“{field}:” needs something after it; searched as text."),
                    field=item.text.strip("-+:："),
                )
            )
            name, value = None, item.text.strip("-+:：")
        if name in FILTER_FIELDS:
            filters.append(FieldFilter(name, value.strip(), negated))
            continue
        if name is None and item.kind == "word":
            negated = value.startswith("-") and len(value) > 1
            value = value.lstrip("-+")
        if item.kind == "word" and value.endswith("*"):
            prefixes += 1
            if prefixes > MAX_PREFIXES:
                notes.append(
                    lazy_message(
                        _(
                            "At most {count} “*” words are expanded in one query; the rest were searched as typed."
                        ),
                        count=MAX_PREFIXES,
                    )
                )
                value = value.rstrip("*")
        clause = _text_clause(item, value, notes)
        if clause is None:
            continue
        clause.field = "title" if name == "title" else None
        if negated:
            excluded.append(clause)
            pending_near = None
            continue
        if pending_near is not None and clauses:
            joined = _join_near(clauses[-1], clause, pending_near, notes)
            pending_near = None
            if joined is not None:
                clauses[-1] = joined
                continue
        if pending_or and clauses:
            clauses[-1].alternatives.append(clause)
        else:
            clauses.append(clause)
        pending_or = False
    if len(clauses) > MAX_CLAUSES:
        clauses = clauses[:MAX_CLAUSES]
        notes.append(
            lazy_message(
                _("Only the first {count} words of the query were searched."), count=MAX_CLAUSES
            )
        )
    return ParsedQuery(
        clauses=clauses, excluded=excluded[:MAX_CLAUSES], notes=notes, filters=filters[:MAX_CLAUSES]
    )


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
