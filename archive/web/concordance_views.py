"""The concordance of a search: as a page, as JSON and as CSV (``archive.research.concordance``).

Parameters: the search page's (``q`` and its filters), plus ``sort`` (``left``,
``right``, ``article``; or the search's ``relevance``/``newest``/``oldest``, which
order the articles), ``page`` (or ``last``), ``page_size`` (lines) and, on the
page, ``format=csv``.
"""

import csv
import dataclasses
import io
from urllib.parse import urlencode

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from archive.research import concordance
from archive.search import service
from archive.search.params import SearchParamError, SearchParams, WholeNumber
from archive.search.query import clean_text
from archive.templatetags.archive_tags import source_name
from archive.web import search_ui
from archive.web.api import published_iso
from archive.web.search_errors import answer_search

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
ARTICLE_ORDERS = ("relevance", "newest", "oldest")  # the search's own sorts
CSV_COLUMNS = (
    "article_id",
    "title",
    "source",
    "published",
    "language",
    "field",
    "offset",
    "left",
    "match",
    "right",
    "link",
)
SORT_LABELS = {
    "article": gettext_lazy("Article order"),
    "left": gettext_lazy("Word before"),
    "right": gettext_lazy("Word after"),
}
# A spreadsheet reads a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclasses.dataclass(frozen=True)
class Request:
    """A checked concordance request."""

    params: SearchParams  # the search whose matches are read
    sort: str  # one of concordance.SORTS
    page: int | None  # None: the last page
    page_size: int
    format: str  # "" (the page) or "csv"


def _one(query: QueryDict, name: str) -> str:
    values = query.getlist(name)
    return values[-1].strip() if values else ""


def read_request(query: QueryDict) -> Request:
    """The concordance a query string asks for; SearchParamError if a parameter is bad."""
    cleaned, wants_last = search_ui.search_query(query)
    own = {name: _one(cleaned, name) for name in ("sort", "page", "page_size", "format")}
    for name in own:
        cleaned.pop(name, None)
    sort = own["sort"] or "article"
    if sort not in (*concordance.SORTS, *ARTICLE_ORDERS):
        raise SearchParamError(
            _("Unknown sort “%(value)s”; use left, right or article.") % {"value": sort[:20]}
        )
    if sort in ARTICLE_ORDERS:
        cleaned["sort"] = sort
    if own["format"] not in ("", "csv"):
        raise SearchParamError(
            _("Unknown format “%(value)s”; use csv.") % {"value": own["format"][:20]}
        )
    try:
        page = WholeNumber(low=1, high=service.MAX_PAGE, label="page").clean(own["page"]) or 1
        size = WholeNumber(low=1, high=MAX_PAGE_SIZE, label="page_size").clean(own["page_size"])
    except ValidationError as exc:
        raise SearchParamError(exc.messages[0]) from None
    params = dataclasses.replace(
        service.params_from_query(cleaned), page=1, facets=False, highlight=False
    )
    return Request(
        params=params,
        sort=sort if sort in concordance.SORTS else "article",
        page=None if wants_last else page,
        page_size=size or PAGE_SIZE,
        format=own["format"],
    )


def limit_message(kwic: concordance.Concordance) -> str:
    """What a limit left out, for the reader; empty when nothing was."""
    values = {
        "lines": intcomma(concordance.MAX_LINES),
        "scanned": intcomma(kwic.scanned),
        "matching": intcomma(kwic.matching),
    }
    if kwic.limit == "lines":
        return (
            _(
                "The concordance stops at %(lines)s lines: they come from the first %(scanned)s "
                "of the %(matching)s matching articles. Narrow the search to see the rest."
            )
            % values
        )
    if kwic.limit == "articles":
        return (
            _(
                "The concordance reads the first %(scanned)s of the %(matching)s matching "
                "articles. Narrow the search to see the rest."
            )
            % values
        )
    return ""


def occurrence_url(q: str, line: concordance.Line) -> str:
    """The article page with the query's matches marked, at this line's match."""
    path = reverse("article_detail", args=[line.article_id])
    return f"{path}?{urlencode({'q': q})}#{line.fragment()}"


def search_query(query: QueryDict) -> QueryDict:
    """The same search's parameters (the concordance's own left out)."""
    kept = query.copy()
    for name in ("page", "page_size", "format"):
        kept.pop(name, None)
    if _one(kept, "sort") not in ARTICLE_ORDERS:
        kept.pop("sort", None)
    return kept


def search_url(query: QueryDict) -> str:
    """The search page for the same search."""
    encoded = search_query(query).urlencode()
    return reverse("search") + (f"?{encoded}" if encoded else "")


