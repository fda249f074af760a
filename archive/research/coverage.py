"""Articles per source per month: what the archive holds, and where it has gaps.

One aggregate query (cached until the archive changes) counts articles by
source and month in the archive's time zone; a merged source counts as the
source it was merged into. Source names are read fresh on every call.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncMonth

from archive.models import Article, Source
from archive.search.documents import UNDATED
from archive.web.browse import archive_stamp, archive_tz

CACHE_SECONDS = 3600


@dataclass(frozen=True)
class SourceRow:
    source: Source | None  # None: articles without a source
    counts: dict[str, int]  # "YYYY-MM" or UNDATED -> articles

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def undated(self) -> int:
        return self.counts.get(UNDATED, 0)

    def years(self) -> list[tuple[int, list[int], int]]:
        """(year, its twelve months' counts, its total) for each year with articles, oldest first."""
        by_year: dict[int, list[int]] = {}
        for month, n in self.counts.items():
            if month != UNDATED:
                by_year.setdefault(int(month[:4]), [0] * 12)[int(month[5:7]) - 1] += n
        return [(year, counts, sum(counts)) for year, counts in sorted(by_year.items())]


@dataclass(frozen=True)
class Coverage:
    months: tuple[str, ...]  # every month from the first dated article to the last
    rows: tuple[SourceRow, ...]  # most articles first

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    @property
    def source_count(self) -> int:
        return sum(1 for row in self.rows if row.source)

    @property
    def undated(self) -> int:
        return sum(row.undated for row in self.rows)

    @property
    def max(self) -> int:
        """The largest count of one source in one month."""
        return max(
            (n for row in self.rows for month, n in row.counts.items() if month != UNDATED),
            default=0,
        )

    def month_totals(self) -> Counter:
        totals: Counter = Counter()
        for row in self.rows:
            totals.update(row.counts)
        return totals


def month_counts() -> list[tuple[int | None, str, int]]:
    """(source id, "YYYY-MM" or UNDATED, articles): one query, cached until the archive changes."""
    key = "research:coverage:" + hashlib.sha1(archive_stamp().encode()).hexdigest()
    counts = cache.get(key)
    if counts is None:
        rows = (
            Article.objects.order_by()
            .annotate(m=TruncMonth("published_at", tzinfo=archive_tz()))
            .values_list("source_id", "m")
            .annotate(n=Count("id"))
        )
        counts = [
            (source_id, f"{m.year:04d}-{m.month:02d}" if m else UNDATED, n)
            for source_id, m, n in rows
        ]
        cache.set(key, counts, CACHE_SECONDS)
    return counts


def matrix(counts, sources: dict[int, Source]) -> Coverage:
    """The coverage of ``counts`` (``month_counts``), ``sources`` by id with their merges."""
    for source in sources.values():
        if source.merged_into_id in sources:
            source.merged_into = sources[source.merged_into_id]  # resolved() reads no rows
    by_source: dict[int | None, Counter] = {}
    dated: set[str] = set()
    for source_id, month, n in counts:
        source = sources.get(source_id)
        key = source.resolved().pk if source else None
        by_source.setdefault(key, Counter())[month] += n
        if month != UNDATED:
            dated.add(month)
    rows = sorted(
        (SourceRow(sources.get(pk) if pk else None, dict(c)) for pk, c in by_source.items()),
        key=lambda row: (-row.total, row.source is None, row.source.name if row.source else ""),
    )
    return Coverage(months=_months_between(dated), rows=tuple(rows))


def _months_between(months: set[str]) -> tuple[str, ...]:
    if not months:
        return ()
    first, last = (int(m[:4]) * 12 + int(m[5:7]) - 1 for m in (min(months), max(months)))
    return tuple(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(first, last + 1))


def coverage() -> Coverage:
    """The whole archive's coverage, sources named as they are now."""
    return matrix(month_counts(), Source.objects.in_bulk())


HEAT_LEVELS = 5


def heat_levels(largest: int, steps: int = HEAT_LEVELS) -> list[tuple[int, int]]:
    """Count ranges (from, to) for the heat map's colours, evenly spaced on a log scale
    up to ``largest``: one source's busiest month can hold thousands, most a few dozen."""
    levels, low = [], 1
    for k in range(1, steps + 1):
        high = largest if k == steps else round(largest ** (k / steps))
        if high >= low:
            levels.append((low, high))
            low = high + 1
    return levels


def level_of(count: int, levels: list[tuple[int, int]]) -> int:
    """1 for the lowest range of ``levels`` … len(levels) for the highest (0 for none)."""
    if count <= 0:
        return 0
    return next((i + 1 for i, (_low, high) in enumerate(levels) if count <= high), len(levels))
