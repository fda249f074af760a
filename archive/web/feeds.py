"""RSS and Atom feeds: latest articles, each topic, each source, any search."""

import re

from django.contrib.syndication.views import Feed
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from archive.models import Article, Source, Tag
from archive.web import search_ui
from archive.web.search_errors import answer_search

FEED_SIZE = 30
# Topics are named Chinese first whatever the interface language, as feeds always have.
FEED_LANGUAGE = "zh"
# Characters XML 1.0 forbids even when escaped; the feed generator would crash on them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the control characters an XML document cannot hold."""
    return _XML_ILLEGAL.sub("", text or "")


class ArticleFeed(Feed):
    """Shared item rendering: plain-text title and summary (the generator escapes them)."""

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):  # TRACE, POST ... like the pages
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().__call__(request, *args, **kwargs)

    def item_title(self, item: Article) -> str:
        return xml_text(item.title)

    def item_description(self, item: Article) -> str:
        text = item.subtitle or " ".join(item.paragraphs[:2])
        return xml_text(Truncator(text).chars(300))

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.updated_at

    def item_author_name(self, item: Article) -> str:
        return xml_text(
            ", ".join(str(a) for a in item.authors or [])
            or (item.source.name if item.source else "")
        )

    def item_categories(self, item: Article) -> list[str]:
        return [xml_text(t.name_for(FEED_LANGUAGE)) for t in item.tags.all()]

    def _items(self, articles) -> list[Article]:
        return list(
            articles.select_related("source").prefetch_related("tags").newest_first()[:FEED_SIZE]
        )


class LatestRss(ArticleFeed):
    def title(self) -> str:
        return _("News archive: latest articles")

    def link(self) -> str:
        return reverse("home")

    def description(self) -> str:
        return _("The newest articles in the archive.")

    def items(self) -> list[Article]:
        return self._items(Article.objects.all())


class LatestAtom(LatestRss):
    feed_type = Atom1Feed
    subtitle = LatestRss.description


class TopicRss(ArticleFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        return get_object_or_404(Tag, slug=slug)

    def title(self, obj: Tag) -> str:
        return _("News archive: %(topic)s") % {"topic": xml_text(obj.name_for(FEED_LANGUAGE))}

    def link(self, obj: Tag) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Tag) -> str:
        return _("The newest articles on this topic.")

    def items(self, obj: Tag) -> list[Article]:
        return self._items(obj.articles.all())


class TopicAtom(TopicRss):
    feed_type = Atom1Feed
    subtitle = TopicRss.description


class SourceRss(ArticleFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Source:
        return get_object_or_404(Source, slug=slug)

    def title(self, obj: Source) -> str:
        return _("News archive: %(source)s") % {"source": xml_text(obj.name)}

    def link(self, obj: Source) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Source) -> str:
        return _("The newest articles from this source.")

    def items(self, obj: Source) -> list[Article]:
        return self._items(obj.articles.all())


class SourceAtom(SourceRss):
    feed_type = Atom1Feed
    subtitle = SourceRss.description


class SearchRss(ArticleFeed):
    """The first page of any search, as a feed (parameters as on the search page)."""

    def get_object(self, request: HttpRequest):
        return search_ui.run_search(request.GET)

    def title(self, obj) -> str:
        q = xml_text(getattr(obj.params, "q", "")).strip()
        if q:
            return _("News archive: search for “%(q)s”") % {"q": q}
        return _("News archive: search")

    def link(self, obj) -> str:
        return reverse("search")

    def description(self, obj) -> str:
        return _("Articles matching a search in the news archive.")

    def items(self, obj) -> list[Article]:
        articles = [hit.article for hit in obj.hits]
        prefetch_related_objects(articles, "tags")  # item_categories lists them
        return articles


class SearchAtom(SearchRss):
    feed_type = Atom1Feed
    subtitle = SearchRss.description


_search_rss, _search_atom = SearchRss(), SearchAtom()


@require_safe
def search_rss(request: HttpRequest) -> HttpResponse:
    return answer_search(request, lambda: _search_rss(request))


@require_safe
def search_atom(request: HttpRequest) -> HttpResponse:
    return answer_search(request, lambda: _search_atom(request))
