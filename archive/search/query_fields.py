"""The query's filter fields (``source:``, ``topic:``, ``lang:``, ``date:``) resolved to
what the index holds: facet values and date spans (``query.Constraint``).

A source or topic is named by its slug or its name in either language and either
script; a name that matches none gives no results, with a note. A language or a
date the archive cannot read is searched as text, with a note.
"""

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.models import Language, Source, Tag
from archive.search.params import MAX_VALUES
from archive.search.query import (
    Clause,
    Constraint,
    FieldFilter,
    ParsedQuery,
    lazy_message,
    split_pieces,
)
from archive.text import fold

LANGUAGES = {
    "zh": frozenset({Language.SIMPLIFIED, Language.TRADITIONAL}),
    "中文": frozenset({Language.SIMPLIFIED, Language.TRADITIONAL}),
    "zh-hans": frozenset({Language.SIMPLIFIED}),
    "zh-cn": frozenset({Language.SIMPLIFIED}),
    "简体": frozenset({Language.SIMPLIFIED}),
    "簡體": frozenset({Language.SIMPLIFIED}),
    "zh-hant": frozenset({Language.TRADITIONAL}),
    "zh-tw": frozenset({Language.TRADITIONAL}),
    "zh-hk": frozenset({Language.TRADITIONAL}),
    "繁体": frozenset({Language.TRADITIONAL}),
    "繁體": frozenset({Language.TRADITIONAL}),
    "en": frozenset({Language.ENGLISH}),
    "english": frozenset({Language.ENGLISH}),
    "英文": frozenset({Language.ENGLISH}),
}
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def resolve(parsed: ParsedQuery) -> None:
    """Fill ``parsed.constraints`` from ``parsed.filters``; unreadable ones become text."""
    for typed in parsed.filters:
        constraint = _RESOLVERS[typed.field](typed, parsed.notes)
        if constraint is not None:
            parsed.constraints.append(constraint)
            continue
        pieces = split_pieces(typed.value)
        if pieces:
            clause = Clause(raw=typed.value, pieces=pieces)
            (parsed.excluded if typed.negated else parsed.clauses).append(clause)


def _named(typed: FieldFilter, notes: list, model, names: tuple[str, ...]) -> Constraint:
    """Slugs of the ``model`` rows named ``typed.value`` (exactly, else containing it)."""
    value = " ".join(typed.value.split())
    folded = fold(value)
    rows = list(model.objects.select_related("merged_into"))
    exact = [r for r in rows if r.slug == value.lower() or folded in _folded_names(r, names)]
    found = exact or [
        r for r in rows if folded in r.slug or any(folded in n for n in _folded_names(r, names))
    ]
    slugs = frozenset(row.resolved().slug for row in found[:MAX_VALUES])
    if not slugs:
        label = _("source") if model is Source else _("topic")
        notes.append(lazy_message(_("No {kind} is called “{name}”."), kind=label, name=value))
    return Constraint(typed.field, values=slugs, negated=typed.negated)


def _folded_names(row, names: tuple[str, ...]) -> list[str]:
    return [fold(getattr(row, name)) for name in names if getattr(row, name)]


def _source(typed: FieldFilter, notes: list) -> Constraint:
    return _named(typed, notes, Source, ("name", "name_en"))


def _topic(typed: FieldFilter, notes: list) -> Constraint:
    return _named(typed, notes, Tag, ("name_zh", "name_en"))


def _language(typed: FieldFilter, notes: list) -> Constraint | None:
    values = LANGUAGES.get(typed.value.lower())
    if values is None:
        notes.append(
            lazy_message(
                _("“lang:” takes zh, zh-Hans, zh-Hant or en; “{value}” was searched as text."),
                value=typed.value,
            )
        )
        return None
    return Constraint("language", values=frozenset(str(v) for v in values), negated=typed.negated)


def _date(typed: FieldFilter, notes: list) -> Constraint | None:
    """``2024``, ``2024-05``, ``2024-05-01``, or a range of them with ``..`` (either end open)."""
    first, dots, last = typed.value.partition("..")
    if not dots:
        last = first
    try:
        start = _period(first, end=False) if first else None
        end = _period(last, end=True) if last else None
    except ValueError:
        start = end = None
    if (start is None and end is None) or (start is not None and end is not None and start >= end):
        notes.append(
            lazy_message(
                _(
                    "“date:” takes 2024, 2024-05, 2024-05-01 or a range such as 2021..2024-06;"
                    " “{value}” was searched as text."
                ),
                value=typed.value,
            )
        )
        return None
    return Constraint("date", pub_from=start, pub_to=end, negated=typed.negated)


def _period(text: str, *, end: bool) -> int:
    """The first second of the year, month or day ``text`` (of the one after it when ``end``),
    in the archive's time zone, as seconds since the epoch."""
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) if part else None for part in match.groups())
    first = dt.date(year, month or 1, day or 1)
    if end:
        if day:
            first += dt.timedelta(days=1)
        elif month:
            first = dt.date(year + month // 12, month % 12 + 1, 1)
        else:
            first = dt.date(year + 1, 1, 1)
    moment = dt.datetime.combine(first, dt.time(), tzinfo=timezone.get_default_timezone())
    return int(moment.timestamp())


_RESOLVERS = {"source": _source, "topic": _topic, "language": _language, "date": _date}
