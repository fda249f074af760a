"""What the search page shows around the results: facet links, chips, form state.

Functions of the query string and the search service's results (the database is
read only to name a filter that no longer matches anything). Parameter
names follow ``archive.search.service.params_from_query``: ``source``, ``topic``
and ``language`` may repeat (any of them matches); ``date`` is one year
(``2025``), one month (``2025-03``) or ``undated``; ``start``/``end`` bound the
date range.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from archive.models import Language, Source, Tag
from archive.search import service
from archive.search.facets import FACETS, VALUE_FACETS

FACET_NAMES = {facet.name: facet.label for facet in FACETS}
FACET_ORDER = [facet.name for facet in FACETS]
MULTI_VALUE = {facet.name for facet in VALUE_FACETS}
SORT_CHOICES = [
    ("relevance", _("Relevance")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
]
RANGE_PARAMS = {"start": _("From"), "end": _("To")}
FACET_LIMIT = 15  # values shown per facet; selected ones are always shown
ALIASES = {
    **{alias: facet.name for facet in FACETS for alias in facet.aliases},
    "date_from": "start",
    "date_to": "end",
}


@dataclass(frozen=True)
class FacetLink:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass(frozen=True)
class FacetGroup:
    key: str
    name: str
    links: list[FacetLink]
    hidden: int = 0  # values left out of a long list


@dataclass(frozen=True)
class Chip:
    name: str
    label: str
    remove_url: str


def search_query(query: QueryDict) -> tuple[QueryDict, bool]:
    """The query with each filter's values split at commas and repeats dropped
    (aliases such as ``lang`` read as their facet), and whether it asks for
    ``page=last`` (then dropped).
    """
    out = QueryDict(mutable=True)
    filters: dict[str, list[str]] = {}
    for key, values in query.lists():
        name = ALIASES.get(key, key)
        if name not in MULTI_VALUE:
            out.setlist(key, values)
            continue
        split = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
        filters.setdefault(name, []).extend(split)
        out.setlist(name, [])  # keeps the parameter's place in links
    for name, values in filters.items():
        unique = list(dict.fromkeys(values))  # too many: params_from_query says so
        if unique:
            out.setlist(name, unique)
        else:
            del out[name]
    pages = [v.strip() for v in out.getlist("page")]
    wants_last = bool(pages) and pages[-1] == "last"
    if wants_last:
        del out["page"]
    return out, wants_last


def _last_page(params: service.SearchParams) -> int:
    """The number of the last page of results (1 when there are none)."""
    probe = dataclasses.replace(params, page=1, facets=False, highlight=False)
    return max(service.search(probe).num_pages, 1)


def run_search(query: QueryDict) -> service.SearchResults:
    """The search a query string asks for, ``page=last`` included.

    SearchParamError (service.PastLastPage for a page past the end), SearchUnavailable.
    """
    cleaned, wants_last = search_query(query)
    params = service.params_from_query(cleaned)
    if wants_last:
        params.page = _last_page(params)
    return service.search(params)


def canonical_query(query: QueryDict) -> QueryDict:
    """The query with alias names (``lang``, ``date_from``...) under their main names."""
    out = QueryDict(mutable=True)
    for key, values in query.lists():
        for value in values:
            if value != "":
                out.appendlist(ALIASES.get(key, key), value)
    return out


def _url(query: QueryDict) -> str:
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _with(query: QueryDict, key: str, *, add: str | None = None, drop: str | None = None) -> str:
    """URL of ``query`` with one value added or dropped for ``key``, back on page 1."""
    copy = query.copy()
    copy.pop("page", None)
    if key in MULTI_VALUE:
        values = [v for v in copy.getlist(key) if v != drop]
        if add is not None and add not in values:
            values.append(add)
        copy.setlist(key, values)
    else:
        copy.pop(key, None)
        if add is not None:
            copy[key] = add
    return _url(copy)


def date_label(value: str, fallback: str) -> str:
    """'2025-03' → 'March 2025' / '2025年3月'; years and others as given."""
    year, _sep, month = value.partition("-")
    if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12 and 1 <= int(year) <= 9999:
        return date_format(dt.date(int(year), int(month), 1), "YEAR_MONTH_FORMAT")
    return fallback


def facet_groups(*, query: QueryDict, facets: dict) -> list[FacetGroup]:
    """Facet values as links that add or remove that filter; long lists are cut short."""
    groups = []
    for key in FACET_ORDER + sorted(k for k in facets if k not in FACET_ORDER):
        values = list(facets.get(key) or [])
        shown = [fv for i, fv in enumerate(values) if i < FACET_LIMIT or fv.selected]
        links = []
        for fv in shown:
            value = str(fv.value)
            label = date_label(value, fv.label) if key == "date" else fv.label
            url = _with(query, key, drop=value) if fv.selected else _with(query, key, add=value)
            links.append(FacetLink(value, str(label), fv.count, fv.selected, url))
        groups.append(
            FacetGroup(
                key=key,
                name=str(FACET_NAMES.get(key, key)),
                links=links,
                hidden=len(values) - len(shown),
            )
        )
    return groups


def _label(key: str, value: str) -> str:
    """A filter's display name when the facet list does not show it (no matches left)."""
    if key == "date":
        return date_label(value, value)
    if key == "language":
        return str(dict(Language.choices).get(value, value))
    if key == "source":
        source = Source.objects.filter(slug=value).first()
        return source.name if source else value
    if key == "topic":
        tag = Tag.objects.filter(slug=value).first()
        if tag:
            return tag.name_for()
    return value


def chips(*, query: QueryDict, groups: list[FacetGroup]) -> list[Chip]:
    """One removable chip per active filter."""
    out = []
    for group in groups:
        labels = {link.value: link.label for link in group.links}
        for value in query.getlist(group.key):
            label = labels.get(value) or _label(group.key, value)
            out.append(Chip(group.name, label, _with(query, group.key, drop=value)))
    for key, name in RANGE_PARAMS.items():
        if query.get(key):
            out.append(Chip(str(name), query[key], _with(query, key)))
    return out


def _hidden_fields(query: QueryDict, *, drop: set[str]) -> list[tuple[str, str]]:
    return [(k, v) for k, values in query.lists() if k not in drop for v in values]


def search_context(*, query: QueryDict, results) -> dict:
    """Template context for the search page around ``results``."""
    query = canonical_query(search_query(query)[0])
    groups = facet_groups(query=query, facets=results.facets or {})
    clear = QueryDict(mutable=True)
    if query.get("q"):
        clear["q"] = query["q"]
    for key in ("sort", "page_size"):
        if query.get(key):
            clear[key] = query[key]
    return {
        "facet_groups": groups,
        "chips": chips(query=query, groups=groups),
        "clear_url": _url(clear),
        "sort_choices": SORT_CHOICES,
        "current_sort": results.params.sort,
        "keep_for_sort": _hidden_fields(query, drop={"sort", "page"}),
        "keep_for_dates": _hidden_fields(query, drop={"start", "end", "page"}),
        "keep_for_search": _hidden_fields(query, drop={"q", "page"}),
        "date_start": query.get("start", ""),
        "date_end": query.get("end", ""),
        "start_index": (results.page - 1) * results.page_size + 1,
        "prev_page": results.page - 1,
        "next_page": results.page + 1,
    }
