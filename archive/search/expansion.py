"""Query words the index decides: ``econom*`` expanded to the words it starts, and pinyin
(``xitu``, ``xī tǔ``) to the Chinese words read that way.

Both need the live index (``SearchBackend.words_with_prefix``, and the suggestion
tables' ``pinyin.table``), so they run after parsing, in the service. What was added is
reported for the understood line.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from archive.search import pinyin, suggestions
from archive.search.backend import SearchBackend, SearchUnavailable
from archive.search.query import Clause, ParsedQuery, Piece, lazy_message
from archive.text import stem

MAX_PREFIX_WORDS = 50  # words one ``word*`` searches for, the most frequent first
SHOWN_PREFIX_WORDS = 8  # of them, named on the understood line ("and N more")
MAX_READING_WORDS = 5  # Chinese words one pinyin reading adds
READING_WEIGHT = 0.5  # pinyin matches rank below the words as typed
MAX_SYLLABLES_JOINED = 6  # consecutive single syllables read as one word (``xi tu``)


@dataclass
class Expansions:
    """What the index added to a query, for the reader."""

    prefixes: list[tuple[str, list[str], int]] = field(default_factory=list)  # (typed, words, more)
    readings: list[tuple[str, list[str]]] = field(default_factory=list)  # (typed, Chinese words)
    latin_only_q: str | None = None  # the query with its pinyin words quoted (no readings)


def expand(parsed: ParsedQuery, backend: SearchBackend, q: str) -> Expansions:
    """Expand ``parsed`` in place; ``q`` is the query as typed (for the Latin-only link)."""
    found = Expansions()
    readable: dict[str, str] | None = None  # read once, for the first prefix
    for clause in _all_clauses(parsed):
        for piece in clause.pieces:
            if piece.kind == "prefix":
                readable = readable if readable is not None else _readable_words()
                _expand_prefix(piece, backend, found, parsed.notes, readable)
    _add_readings(parsed, backend, found, q)
    return found


def _all_clauses(parsed: ParsedQuery):
    stack = [*parsed.clauses, *parsed.excluded]
    while stack:
        clause = stack.pop()
        stack.extend(clause.alternatives)
        yield clause


def _expand_prefix(
    piece: Piece, backend: SearchBackend, found: Expansions, notes: list, readable: dict
) -> None:
    found_words, total = backend.words_with_prefix(piece.folded, limit=MAX_PREFIX_WORDS * 2)
    # Not terms glued to punctuation ("economy.david"): a word is letters and digits.
    words = [(word, count) for word, count in found_words if word.isalnum()]
    total -= len(found_words) - len(words)  # the glued terms seen (others may remain)
    best = words[:MAX_PREFIX_WORDS]
    piece.terms = [word for word, _count in best]
    shown = [readable.get(term, term) for term in piece.terms[:SHOWN_PREFIX_WORDS]]
    found.prefixes.append((piece.display[0], shown, max(total - len(shown), 0)))
    if not best:
        notes.append(
            lazy_message(_("No word in the archive starts with “{prefix}”."), prefix=piece.folded)
        )
    elif total > len(best):
        notes.append(
            lazy_message(
                _("“{word}” searched the {count} most frequent words it starts."),
                word=piece.display[0],
                count=len(best),
            )
        )


def _latin(clause: Clause) -> str | None:
    """The reading key of a clause typed as one Latin word (``Bao'tou``, ``xī``), or None."""
    if not clause.plain or clause.phrase or clause.alternatives:
        return None
    if any(piece.kind != "words" for piece in clause.pieces):
        return None
    return pinyin.typed_reading(clause.raw)


def _add_readings(parsed: ParsedQuery, backend: SearchBackend, found: Expansions, q: str) -> None:
    """Chinese words for clauses typed in pinyin: runs of syllables (``xi tu``) first."""
    keys = (_latin(clause) for clause in parsed.clauses)
    if not any(key and pinyin.could_be_reading(key) for key in keys):
        return  # nothing typed could be pinyin: no need for the table (the whole vocabulary)
    try:
        table = _reading_table(backend)
    except SearchUnavailable:  # the search itself reports it
        return
    clauses, out, i = parsed.clauses, [], 0
    quoted = q
    while i < len(clauses):
        keys = []
        for clause in clauses[i : i + MAX_SYLLABLES_JOINED]:
            key = _latin(clause)
            if key is None:
                break
            keys.append(key)
        taken = 0
        for size in range(len(keys), 0, -1):
            group = clauses[i : i + size]
            words = _reading_words("".join(keys[:size]), group, table, backend)
            if words:
                merged = (
                    group[0]
                    if size == 1
                    else Clause(
                        raw=" ".join(c.raw for c in group),
                        pieces=[p for c in group for p in c.pieces],
                    )
                )
                merged.alternatives.extend(
                    Clause(
                        raw=word, pieces=[Piece(word, "run", [word], [word])], weight=READING_WEIGHT
                    )
                    for word in words
                )
                found.readings.append((merged.raw, words))
                quoted = quoted.replace(merged.raw, f'"{merged.raw}"', 1)
                out.append(merged)
                taken = size
                break
        if not taken:
            out.append(clauses[i])
            taken = 1
        i += taken
    parsed.clauses = out
    if found.readings:
        found.latin_only_q = quoted


def _reading_table(backend: SearchBackend) -> pinyin.PinyinTable:
    """The readings of the suggestion tables, once built: on a large index those follow
    edits in the background, so a search after an edit does not wait for the readings of
    every Chinese word of the index (about a second at 250k articles); a word an edit
    brings is read with the next tables. Before the first tables, the live generation's."""
    tables = suggestions.tables()
    return tables.pinyin.table if tables is not None else pinyin.table(backend)


def _reading_words(key: str, group: list[Clause], table, backend: SearchBackend) -> list[str]:
    """The Chinese words read ``key`` worth adding: any for pinyin with tones or several
    syllables; for one plain word only when it is rarer as an English word than they are."""
    words = table.words_for(key)[:MAX_READING_WORDS]
    if not words:
        return []
    explicit = len(group) > 1 or pinyin.has_tone_marks(group[0].raw)
    if not explicit and backend.word_frequency(stem(key)) >= words[0][1]:
        return []  # "change" stays English even though 嫦娥 reads chang'e
    return [word for word, _count in words]


def _readable_words() -> dict[str, str]:
    """English stem -> the word titles use most for it (``economi`` -> economy), when the
    suggestion tables are ready; empty otherwise (the stems are shown)."""
    try:
        tables = suggestions.tables()
    except SearchUnavailable:
        return {}
    return tables.words.shown if tables is not None else {}
