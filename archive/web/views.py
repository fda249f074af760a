"""Reader pages: thin views that validate input, call search or the ORM, render."""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from archive.models import Article, ArticleTag, Source, Tag
from archive.search import service
from archive.search.query import clean_text
from archive.templatetags.archive_tags import source_name
from archive.web import article_matches, browse, search_ui
from archive.web.charts import archive_months
from archive.web.forms import ArticleViewForm, ListPageForm, first_error
from archive.web.page_cache import cached_page
from archive.web.search_errors import answer_search, error_page
from archive.web.search_tips import TIPS

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
MAX_PK = 2**63 - 1


class BadParameter(Exception):
    """A query parameter the reader can fix; shown as a friendly 400 page."""


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: Django's own bad requests (too many fields, bad host...)."""
    message = ""
    if isinstance(exception, TooManyFieldsSent):
        message = _("This address has more than %(max)s parameters.") % {
            "max": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    return render(request, "400.html", {"message": message}, status=400)


def paginate(request: HttpRequest, articles) -> Page:
    """The requested page of ``articles``; BadParameter for junk, PastLastPage past the end."""
    form = ListPageForm(request.GET)
    if not form.is_valid():
        raise BadParameter(first_error(form))
    paginator = Paginator(articles, PAGE_SIZE)
    number = form.cleaned_data["page"]
    if number == "last":
        number = paginator.num_pages
    if number > paginator.num_pages:
        raise service.PastLastPage(page=number, last=paginator.num_pages)
    return paginator.page(number)


def list_canonical(request: HttpRequest, page: Page) -> str:
    path = request.path + (f"?page={page.number}" if page.number > 1 else "")
    return request.build_absolute_uri(path)


def render_list(
    request: HttpRequest, template: str, articles, context: dict, *, search_filter: str
) -> HttpResponse:
    """A paginated article list with its language counts, linking on to filtered search.

    ``search_filter`` is the search query string that selects the same articles.
    """
    try:
        page = paginate(request, articles.for_listing().newest_first())
    except service.PastLastPage as exc:
        return error_page(request, status=400, message=str(exc), last_page=exc.last)
    except BadParameter as exc:
        return error_page(request, status=400, message=str(exc))
    context = {
        **context,
        "page": page,
        "canonical_url": list_canonical(request, page),
        "language_counts": browse.language_counts(articles=articles),
        "search_filter": search_filter,
    }
    return render(request, template, context)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # Dated articles only: this ordering is answered from the published_at index.
    latest = (
        Article.objects.for_listing()
        .filter(published_at__isnull=False)
        .order_by("-published_at", "-id")[:12]
    )
    context = {"latest": latest, "timeline_months": archive_months(), **browse.home_summary()}
    return render(request, "archive/home.html", context)


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    return answer_search(request, lambda: _search_page(request))


def _search_page(request: HttpRequest) -> HttpResponse:
    results = search_ui.run_search(request.GET)
    context = {
        "results": results,
        "params": results.params,
        "canonical_url": request.build_absolute_uri(reverse("search")),
        **search_ui.search_context(query=request.GET, results=results),
    }
    return render(request, "search/search.html", context)


@require_safe
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if pk > MAX_PK:
        raise Http404
    form = ArticleViewForm(request.GET)
    if not form.is_valid():
        return error_page(request, status=400, message=first_error(form))
    script = form.cleaned_data["script"]
    # One row per topic (one with None when it has none), in a single query.
    rows = list(
        Article.objects.filter(pk=pk)
        .order_by()
        .values_list("updated_at", "source_id", "article_tags__tag_id")
    )
    if not rows:
        raise Http404
    # Everything the page shows besides its URL and language. The index generation
    # covers related articles and renames of its source and topics (both re-index
    # the article); ``updated_at`` covers edits to the article.
    updated_at, source_id = rows[0][0], rows[0][1]
    tag_ids = tuple(sorted(row[2] for row in rows if row[2] is not None))
    parts = (pk, script, str(updated_at), source_id, tag_ids, service.index_generation())
    # The cached page is shared by every query string that reads the same: the
    # language switch returns to the page's own address, not the one first asked for.
    here = request.path + (f"?{urlencode({'script': script})}" if script else "")
    # ``?q=``: the query's matches are marked, and the page's own links keep it.
    q = clean_text(request.GET.get("q", ""))[0]
    if q:
        here += ("&" if script else "?") + urlencode({"q": q})

    def render_page(extra: dict) -> str:
        article = get_object_or_404(
            Article.objects.select_related("source")
            .defer("raw_content")
            .prefetch_related(
                Prefetch("article_tags", queryset=ArticleTag.objects.select_related("tag"))
            ),
            pk=pk,
        )
        context = {
            **_article_context(article, script),
            "canonical_url": request.build_absolute_uri(reverse("article_detail", args=[pk])),
            "language_next": here,
            **extra,
        }
        if q:
            context["marked"] = article_matches.mark_reading(context["reading"], q)
        return render_to_string("archive/article_detail.html", context, request)

    # Marked for one query: rendered each time, never cached (a key per query would
    # let any query string write pages into the shared cache).
    if q:
        return HttpResponse(render_page({}))
    return cached_page(request, parts, render_page)


def _article_context(article: Article, script: str) -> dict:
    """What the article page shows: the article in the chosen script, topics, related."""
    try:
        related = service.related_articles(article, limit=5)
    except service.SearchUnavailable:
        related = []
        logger.warning("related articles unavailable for %s", article.pk)
    reading = browse.article_reading(article=article, script=script)
    return {
        "article": article,
        "reading": reading,
        "topics": [at.tag for at in article.article_tags.all()],
        "related": related,
        "versions": browse.story_versions(article),
        "api_url": reverse("api_article", kwargs={"pk": article.pk}),
        "page_title": f"{reading.title} · {source_name(article.source) or _('Article')}",
        "description": reading.paragraphs[0] if reading.paragraphs else "",
    }


@require_safe
def search_tips(request: HttpRequest) -> HttpResponse:
    return render(request, "search/tips.html", {"tips": TIPS})


@require_safe
def source_list(request: HttpRequest) -> HttpResponse:
    return render(request, "archive/source_list.html", {"sources": browse.source_counts()})


@require_safe
def tag_list(request: HttpRequest) -> HttpResponse:
    return render(request, "archive/tag_list.html", {"topics": browse.topic_counts()})


@require_safe
def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(Source, slug=slug)
    return render_list(
        request,
        "archive/source_detail.html",
        source.articles.all(),
        {"source": source},
        search_filter=urlencode({"source": source.slug}),
    )


@require_safe
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    return render_list(
        request,
        "archive/tag_detail.html",
        tag.articles.all(),
        {"tag": tag},
        search_filter=urlencode({"topic": tag.slug}),
    )


def _check_date(year: int, month: int | None = None) -> None:
    if not browse.MIN_YEAR <= year <= browse.MAX_YEAR or (
        month is not None and not 1 <= month <= 12
    ):
        raise Http404(_("No such date."))


@require_safe
def archive_year(request: HttpRequest, year: int) -> HttpResponse:
    _check_date(year)
    start, end = browse.month_range(year=year)
    articles = browse.articles_between(start=start, end=end)
    years = browse.date_archive(articles=articles)
    context = {"year": year, "start": start, "months": years[0].months if years else []}
    return render_list(
        request,
        "archive/archive_year.html",
        articles,
        context,
        search_filter=urlencode({"date": f"{year:04d}", "sort": "oldest"}),
    )


@require_safe
def archive_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    _check_date(year, month)
    start, end = browse.month_range(year=year, month=month)
    articles = browse.articles_between(start=start, end=end)
    return render_list(
        request,
        "archive/archive_month.html",
        articles,
        {"year": year, "start": start},
        search_filter=urlencode({"date": f"{year:04d}-{month:02d}", "sort": "oldest"}),
    )


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Disallow: /feeds/search/",
        "Disallow: /i18n/",
        "Disallow: /api/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def opensearch(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "opensearch.xml",
        {"search_url": request.build_absolute_uri(reverse("search"))},
        content_type="application/opensearchdescription+xml; charset=utf-8",
    )
