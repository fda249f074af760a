"""Search parameters: a query string checked by ``SearchForm``, turned into ``Filters``.

The names are the search page's URL parameters (``facets.FACETS`` for the filters,
plus ``q``, ``date``/``year``/``month``, ``start``/``end``, ``sort``, ``page``,
``page_size``); a value the reader can fix raises ``SearchParamError`` with a
message for them.
"""

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import Language
from archive.search.backend import SORTS
from archive.search.documents import UNDATED
from archive.search.facets import BY_NAME, VALUE_FACETS, Filters

MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
MAX_VALUES = 50  # values of one facet in a request
VERSIONS = ("stories", "all")  # one result per story, or every version
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
    versions: str = "stories"  # one result per story ("stories") or every version ("all")

    def selected(self, facet_name: str) -> list[str]:
        """The chosen values of one of ``VALUE_FACETS``."""
        return getattr(self, BY_NAME[facet_name].params_attr)

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
            self.versions,
        )


def _raw_values(data, name: str) -> list[str]:
    """Every value of ``name`` in a QueryDict or a plain dict (of strings or lists)."""
    getlist = getattr(data, "getlist", None)
    raw = getlist(name) if getlist else data.get(name, [])
    if isinstance(raw, str):
        raw = [raw]
    return [str(value) for value in raw or []]


class LastValue(forms.Widget):
    """The last value of the parameter (a link that repeats one takes the last)."""

    def value_from_datadict(self, data, files, name):
        values = _raw_values(data, name)
        return values[-1] if values else ""


class EveryValue(forms.Widget):
    """Every value of the parameter and its aliases, comma-separated ones split."""

    def __init__(self, aliases: tuple[str, ...] = ()):
        super().__init__()
        self.aliases = aliases

    def value_from_datadict(self, data, files, name):
        out: list[str] = []
        for key in (*self.aliases, name):
            for value in _raw_values(data, key):
                out.extend(v.strip() for v in value.split(",") if v.strip())
        return list(dict.fromkeys(out))


class ChosenValues(forms.Field):
    """The chosen values of one facet: slugs, or one of the model's choices."""

    def __init__(self, facet, **kwargs):
        self.facet = facet
        super().__init__(required=False, widget=EveryValue(facet.aliases), **kwargs)

    def clean(self, value) -> list[str]:
        values = list(value or [])
        if len(values) > MAX_VALUES:
            raise ValidationError(
                _(
                    "A search can filter on at most %(max)s values of “%(name)s”; "
                    "this address has %(count)s."
                )
                % {"max": MAX_VALUES, "name": self.facet.name, "count": len(values)}
            )
        if self.facet.closed_values:
            valid = {code for code, _label in Language.choices}
            for code in values:
                if code not in valid:
                    raise ValidationError(
                        _("Unknown language “%(value)s”; use one of %(valid)s.")
                        % {"value": code[:20], "valid": ", ".join(sorted(valid))}
                    )
            return values
        for slug in values:
            if len(slug) > 200 or not set(slug) <= _SLUG_CHARS:
                raise ValidationError(
                    _("“%(name)s” has an invalid value.") % {"name": self.facet.name}
                )
        return values


class WholeNumber(forms.Field):
    def __init__(self, *, low: int, high: int, label: str, **kwargs):
        self.low, self.high, self.name = low, high, label
        super().__init__(required=False, widget=LastValue(), **kwargs)

    def clean(self, value) -> int | None:
        if value in ("", None):
            return None
        try:
            number = int(value)
        except ValueError:
            raise ValidationError(
                _("“%(name)s” must be a whole number, not “%(value)s”.")
                % {"name": self.name, "value": value[:40]}
            ) from None
        if not self.low <= number <= self.high:
            raise ValidationError(
                _("“%(name)s” must be between %(low)s and %(high)s.")
                % {"name": self.name, "low": self.low, "high": self.high}
            )
        return number


class LastOfNameOrAlias(forms.Widget):
    """The last value of the parameter, or else of its alias."""

    def __init__(self, alias: str):
        super().__init__()
        self.alias = alias

    def value_from_datadict(self, data, files, name):
        values = _raw_values(data, name) or _raw_values(data, self.alias)
        return values[-1].strip() if values else ""


