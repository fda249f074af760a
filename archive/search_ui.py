"""What the search page shows around the results: chips, facet groups, form state.

Pure functions of the query string and the search service's results.
"""

from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

FACET_NAMES = {
    "topic": _("Topic"),
    "source": _("Source"),
    "language": _("Language"),
    "date": _("Year"),
}
FACET_ORDER = ["topic", "source", "language", "date"]
SORT_CHOICES = [
    ("relevance", _("Relevance")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
]
DATE_PARAMS = {"start": _("From"), "end": _("To")}


@dataclass(frozen=True)
class FacetGroup:
    key: str
    name: str
    values: list


@dataclass(frozen=True)
class Chip:
    name: str
    label: str
    remove_url: str


def _url(query: QueryDict) -> str:
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _without(query: QueryDict, key: str, value: str | None = None) -> QueryDict:
    """A copy of ``query`` without ``key`` (or without just that value), and without page."""
    copy = query.copy()
    if value is None:
        copy.pop(key, None)
    else:
        copy.setlist(key, [v for v in copy.getlist(key) if v != value])
    copy.pop("page", None)
    return copy


def _hidden_fields(query: QueryDict, *, drop: set[str]) -> list[tuple[str, str]]:
    return [(k, v) for k, values in query.lists() if k not in drop for v in values]


def search_context(*, query: QueryDict, results) -> dict:
    """Template context for the search page around ``results``."""
    facets = results.facets or {}
    groups = [
        FacetGroup(key=key, name=str(FACET_NAMES.get(key, key)), values=list(facets.get(key) or []))
        for key in FACET_ORDER + [k for k in facets if k not in FACET_ORDER]
    ]
    chips = []
    for group in groups:
        labels = {str(fv.value): fv.label for fv in group.values}
        for value in query.getlist(group.key):
            if value:
                chips.append(
                    Chip(
                        name=group.name,
                        label=str(labels.get(value, value)),
                        remove_url=_url(_without(query, group.key, value)),
                    )
                )
    for key, name in DATE_PARAMS.items():
        if query.get(key):
            chips.append(
                Chip(name=str(name), label=query[key], remove_url=_url(_without(query, key)))
            )
    clear = QueryDict(mutable=True)
    if query.get("q"):
        clear["q"] = query["q"]
    page_size = results.page_size or 1
    sort = getattr(results.params, "sort", "") or query.get("sort", "")
    return {
        "facet_groups": groups,
        "chips": chips,
        "clear_url": _url(clear),
        "sort_choices": SORT_CHOICES,
        "current_sort": sort,
        "keep_for_sort": _hidden_fields(query, drop={"sort", "page"}),
        "keep_for_dates": _hidden_fields(query, drop={"start", "end", "page"}),
        "date_start": query.get("start", ""),
        "date_end": query.get("end", ""),
        "start_index": (results.page - 1) * page_size + 1,
        "prev_page": results.page - 1,
        "next_page": results.page + 1,
    }
