"""sitemap.xml: every article, topic, source and archive month."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from archive.models import Article, Source, Tag
from archive.web import browse


class ArticleSitemap(Sitemap):
    limit = 2000  # URLs per sitemap page: rendering costs about 0.3 ms per URL
    changefreq = "yearly"

    def items(self):
        return Article.objects.only("id", "updated_at").order_by("id")

    def lastmod(self, item: Article):
        return item.updated_at


class TopicSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Tag.objects.filter(merged_into__isnull=True).only("slug").order_by("slug")


class SourceSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Source.objects.filter(merged_into__isnull=True).only("slug").order_by("slug")


class PageSitemap(Sitemap):
    """The home page, the topic and source lists, the search tips, coverage, and the date archive."""

    changefreq = "daily"

    def items(self) -> list[str]:
        pages = [
            reverse(name) for name in ("home", "tag_list", "source_list", "search_tips", "coverage")
        ]
        for year in browse.date_archive():
            pages.append(reverse("archive_year", args=[year.year]))
            pages += [
                reverse("archive_month", args=[m.month.year, m.month.month]) for m in year.months
            ]
        return pages

    def location(self, item: str) -> str:
        return item


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "topics": TopicSitemap,
    "sources": SourceSitemap,
}
