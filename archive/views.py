"""Reader pages: thin views that validate input, call search or the ORM, render."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from archive.models import Article, Source, Tag


@require_safe
def home(request):
    articles = Article.objects.for_listing().newest_first()[:20]
    return render(request, "archive/home.html", {"articles": articles})


@require_safe
def article_detail(request, pk: int):
    article = get_object_or_404(Article.objects.select_related("source"), pk=pk)
    return render(request, "archive/article_detail.html", {"article": article})


@require_safe
def source_detail(request, slug: str):
    source = get_object_or_404(Source, slug=slug)
    page = Paginator(source.articles.for_listing().newest_first(), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "archive/source_detail.html", {"source": source, "page": page})


@require_safe
def tag_detail(request, slug: str):
    tag = get_object_or_404(Tag, slug=slug)
    page = Paginator(tag.articles.for_listing().newest_first(), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "archive/tag_detail.html", {"tag": tag, "page": page})
