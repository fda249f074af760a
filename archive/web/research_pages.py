"""Research pages: what the archive holds (``/coverage/``)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from archive.research.coverage import coverage
from archive.templatetags.archive_tags import source_name
from archive.web import charts


def _short_name(source) -> str:
    """The source's name in the interface language alone (``source_name`` adds the original)."""
    if not (get_language() or "").startswith("zh") and source.name_en:
        return source.name_en
    return source.name


@require_safe
def coverage_page(request: HttpRequest) -> HttpResponse:
    """Articles per source per month: a heat map and the same numbers as a table."""
    matrix = coverage()
    return render(
        request,
        "research/coverage.html",
        {
            "coverage": matrix,
            "chart": charts.heat_map(matrix, source_label=source_name, short_label=_short_name),
            "table": charts.coverage_table(matrix, source_label=source_name),
            "month_names": charts.month_names(),
            "first_month": charts.period_label(matrix.months[0]) if matrix.months else "",
            "last_month": charts.period_label(matrix.months[-1]) if matrix.months else "",
            "canonical_url": request.build_absolute_uri(request.path),
        },
    )
