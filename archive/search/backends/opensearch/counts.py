"""A search's facet counts, timeline and story count, as aggregations and back.

Each facet is counted over what the *other* filters pass (a filtered aggregation
without its own filter; the hits are narrowed by a ``post_filter``), as
``columns.filter_and_count`` does on the embedded engine. What keeps it cheap:

- a filter that every count keeps (the date range: no facet leaves it out) is part
  of the query, so the cluster never visits the articles it excludes;
- counts under the same filter share one filter aggregation, so the filter is
  evaluated once per match, not once per count;
- the timeline counts one keyword per article, ``calendar`` (``"<year> <month>
  <language>"``): the years and the languages are its sums whenever their facets
  count under the timeline's filters (neither is selected), so they cost nothing more.
"""

import json
from collections import Counter
from dataclasses import dataclass

from archive.search.documents import UNDATED
from archive.search.facets import VALUE_FACETS, Filters

from .compile import MATCH_ALL, date_span, values_query
from .mapping import CALENDAR

FACET_SIZE = 10000  # more values than any facet has, so every count is exact
FILTERED = "where_"  # the name of a filter aggregation shared by several counts
SUMMABLE = ("date", "language")  # facets the calendar holds


@dataclass(frozen=True)
class Counted:
    counts: dict[str, Counter]  # facet name -> value -> articles
    months: Counter  # (month, language) -> articles after every filter
    stories: int | None  # the estimated stories after every filter (when asked)


@dataclass(frozen=True)
class Counting:
    """The request's parts: ``query_filter`` joins the query, ``post_filter`` narrows
    the hits, ``aggs`` count; ``summed`` are the facets read from the calendar."""

    query_filter: dict | None
    post_filter: dict | None
    aggs: dict
    summed: frozenset[str]

    def read(self, aggregations: dict) -> Counted:
        """The counts in the cluster's answer to ``aggs``."""
        found = _unshared(aggregations)
        counts = {name: Counter() for name in self.summed}
        months: Counter = Counter()
        for bucket in found[CALENDAR]["buckets"]:
            year, month, language = bucket["key"].split(" ", 2)
            n = bucket["doc_count"]
            months[(month, language)] += n
            if "date" in self.summed:
                counts["date"][year] += n
            if "language" in self.summed:
                counts["language"][language] += n
        for name in [facet.name for facet in VALUE_FACETS] + ["date"]:
            if name not in self.summed:
                counts[name] = _buckets(found[f"facet_{name}"])
        stories = found["stories"]["value"] if "stories" in found else None
        return Counted(counts=counts, months=months, stories=stories)


def counting(f: Filters, *, stories: int | None = None) -> Counting:
    """Each facet counted over what the *other* filters pass, the matches after every
    filter by month and language (the timeline) and, with ``stories`` (the count's
    precision threshold), the stories they tell."""
    groups = filter_groups(f)
    range_filter = groups.pop("range", None)
    everything = _among(groups)
    summed = frozenset(name for name in SUMMABLE if name not in groups)
    wanted: dict[str, tuple[dict, dict]] = {CALENDAR: (everything, _terms(CALENDAR))}
    for facet in VALUE_FACETS:
        if facet.name not in summed:
            wanted[f"facet_{facet.name}"] = (_among(groups, facet.name), _terms(facet.field))
    if "date" not in summed:
        date_filter = _among(groups, "date")
        if f.year and f.year != UNDATED:  # the months of the selected year
            date_filter = {"bool": {"filter": [date_filter, {"term": {"year": f.year}}]}}
            wanted["facet_date"] = (date_filter, _terms("month"))
        else:
            wanted["facet_date"] = (date_filter, _terms("year"))
    if stories:
        cardinality = {"field": "story", "precision_threshold": stories}
        wanted["stories"] = (everything, {"cardinality": cardinality})
    return Counting(
        query_filter=range_filter,
        post_filter=everything if groups else None,
        aggs=_sharing_filters(wanted),
        summed=summed,
    )


def filter_groups(f: Filters) -> dict[str, dict]:
    """Each active filter group (a facet, the date, the date range) as a query."""
    groups: dict[str, dict] = {}
    for facet in VALUE_FACETS:
        wanted = f.selected(facet.name)
        if wanted:
            groups[facet.name] = values_query(facet.field, wanted)
    if f.year:
        groups["date"] = {"term": {"month": f.month}} if f.month else {"term": {"year": f.year}}
    if f.pub_from is not None or f.pub_to is not None:
        groups["range"] = date_span(f.pub_from, f.pub_to)
    return groups


def _among(groups: dict[str, dict], ignore: str | None = None) -> dict:
    kept = [q for name, q in groups.items() if name != ignore]
    return {"bool": {"filter": kept}} if kept else MATCH_ALL


def _terms(field: str) -> dict:
    return {"terms": {"field": field, "size": FACET_SIZE, "shard_size": FACET_SIZE}}


def _sharing_filters(wanted: dict[str, tuple[dict, dict]]) -> dict:
    """The aggregations, those under the same filter in one filter aggregation."""
    aggs: dict = {}
    shared: dict[str, dict] = {}
    for name, (where, aggregation) in wanted.items():
        if where == MATCH_ALL:
            aggs[name] = aggregation
            continue
        key = json.dumps(where, sort_keys=True)
        shared.setdefault(key, {"filter": where, "aggs": {}})["aggs"][name] = aggregation
    for number, bucket in enumerate(shared.values()):
        aggs[f"{FILTERED}{number}"] = bucket
    return aggs


def _unshared(aggregations: dict) -> dict:
    found = {}
    for name, value in aggregations.items():
        if name.startswith(FILTERED):
            found.update((k, v) for k, v in value.items() if k != "doc_count")
        else:
            found[name] = value
    return found


def _buckets(aggregation: dict) -> Counter:
    return Counter({b["key"]: b["doc_count"] for b in aggregation["buckets"]})
