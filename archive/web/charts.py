"""The research charts as the templates draw them: SVG geometry, labels and links.

``timeline_chart`` lays out a search's timeline (``archive.research.timeline``):
bars in percentages of the chart's width (so text keeps its size at any width),
heights in pixels, each bar linking to the search narrowed to its period.
``heat_map`` lays out the coverage matrix (``archive.research.coverage``): a
month per unit of a chart stretched to the page's width; long runs of empty
months shrink to one grey column.
"""

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.formats import date_format, get_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from archive.research.coverage import Coverage, heat_levels, level_of
from archive.research.timeline import MONTH, Bar, timeline
from archive.search import service
from archive.search.documents import UNDATED
from archive.web import search_ui

# Timeline, in pixels: room above the bars, the bars, the rows of period labels.
TOP, PLOT, TICK_ROW = 10, 120, 15
MIN_SLOTS = 8  # fewer bars than this are drawn this wide, centred
MIN_SEGMENT = 1.5  # a non-empty part of a bar is never thinner than this
NARROW_TICKS, WIDE_TICKS = 7, 20  # most period labels on a phone / on a wider screen
YEAR_STEPS, MONTH_STEPS = (1, 2, 5, 10, 20, 50, 100), (1, 2, 3, 6, 12)
DATE_PARAMS = ("date", "year", "month", "page")  # replaced by a bar's own period


@dataclass(frozen=True)
class Segment:
    css: str
    y: str  # pixels, written out (templates would localise numbers)
    height: str


@dataclass(frozen=True)
class ChartBar:
    bar: Bar
    label: str
    title: str
    url: str | None  # None for an empty period
    x: str  # the slot, in percent of the chart's width
    width: str
    bar_x: str  # the drawn bar, narrower than its slot
    bar_width: str
    segments: tuple[Segment, ...]
    counts: tuple[str, str, str]  # Chinese, English, all: written out with separators

    def svg(self, baseline: int) -> SafeString:
        """The bar as SVG: its slot (the link's target) and its coloured parts."""
        hit = format_html(
            '<title>{}</title><rect class="tl-hit" x="{}" y="0" width="{}" height="{}"/>',
            self.title,
            self.x,
            self.width,
            baseline,
        )
        if self.url is None:
            return format_html('<g class="tl-bar tl-nil">{}</g>', hit)
        parts = format_html_join(
            "",
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}"/>',
            ((s.css, self.bar_x, s.y, self.bar_width, s.height) for s in self.segments),
        )
        return format_html('<a class="tl-bar" href="{}">{}{}</a>', self.url, hit, parts)


@dataclass(frozen=True)
class Tick:
    x: str
    y: int
    label: str
    css: str  # "tl-tick" always shown; "tl-tick tl-wide" only on wider screens
    anchor: str = "middle"


@dataclass(frozen=True)
class Gridline:
    y: str
    label: str  # drawn right of the bars, level with its line


@dataclass(frozen=True)
class TimelineChart:
    caption: str
    month_view: bool
    bars: tuple[ChartBar, ...]
    ticks: tuple[Tick, ...]
    gridlines: tuple[Gridline, ...]
    height: int
    baseline: int
    chinese: int
    english: int
    undated: int
    undated_url: str

    # The bars and the table rows are written here rather than in the template: a search
    # page draws up to a few dozen bars, and the template language took 5 ms for them.
    @property
    def bars_svg(self) -> SafeString:
        return format_html_join("", "{}", ((bar.svg(self.baseline),) for bar in self.bars))

    @property
    def table_rows(self) -> SafeString:
        """The bars as table rows: period, Chinese, English, total."""
        return format_html_join(
            "\n",
            '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>',
            ((bar.label, *bar.counts) for bar in self.bars),
        )


def nice_ceiling(n: int) -> int:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``n``."""
    if n <= 1:
        return 1
    power = 10 ** math.floor(math.log10(n))
    return next(int(f * power) for f in (1, 2, 2.5, 5, 10) if f * power >= n)


def kept_params(query) -> list[tuple[str, str]]:
    """The search ``query``'s parameters (main names) but its date and page."""
    if not query:
        return []
    kept = search_ui.canonical_query(search_ui.search_query(query)[0])
    return [(k, v) for k, values in kept.lists() if k not in DATE_PARAMS for v in values]