def sort_choices(asked: Request) -> tuple[list[tuple[str, str]], str]:
    """The sort links (value, label) and the current value; article order keeps the search's."""
    article = asked.params.sort if asked.params.sort != "relevance" else "article"
    choices = [
        (article if key == "article" else key, str(label)) for key, label in SORT_LABELS.items()
    ]
    return choices, article if asked.sort == "article" else asked.sort


def _page(kwic: concordance.Concordance, request: Request) -> tuple[list, int, int]:
    """(lines, page number, number of pages)."""
    num_pages = kwic.num_pages(request.page_size)
    number = max(num_pages, 1) if request.page is None else request.page
    return kwic.page(request.sort, number, request.page_size), number, num_pages


@require_safe
def concordance_page(request: HttpRequest) -> HttpResponse:
    return answer_search(request, lambda: _concordance_page(request))


def _concordance_page(request: HttpRequest) -> HttpResponse:
    asked = read_request(request.GET)
    kwic = concordance.build(asked.params)
    if asked.format == "csv":
        return _csv(request, kwic, asked)
    lines, number, num_pages = _page(kwic, asked)
    choices, current = sort_choices(asked)
    context = {
        "kwic": kwic,
        "params": asked.params,
        "q_shown": clean_text(asked.params.q)[0],
        "rows": [
            (line, kwic.articles[line.article_id], occurrence_url(kwic.q, line)) for line in lines
        ],
        "sort_choices": choices,
        "sort": current,
        "search_url": search_url(request.GET),
        # The header's search box holds the query and keeps the filters, as on the results.
        "header_q": clean_text(asked.params.q)[0],
        "keep_for_search": [
            (key, value)
            for key, values in search_query(request.GET).lists()
            if key != "q"
            for value in values
        ],
        "results": {"page": number, "num_pages": num_pages, "understood": kwic.understood},
        "prev_page": number - 1,
        "next_page": number + 1,
        "first_line": (number - 1) * asked.page_size + 1,
        "limit_message": limit_message(kwic),
        "canonical_url": request.build_absolute_uri(reverse("search_concordance")),
    }
    return render(request, "search/concordance.html", context)


def _safe_cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _csv(request: HttpRequest, kwic: concordance.Concordance, asked: Request) -> HttpResponse:
    """Every line in the chosen order, as UTF-8 CSV with a byte-order mark."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in kwic.sorted(asked.sort):
        article = kwic.articles[line.article_id]
        row = [
            line.article_id,
            article.title,
            source_name(article.source) if article.source else "",
            published_iso(article) or "",
            article.language,
            line.field,
            line.offset,
            line.left,
            line.match,
            line.right,
            request.build_absolute_uri(occurrence_url(kwic.q, line)),
        ]
        writer.writerow([_safe_cell(v) if isinstance(v, str) else v for v in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="concordance-{stamp}.csv"'
    return response


@require_safe
def concordance_api(request: HttpRequest) -> HttpResponse:
    """``{"query", "lines": [{"left", "match", "right", "article": {...}, "html_url"}], ...}``."""
    return answer_search(request, lambda: _concordance_json(request), as_json=True)


def _concordance_json(request: HttpRequest) -> JsonResponse:
    asked = read_request(request.GET)
    kwic = concordance.build(asked.params)
    lines, number, num_pages = _page(kwic, asked)
    articles = {}
    out = []
    for line in lines:
        article = kwic.articles[line.article_id]
        if article.id not in articles:
            articles[article.id] = {
                "id": article.id,
                "title": article.title,
                "source": (
                    {"slug": article.source.slug, "name": article.source.name}
                    if article.source
                    else None
                ),
                "published_at": published_iso(article),
                "language": article.language,
                "html_url": request.build_absolute_uri(article.get_absolute_url()),
            }
        out.append(
            {
                "article": articles[article.id],
                "field": line.field,
                "offset": line.offset,
                "number": line.number,
                "left": line.left,
                "match": line.match,
                "right": line.right,
                "html_url": request.build_absolute_uri(occurrence_url(kwic.q, line)),
            }
        )
    return JsonResponse(
        {
            "query": kwic.q,
            "sort": asked.sort,
            "total_lines": len(kwic.lines),
            "matching_articles": kwic.matching,
            "scanned_articles": kwic.scanned,
            "limit": kwic.limit,
            "message": limit_message(kwic) or None,
            "max_lines": concordance.MAX_LINES,
            "max_articles": concordance.MAX_ARTICLES,
            "page": number,
            "page_size": asked.page_size,
            "num_pages": num_pages,
            "lines": out,
        },
        json_dumps_params={"ensure_ascii": False},
    )
