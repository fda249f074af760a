"""A search's matches over time: bars by year, or by month for short spans.

Built from ``SearchResults.months`` (``(month or UNDATED, language) -> count``
over every match). Periods between the first and last are filled with empty
bars so gaps show; undated matches are a bucket of their own, outside the axis.
"""

from collections import Counter
from dataclasses import dataclass, field

from archive.models import Language
from archive.search.documents import UNDATED

YEAR, MONTH = "year", "month"
MONTHLY_SPAN = 24  # results spanning at most this many months are shown by month
CHINESE = (Language.SIMPLIFIED.value, Language.TRADITIONAL.value)
ENGLISH = Language.ENGLISH.value
LANGUAGES = (*CHINESE, ENGLISH)


@dataclass(frozen=True)
class Bar:
    period: str  # "2024", "2024-05" or UNDATED
    count: int
    by_language: dict[str, int] = field(default_factory=dict)

    @property
    def chinese(self) -> int:
        return sum(self.by_language.get(code, 0) for code in CHINESE)

    @property
    def english(self) -> int:
        return self.by_language.get(ENGLISH, 0)

    @property
    def other(self) -> int:
        """Matches in no known language (kept so the parts add up to ``count``)."""
        return self.count - self.chinese - self.english

    @property
    def params(self) -> dict[str, str]:
        """The search parameter that selects this period (pages and API read ``date``)."""
        return {"date": self.period}

    def as_dict(self) -> dict:
        return {"period": self.period, "count": self.count, "by_language": self.by_language}


@dataclass(frozen=True)
class Timeline:
    granularity: str  # YEAR or MONTH
    bars: tuple[Bar, ...]
    undated: Bar | None  # matches without a date, if any

    @property
    def max(self) -> int:
        return max((bar.count for bar in self.bars), default=0)

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars) + (self.undated.count if self.undated else 0)

    def histogram(self) -> list[dict]:
        """The bars as the JSON API gives them, the undated bucket last: they sum to the total."""
        return [bar.as_dict() for bar in (*self.bars, *([self.undated] if self.undated else []))]


def _month_index(month: str) -> int | None:
    """'2024-05' -> months since year 0; None for anything else (then counted as undated)."""
    year, sep, number = month.partition("-")
    if not (sep and year.isdigit() and number.isdigit() and 1 <= int(number) <= 12):
        return None
    return int(year) * 12 + int(number) - 1


def _month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _bar(period: str, languages: Counter) -> Bar:
    by_language = {code: languages.get(code, 0) for code in LANGUAGES}
    by_language.update({code: n for code, n in languages.items() if code not in by_language})
    return Bar(period, sum(languages.values()), by_language)


def timeline(months: Counter, *, year: int | None = None, month: int | None = None) -> Timeline:
    """Bars for ``months``: by month when a year is selected (``year``; 0 is undated)
    or the dated matches span at most MONTHLY_SPAN months, else by year.

    With a year selected its twelve months are shown (a month selected: that
    month only); otherwise every period from the first match to the last.
    """
    by_month: dict[int, Counter] = {}
    undated: Counter = Counter()
    for (period, language), count in months.items():
        if not count:
            continue
        index = _month_index(period) if period != UNDATED else None
        target = undated if index is None else by_month.setdefault(index, Counter())
        target[language or ""] += count
    undated_bar = _bar(UNDATED, undated) if undated else None
    if year and month:
        first = last = year * 12 + month - 1
    elif year:
        first, last = year * 12, year * 12 + 11
    elif by_month:
        first, last = min(by_month), max(by_month)
    else:
        return Timeline(YEAR, (), undated_bar)
    if by_month:  # every match gets a bar, so the bars always add up to the total
        first, last = min(first, *by_month), max(last, *by_month)
    if year or last - first < MONTHLY_SPAN:
        bars = tuple(
            _bar(_month_name(i), by_month.get(i, Counter())) for i in range(first, last + 1)
        )
        return Timeline(MONTH, bars, undated_bar)
    by_year: dict[int, Counter] = {}
    for index, languages in by_month.items():
        by_year.setdefault(index // 12, Counter()).update(languages)
    bars = tuple(
        _bar(f"{y:04d}", by_year.get(y, Counter())) for y in range(first // 12, last // 12 + 1)
    )
    return Timeline(YEAR, bars, undated_bar)