def period_links(query):
    """``url(period)``: the search ``query`` narrowed to ``period``, on its first page."""
    start = f"{reverse('search')}?" + "".join(f"{urlencode([p])}&" for p in kept_params(query))
    return lambda period: start + urlencode([("date", period)])


def period_label(period: str) -> str:
    """'2024-05' → 'May 2024' / '2024年5月'; years and UNDATED as they are."""
    return search_ui.date_label(period, period)


def count_writer():
    """``intcomma`` for counts in the active language, with its format looked up once
    (a chart writes a few hundred numbers; ``intcomma`` looks it up every time)."""
    separator, grouping = get_format("THOUSAND_SEPARATOR"), get_format("NUMBER_GROUPING")
    if not separator:
        return str
    if grouping == 3:
        return lambda n: f"{n:,}".replace(",", separator)
    return intcomma


def _percent(value: float) -> str:
    return f"{value:.3f}%"


def _step(count: int, most: int, steps: tuple[int, ...]) -> int:
    return next((s for s in steps if count / s <= most), steps[-1])


def _segments(bar: Bar, scale: int) -> tuple[Segment, ...]:
    """Chinese at the bottom, English on top (anything else above), in pixels."""
    out, top = [], TOP + PLOT
    for css, n in (("tl-zh", bar.chinese), ("tl-en", bar.english), ("tl-other", bar.other)):
        if n > 0:
            height = max(n / scale * PLOT, MIN_SEGMENT)
            top -= height
            out.append(Segment(css, f"{top:.2f}", f"{height:.2f}"))
    return tuple(out)


def _bar_title(bar: Bar, label: str, counts: tuple[str, str, str]) -> str:
    return ngettext(
        "%(period)s: %(count)s article (Chinese %(chinese)s, English %(english)s)",
        "%(period)s: %(count)s articles (Chinese %(chinese)s, English %(english)s)",
        bar.count,
    ) % {"period": label, "chinese": counts[0], "english": counts[1], "count": counts[2]}


def _ticks(bars: tuple[Bar, ...], month_view: bool, slot: float, offset: float) -> list[Tick]:
    """Period labels: a few always, more on wider screens; years under the months."""
    y = TOP + PLOT + TICK_ROW
    steps = MONTH_STEPS if month_view else YEAR_STEPS
    narrow, wide = (_step(len(bars), most, steps) for most in (NARROW_TICKS, WIDE_TICKS))
    out = []
    for i, bar in enumerate(bars):
        centre = _percent(offset + (i + 0.5) * slot)
        number = int(bar.period[5:7]) - 1 if month_view else int(bar.period)
        if number % wide == 0:
            css = "tl-tick" if number % narrow == 0 else "tl-tick tl-wide"
            label = bar.period[:4]
            if month_view:
                day = dt.date(int(bar.period[:4]), number + 1, 1)
                label = date_format(day, pgettext("month under a timeline bar", "M"))
            out.append(Tick(centre, y, label, css))
        # The year under its January, and under the first bar if its year has room left.
        if month_view and (number == 0 or (i == 0 and number <= 9)):
            edge = _percent(offset + i * slot)
            out.append(Tick(edge, y + TICK_ROW, bar.period[:4], "tl-tick tl-year", "start"))
    return out