class IsoDate(forms.Field):
    """A YYYY-MM-DD date under its name or its alias (``date_from`` / ``start``)."""

    def __init__(self, *, alias: str, label: str, **kwargs):
        self.name = label
        super().__init__(required=False, widget=LastOfNameOrAlias(alias), **kwargs)

    def clean(self, value) -> dt.date | None:
        text = value or ""
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                _("“%(name)s” must be a date written YYYY-MM-DD, not “%(value)s”.")
                % {"name": self.name, "value": text[:40]}
            ) from None


class QueryText(forms.Field):
    """The reader's query as typed: any text (control characters included; the
    query parser reads them as spaces), never an error."""

    def __init__(self, **kwargs):
        super().__init__(required=False, widget=LastValue(), **kwargs)

    def clean(self, value) -> str:
        return str(value or "")


class SearchForm(forms.Form):
    """The search page's parameters (the API's and the feeds' too), checked.

    Parameters are read the way links write them: a repeated single value takes the
    last one; facet values repeat or are comma-separated (``source=a,b``).
    """

    q = QueryText()
    date = forms.CharField(required=False, widget=LastValue())  # 2025, 2025-03, undated
    year = forms.CharField(required=False, widget=LastValue())
    month = forms.CharField(required=False, widget=LastValue())
    date_from = IsoDate(alias="start", label="date_from")
    date_to = IsoDate(alias="end", label="date_to")
    sort = forms.CharField(required=False, widget=LastValue())
    page = WholeNumber(low=1, high=MAX_PAGE, label="page")
    page_size = WholeNumber(low=1, high=MAX_PAGE_SIZE, label="page_size")
    versions = forms.CharField(required=False, widget=LastValue())

    def __init__(self, data):
        super().__init__(data)
        facet_fields = {f.name: ChosenValues(f) for f in VALUE_FACETS}
        self.fields = {"q": self.fields.pop("q"), **facet_fields, **self.fields}

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"] or "relevance"
        if sort not in SORTS:
            raise ValidationError(
                _("Unknown sort “%(value)s”; use relevance, newest or oldest.")
                % {"value": sort[:20]}
            )
        return sort

    def clean_versions(self) -> str:
        versions = self.cleaned_data["versions"] or "stories"
        if versions not in VERSIONS:
            raise ValidationError(
                _("Unknown “versions” “%(value)s”; use stories or all.") % {"value": versions[:20]}
            )
        return versions

    def clean(self):
        data = super().clean()
        year, month = data.get("year", ""), data.get("month", "")
        if data.get("date"):
            year, month = (
                (UNDATED, "") if data["date"] == UNDATED else data["date"].partition("-")[::2]
            )
        data["year"], data["month"] = None, None
        try:
            if year == UNDATED:
                data["year"] = 0
            elif year:
                data["year"] = WholeNumber(low=1, high=9999, label="year").clean(year)
            if month:
                if not data["year"]:
                    raise ValidationError(_("A month needs a year."))
                data["month"] = WholeNumber(low=1, high=12, label="month").clean(month)
        except ValidationError as error:
            self.add_error("date", error)
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The start date is after the end date."))
        return data

    def params(self) -> SearchParams:
        """The checked parameters; SearchParamError with the first problem's message."""
        if not self.is_valid():
            first = next(iter(self.errors.values()))
            raise SearchParamError(first[0])
        data = self.cleaned_data
        params = SearchParams(
            q=data["q"] or "",
            year=data["year"],
            month=data["month"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            sort=data["sort"],
            page=data["page"] or 1,
            page_size=data["page_size"] or 20,
            versions=data["versions"],
        )
        for facet in VALUE_FACETS:
            setattr(params, facet.params_attr, data[facet.name])
        return params


def params_from_query(querydict) -> SearchParams:
    """Validate a GET query (QueryDict or dict); SearchParamError with a readable message."""
    return SearchForm(querydict).params()


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
