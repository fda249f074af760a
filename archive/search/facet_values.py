"""Facet counts as the values a reader sees: named, ordered, marked when chosen."""

import datetime as dt
from collections import Counter

from django.utils.translation import gettext as _

from archive.models import Language, Source, Tag, topic_label
from archive.search.documents import UNDATED
from archive.search.facets import VALUE_FACETS, FacetCounts
from archive.search.generations import PerGeneration
from archive.search.params import SearchParams
from archive.search.results import FacetValue

_names = PerGeneration()


def _read_names() -> dict[str, dict]:
    """Value names of each facet, by value (topics: both languages' names).

    Read once per index generation: renaming a source or topic re-indexes its
    articles, so a new generation follows every rename.
    """
    return {
        "source": dict(Source.objects.values_list("slug", "name")),
        "topic": {
            slug: (zh, en) for slug, zh, en in Tag.objects.values_list("slug", "name_zh", "name_en")
        },
        "language": dict(Language.choices),
    }


def _label(facet_name: str, value: str, names: dict) -> str:
    known = names[facet_name].get(value)
    if known is None:
        return value
    if facet_name == "topic":
        return topic_label(*known)
    return str(known)


def _by_count(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def facet_values(
    params: SearchParams, counts: FacetCounts, generation: tuple
) -> dict[str, list[FacetValue]]:
    """Every facet's values, most articles first (dates newest first)."""
    names = _names.get(generation, _read_names)
    facets: dict[str, list[FacetValue]] = {}
    for facet in VALUE_FACETS:
        chosen = set(params.selected(facet.name))
        facets[facet.name] = [
            FacetValue(value, _label(facet.name, value, names), n, value in chosen)
            for value, n in _by_count(counts[facet.name])
            if value
        ]
    facets["date"] = _date_values(params, counts["date"])
    return facets


def _date_values(params: SearchParams, counts: Counter) -> list[FacetValue]:
    """Years (and "undated"), or the chosen year and its months."""
    dates = []
    if params.year:
        for value, n in sorted(counts.items()):
            if value == UNDATED:
                continue
            month = int(value.split("-")[1])
            label = dt.date(params.year, month, 1).strftime("%Y-%m")
            dates.append(FacetValue(value, label, n, params.month == month))
        dates.insert(0, FacetValue(str(params.year), str(params.year), sum(counts.values()), True))
        return dates
    for value, n in sorted(counts.items(), reverse=True):
        if value != UNDATED:
            dates.append(FacetValue(value, value, n, False))
    undated = counts.get(UNDATED, 0)
    if undated:
        dates.append(FacetValue(UNDATED, _("Undated"), undated, params.year == 0))
    return dates