def timeline_chart(months: Counter, *, params=None, query=None) -> TimelineChart | None:
    """The timeline of a search (``params``, ``query``: its page parameters) or, without
    them, of the whole archive; None when nothing matches."""
    line = timeline(
        months, year=getattr(params, "year", None), month=getattr(params, "month", None)
    )
    if not line.total:
        return None
    month_view = line.granularity == MONTH
    slots = max(len(line.bars), MIN_SLOTS)
    slot = 100 / slots
    offset = (slots - len(line.bars)) * slot / 2
    scale = nice_ceiling(line.max)
    period_url = period_links(query)
    written = count_writer()
    bars = []
    for i, bar in enumerate(line.bars):
        label = period_label(bar.period)
        counts = (written(bar.chinese), written(bar.english), written(bar.count))
        bars.append(
            ChartBar(
                bar=bar,
                label=label,
                title=_bar_title(bar, label, counts),
                url=period_url(bar.period) if bar.count else None,
                x=_percent(offset + i * slot),
                width=_percent(slot),
                bar_x=_percent(offset + (i + 0.15) * slot),
                bar_width=_percent(slot * 0.7),
                segments=_segments(bar, scale),
                counts=counts,
            )
        )
    undated = line.undated
    chinese = sum(b.chinese for b in line.bars) + (undated.chinese if undated else 0)
    english = sum(b.english for b in line.bars) + (undated.english if undated else 0)
    whole_archive = params is None
    if month_view:
        caption = _("Articles per month") if whole_archive else _("Matching articles per month")
    else:
        caption = _("Articles per year") if whole_archive else _("Matching articles per year")
    return TimelineChart(
        caption=caption,
        month_view=month_view,
        bars=tuple(bars),
        ticks=tuple(_ticks(line.bars, month_view, slot, offset)) if line.bars else (),
        gridlines=tuple(
            Gridline(f"{TOP + PLOT - PLOT * part:.1f}", intcomma(int(scale * part)))
            for part in (0.5, 1)
            if line.bars and (part == 1 or scale * part == int(scale * part))
        ),
        height=TOP + PLOT + TICK_ROW * (2 if month_view else 1) + 6,
        baseline=TOP + PLOT,
        chinese=chinese,
        english=english,
        undated=undated.count if undated else 0,
        undated_url=period_url(UNDATED) if undated else "",
    )


def archive_months() -> Counter | None:
    """The whole archive's (month, language) counts, from the cached empty search;
    None when the index is unavailable."""
    try:
        _generation, found = service.find_page(service.SearchParams(facets=False, highlight=False))
    except service.SearchUnavailable:
        return None
    return found.months


# Coverage heat map: a month is one unit of width (the chart stretches to fit, or
# scrolls on a phone); rows are pixels.
GAP_UNITS, ROW = 3, 16
LONG_GAP = 12  # at least this many empty months in a row shrink to one column
YEAR_LABEL = 34  # pixels a year label needs
# From this many units the chart keeps a minimum width (CSS .cov-wide, .cov-wider).
SIZES = ((150, "cov-wider", 640), (60, "cov-wide", 384), (0, "", 192))


@dataclass(frozen=True)
class HeatColumn:
    x: int  # in units
    width: int
    first: str  # a month
    last: str
    gap: bool  # a long run of months without articles
    title: str


@dataclass(frozen=True)
class HeatCell:
    x: int
    y: int
    width: int
    level: int
    title: str


@dataclass(frozen=True)
class HeatRow:
    label: str
    full_label: str
    url: str
    total: int
    y: int
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True)
class HeatMap:
    units: int  # the chart's width in months (a long gap counts GAP_UNITS)
    height: int
    columns: tuple[HeatColumn, ...]
    rows: tuple[HeatRow, ...]
    ticks: tuple[Tick, ...]  # years, x in percent
    legend: tuple[tuple[int, str], ...]  # (level, "from–to")
    row_height: int
    size: str  # a CSS class: how wide the chart must stay before it scrolls

    @property
    def cell_height(self) -> int:
        return self.row_height - 1  # a pixel between rows

    @property
    def gaps(self) -> tuple[HeatColumn, ...]:
        return tuple(c for c in self.columns if c.gap)


def _columns(coverage: Coverage) -> list[HeatColumn]:
    """One column per month; a run of LONG_GAP or more empty months as one."""
    totals = coverage.month_totals()
    columns, x, i, months = [], 0, 0, coverage.months
    while i < len(months):
        j = i
        while j < len(months) and not totals.get(months[j]):
            j += 1
        if j - i >= LONG_GAP:
            title = _("%(first)s – %(last)s: no articles") % {
                "first": period_label(months[i]),
                "last": period_label(months[j - 1]),
            }
            columns.append(HeatColumn(x, GAP_UNITS, months[i], months[j - 1], True, title))
            x, i = x + GAP_UNITS, j
            continue
        columns.append(HeatColumn(x, 1, months[i], months[i], False, period_label(months[i])))
        x, i = x + 1, i + 1
    return columns


