"""Files for researchers: every result of a search, and one article's citation.

``/search/export/?format=csv|jsonl|ris|bibtex&…`` takes the search page's
parameters and streams every match in order, up to ``ARCHIVE_EXPORT_LIMIT``; an
unknown format or a bad parameter is a 400 and a broken index a 503, as for the
page (``answer_search``). ``/articles/<id>/cite.ris`` and ``cite.bib`` download
one article's reference, accessed today.
"""

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from archive.research import citations, export
from archive.search import service
from archive.search.hits import load_articles
from archive.web import search_ui
from archive.web.search_errors import answer_search

MAX_PK = 2**63 - 1


def _permalinks(request: HttpRequest):
    """pk → the article page's absolute URL, without a reverse() per row."""
    base = request.build_absolute_uri(reverse("article_detail", args=[0]))
    head, _sep, tail = base.rpartition("/0/")
    return lambda pk: f"{head}/{pk}/{tail}"


@require_safe
def search_export(request: HttpRequest) -> HttpResponse:
    return answer_search(request, lambda: _search_export(request))


def _search_export(request: HttpRequest) -> HttpResponse:
    fmt = export.format_named(request.GET.get("format", ""))
    query, _last = search_ui.search_query(request.GET)  # the page number is not read
    params = service.params_from_query(query)
    limit = export.export_limit()
    _generation, core = service.find(params, limit=limit)
    text = export.labels(total=core.total, limit=limit)
    name = export.file_name(fmt, q=params.q, day=timezone.localdate())
    headers = {
        "Content-Disposition": content_disposition_header(True, name),
        "X-Export-Total": str(core.total),
        "X-Export-Limit": str(limit),
    }
    if request.method == "HEAD":
        return HttpResponse(content_type=fmt.content_type, headers=headers)
    rows = export.records(
        core.ids[:limit].tolist(), permalink=_permalinks(request), runs=core.runs, words=core.words
    )
    return StreamingHttpResponse(
        export.stream(fmt, rows, text), content_type=fmt.content_type, headers=headers
    )


def _record(request: HttpRequest, pk: int) -> export.Record:
    articles, topics = load_articles([pk]) if pk <= MAX_PK else ({}, {})
    article = articles.get(pk)
    if article is None:
        raise Http404
    permalink = request.build_absolute_uri(reverse("article_detail", args=[pk]))
    body_start = export.plain_snippet(article.body, set(), set())
    return export.record_for(article, topics.get(pk, []), permalink=permalink, snippet=body_start)


def _download(text: str, *, name: str, fmt: str) -> HttpResponse:
    return HttpResponse(
        text,
        content_type=export.BY_NAME[fmt].content_type,
        headers={"Content-Disposition": content_disposition_header(True, name)},
    )


@require_safe
def article_cite_ris(request: HttpRequest, pk: int) -> HttpResponse:
    ris = citations.ris_file(_record(request, pk), accessed=timezone.localdate())
    return _download(ris, name=f"archive{pk}.ris", fmt="ris")


@require_safe
def article_cite_bib(request: HttpRequest, pk: int) -> HttpResponse:
    bib = citations.bibtex_file(_record(request, pk), accessed=timezone.localdate())
    return _download(bib, name=f"archive{pk}.bib", fmt="bibtex")
