"""JSON API: the same search as the pages, single articles, and suggestions as one types."""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from archive.models import Article, DatePrecision
from archive.research.timeline import timeline
from archive.search import suggestions
from archive.search.params import SearchParamError
from archive.web import search_ui
from archive.web.browse import find_by_external_id, story_versions
from archive.web.search_errors import answer_search, json_error


def published_iso(article: Article) -> str | None:
    """ISO 8601 in the archive's time zone; a day-only date as YYYY-MM-DD."""
    if article.published_at is None:
        return None
    local = timezone.localtime(article.published_at)
    if article.date_precision == DatePrecision.DAY:
        return local.date().isoformat()
    return local.isoformat()


def _article_summary(article: Article, topics=None, *, request=None) -> dict:
    """What a list of articles shows of each; ``topics`` when already loaded.

    ``url`` is where the source published it (empty when unknown); ``html_url`` and
    ``api_url`` are the article's own page and JSON here, absolute when ``request``
    is given.
    """
    source = article.source
    topics = article.tags.all() if topics is None else topics
    html_url = article.get_absolute_url()
    api_url = reverse("api_article", kwargs={"pk": article.pk})
    if request is not None:
        html_url, api_url = (
            request.build_absolute_uri(html_url),
            request.build_absolute_uri(api_url),
        )
    return {
        "id": article.pk,
        "external_id": article.external_id,
        "url": article.url,
        "html_url": html_url,
        "api_url": api_url,
        "title": article.title,
        "source": {"slug": source.slug, "name": source.name} if source else None,
        "published_at": published_iso(article),
        "language": article.language,
        "story": article.story_id or article.pk,
        # Chinese first whatever the interface language, as the API has always named topics.
        "topics": [{"slug": t.slug, "name": t.name_for("zh")} for t in topics],
    }


@require_safe
def search_api(request):
    return answer_search(request, lambda: _search_json(request), as_json=True)


def _search_json(request) -> JsonResponse:
    results = search_ui.run_search(request.GET)
    params = results.params
    return JsonResponse(
        {
            "query": params.q,
            "understood": {
                "segments": results.understood.segments,
                "folded": results.understood.folded,
                "also_searched": results.understood.also_searched,
                "filters": results.understood.filters,
                "prefixes": [
                    {"typed": typed, "words": words, "more": more}
                    for typed, words, more in results.understood.prefixes
                ],
                "pinyin": [
                    {"typed": typed, "words": words} for typed, words in results.understood.readings
                ],
                "latin_only_query": results.understood.latin_only_q,
            },
            "total": results.total,
            "articles": results.articles,  # every version counted (``total``: one per story)
            "stories": results.stories,
            "page": results.page,
            "page_size": results.page_size,
            "num_pages": results.num_pages,
            "suggestion": results.suggestion,
            "message": results.message,
            "results": [
                {
                    **_article_summary(hit.article, hit.topics, request=request),
                    "title_html": hit.title_html,
                    "other_versions": hit.other_versions,
                    "snippet_html": hit.snippet_html,
                }
                for hit in results.hits
            ],
            "facets": {
                name: [{"value": v.value, "label": str(v.label), "count": v.count} for v in values]
                for name, values in results.facets.items()
            },
            # Every match over time (years, or months for short spans or a chosen year),
            # empty periods included, undated ones last as "undated": the counts sum to total.
            "histogram": timeline(results.months, year=params.year, month=params.month).histogram(),
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
def article_api(request, pk: int):
    article = (
        Article.objects.select_related("source").prefetch_related("tags").filter(pk=pk).first()
        if pk < 2**63
        else None
    )
    if article is None:
        return json_error("no such article", 404)
    return JsonResponse(
        {
            **_article_summary(article, request=request),
            "subtitle": article.subtitle,
            "body": "\n".join(article.paragraphs),
            "authors": article.authors,
            "original_source": article.original_source,
            "quality_notes": article.quality_notes,
            "versions": [version.pk for version in story_versions(article)],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
def article_lookup_api(request):
    """``?external_id=…[&source=<slug>]``: redirect to the article stored under that id in
    its import file, or to the one kept when that record was a skipped duplicate."""
    external_id = request.GET.get("external_id", "")[:200]
    if not external_id:
        return json_error("give external_id (and source, a slug, when ids repeat)", 400)
    found = find_by_external_id(external_id, source=request.GET.get("source", "")[:200])
    if found is None:
        return json_error("no article has that external id", 404)
    return redirect("api_article", pk=found.pk)


@require_safe
def suggest_api(request):
    """``{"suggestions": [{"text", "kind", "url"}]}`` for ``q`` as typed so far."""
    return answer_search(request, lambda: _suggest_json(request), as_json=True)


def _suggest_json(request) -> JsonResponse:
    prefix, limit = _suggest_params(request.GET)
    found = suggestions.suggest(prefix, limit=limit) if prefix.strip() else []
    return JsonResponse(
        {"suggestions": [item.as_dict() for item in found]},
        json_dumps_params={"ensure_ascii": False},
    )


def _suggest_params(query) -> tuple[str, int]:
    """``q`` and ``limit`` (default and bounds in ``suggestions``); SearchParamError if bad."""
    prefix = query.get("q", "")
    if len(prefix) > suggestions.MAX_PREFIX_CHARS:
        raise SearchParamError(
            _("“q” must be at most %(max)s characters for suggestions.")
            % {"max": suggestions.MAX_PREFIX_CHARS}
        )
    raw = query.get("limit", "")
    if raw == "":
        return prefix, suggestions.DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise SearchParamError(
            _("“%(name)s” must be a whole number, not “%(value)s”.")
            % {"name": "limit", "value": raw[:40]}
        ) from None
    if not 1 <= limit <= suggestions.MAX_LIMIT:
        raise SearchParamError(
            _("“%(name)s” must be between %(low)s and %(high)s.")
            % {"name": "limit", "low": 1, "high": suggestions.MAX_LIMIT}
        )
    return prefix, limit