def month_names() -> list[str]:
    """January … December, as short as a column heading."""
    form = pgettext("month under a timeline bar", "M")
    return [date_format(dt.date(2000, m, 1), form) for m in range(1, 13)]


def _size(units: int) -> tuple[str, int]:
    """The chart's CSS size class and the narrowest it is drawn, in pixels."""
    return next((css, least) for fewest, css, least in SIZES if units >= fewest)


def _year_ticks(columns: list[HeatColumn], units: int) -> list[Tick]:
    """Each year over its January (or the first month after a gap), where the last label
    leaves room at the chart's narrowest."""
    room = YEAR_LABEL / _size(units)[1] * units
    out, free_from, after_gap = [], -1.0, True
    for column in columns:
        starts = after_gap
        after_gap = column.gap
        if column.gap or column.x < free_from:
            continue
        if column.first.endswith("-01") or starts:
            x = _percent(column.x / units * 100)
            out.append(Tick(x, 14, column.first[:4], "cov-year", "start"))
            free_from = column.x + room
    return out


def heat_map(coverage: Coverage, *, source_label, short_label=None) -> HeatMap | None:
    """The coverage matrix laid out, None when empty. ``source_label(source)`` names a
    row in full, ``short_label`` where room is short (default: the same; the source's
    own name where two rows would read the same)."""
    if not coverage.rows or not coverage.months:
        return None
    short_label = short_label or source_label
    columns = _columns(coverage)
    levels = heat_levels(coverage.max)
    shorts = Counter(short_label(row.source) for row in coverage.rows if row.source)
    rows = []
    for r, row in enumerate(coverage.rows):
        y = r * ROW
        name = source_label(row.source) if row.source else _("No source")
        cells = []
        for column in columns:
            n = 0 if column.gap else row.counts.get(column.first, 0)
            if n:
                title = ngettext(
                    "%(source)s · %(period)s: %(count)s article",
                    "%(source)s · %(period)s: %(count)s articles",
                    n,
                ) % {"source": name, "period": column.title, "count": intcomma(n)}
                cells.append(HeatCell(column.x, y, column.width, level_of(n, levels), title))
        short = short_label(row.source) if row.source else name
        if row.source and shorts[short] > 1:  # an English name shared by several sources
            short = row.source.name
        url = row.source.get_absolute_url() if row.source else ""
        rows.append(HeatRow(short, name, url, row.total, y, tuple(cells)))
    units = columns[-1].x + columns[-1].width
    return HeatMap(
        units=units,
        height=len(rows) * ROW,
        columns=tuple(columns),
        rows=tuple(rows),
        ticks=tuple(_year_ticks(columns, units)),
        legend=tuple(
            (i + 1, intcomma(low) if low == high else f"{intcomma(low)}–{intcomma(high)}")
            for i, (low, high) in enumerate(levels)
        ),
        row_height=ROW,
        size=_size(units)[0],
    )


@dataclass(frozen=True)
class TableYear:
    year: int
    cells: tuple[tuple[int, str], ...]  # (articles, the search for them) per month
    total: int


@dataclass(frozen=True)
class TableSource:
    label: str
    total: int
    years: tuple[TableYear, ...]
    undated: int
    undated_url: str


def coverage_table(coverage: Coverage, *, source_label) -> list[TableSource]:
    """The heat map's numbers by source, year and month; each count links to its articles."""
    out = []
    for row in coverage.rows:
        slug = row.source.slug if row.source else ""

        def url(period: str, slug=slug) -> str:
            return (
                f"{reverse('search')}?{urlencode({'source': slug, 'date': period})}" if slug else ""
            )

        years = tuple(
            TableYear(
                year,
                tuple(
                    (n, url(f"{year:04d}-{m:02d}") if n else "") for m, n in enumerate(counts, 1)
                ),
                total,
            )
            for year, counts, total in row.years()
        )
        label = source_label(row.source) if row.source else _("No source")
        out.append(TableSource(label, row.total, years, row.undated, url(UNDATED)))
    return out
