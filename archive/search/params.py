"""Search parameters: read from a query string, checked, and turned into ``Filters``.

The names are the search page's URL parameters (``facets.FACETS`` for the filters,
plus ``q``, ``date``/``year``/``month``, ``start``/``end``, ``sort``, ``page``,
``page_size``); a value the reader can fix raises ``SearchParamError`` with a
message for them.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import Language
from archive.search.backend import SORTS
from archive.search.documents import UNDATED
from archive.search.facets import VALUE_FACETS, Filters

MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
MAX_VALUES = 50  # values of one facet in a request
_SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class SearchParamError(ValueError):
    """A parameter the reader can fix; the message is shown to them (or returned as 400)."""


class PastLastPage(SearchParamError):
    """A page number past the last page; ``last`` is the last page there is."""

    def __init__(self, *, page: int, last: int):
        super().__init__(
            _("There is no page %(page)s; the last page is %(last)s.")
            % {"page": page, "last": last}
        )
        self.page, self.last = page, last


@dataclass
class SearchParams:
    q: str = ""
    sources: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    year: int | None = None  # 0 means "undated"
    month: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    facets: bool = True
    highlight: bool = True

    def selected(self, facet_name: str) -> list[str]:
        """The chosen values of one of ``VALUE_FACETS``."""
        facet = next(f for f in VALUE_FACETS if f.name == facet_name)
        return getattr(self, facet.params_attr)

    def cache_key(self) -> tuple:
        """Everything that decides which articles match, in which order."""
        return (
            self.q,
            *(tuple(sorted(set(getattr(self, f.params_attr)))) for f in VALUE_FACETS),
            self.year,
            self.month,
            self.date_from,
            self.date_to,
            self.sort,
        )


def _values(querydict, *names: str) -> list[str]:
    out: list[str] = []
    for name in names:
        getlist = getattr(querydict, "getlist", None)
        raw = getlist(name) if getlist else querydict.get(name, [])
        if isinstance(raw, str):
            raw = [raw]
        for value in raw or []:
            out.extend(v.strip() for v in str(value).split(",") if v.strip())
    if len(out) > MAX_VALUES:
        raise SearchParamError(_("Too many values for “%(name)s”.") % {"name": names[0]})
    return list(dict.fromkeys(out))


def _last(querydict, *names: str) -> str:
    for name in names:
        values = _values(querydict, name)
        if values:
            return values[-1]
    return ""


def _last_raw(querydict, name: str) -> str:
    getlist = getattr(querydict, "getlist", None)
    if getlist:
        values = getlist(name)
        return values[-1] if values else ""
    value = querydict.get(name, "")
    return value[-1] if isinstance(value, list) and value else value


def _int(value: str, name: str, *, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SearchParamError(
            _("“%(name)s” must be a whole number, not “%(value)s”.")
            % {"name": name, "value": value[:40]}
        ) from None
    if not low <= number <= high:
        raise SearchParamError(
            _("“%(name)s” must be between %(low)s and %(high)s.")
            % {"name": name, "low": low, "high": high}
        )
    return number


def _date(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SearchParamError(
            _("“%(name)s” must be a date written YYYY-MM-DD, not “%(value)s”.")
            % {"name": name, "value": value[:40]}
        ) from None


def _facet_values(querydict, facet) -> list[str]:
    """The chosen values of one facet, checked: slugs, or one of the model's choices."""
    names = (*facet.aliases, facet.name)  # "lang" first: the name the API documents
    values = _values(querydict, *names)
    if facet.closed_values:
        valid = {code for code, _label in Language.choices}
        for code in values:
            if code not in valid:
                raise SearchParamError(
                    _("Unknown language “%(value)s”; use one of %(valid)s.")
                    % {"value": code[:20], "valid": ", ".join(sorted(valid))}
                )
        return values
    for value in values:
        if len(value) > 200 or not set(value) <= _SLUG_CHARS:
            raise SearchParamError(_("“%(name)s” has an invalid value.") % {"name": facet.name})
    return values


def params_from_query(querydict) -> SearchParams:
    """Validate a GET query (QueryDict or dict); SearchParamError with a readable message."""
    params = SearchParams()
    params.q = str(_last_raw(querydict, "q") or "")
    for facet in VALUE_FACETS:
        setattr(params, facet.params_attr, _facet_values(querydict, facet))
    date_value = _last(querydict, "date")
    year, month = _last(querydict, "year"), _last(querydict, "month")
    if date_value:
        if date_value == UNDATED:
            year, month = UNDATED, ""
        else:
            year, _sep, month = date_value.partition("-")
    if year == UNDATED:
        params.year = 0
    elif year:
        params.year = _int(year, "year", low=1, high=9999)
    if month:
        if not params.year:
            raise SearchParamError(_("A month needs a year."))
        params.month = _int(month, "month", low=1, high=12)
    params.date_from = _date(_last(querydict, "date_from", "start"), "date_from")
    params.date_to = _date(_last(querydict, "date_to", "end"), "date_to")
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise SearchParamError(_("The start date is after the end date."))
    sort = _last(querydict, "sort") or "relevance"
    if sort not in SORTS:
        raise SearchParamError(
            _("Unknown sort “%(value)s”; use relevance, newest or oldest.") % {"value": sort[:20]}
        )
    params.sort = sort
    page = _last(querydict, "page")
    params.page = _int(page, "page", low=1, high=MAX_PAGE) if page else 1
    size = _last(querydict, "page_size")
    params.page_size = _int(size, "page_size", low=1, high=MAX_PAGE_SIZE) if size else 20
    return params


def _day_start(day: dt.date) -> int:
    return int(
        timezone.make_aware(
            dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone()
        ).timestamp()
    )


def filters_for(params: SearchParams) -> Filters:
    """The engine-neutral filters of ``params``."""
    year = month = None
    if params.year == 0:
        year = UNDATED
    elif params.year:
        year = str(params.year)
        if params.month:
            month = f"{params.year:04d}-{params.month:02d}"
    return Filters(
        values={f.name: frozenset(params.selected(f.name)) for f in VALUE_FACETS},
        year=year,
        month=month,
        pub_from=_day_start(params.date_from) if params.date_from else None,
        # The last possible day (9999-12-31) has no "next day": it bounds nothing.
        pub_to=(
            _day_start(params.date_to + dt.timedelta(days=1))
            if params.date_to and params.date_to < dt.date.max
            else None
        ),
    )
