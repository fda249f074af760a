from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from archive.web import concordance_views, export_views, feeds, health, views
from archive.web.research_pages import coverage_page
from archive.web.sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("search/tips/", views.search_tips, name="search_tips"),
    path("search/export/", export_views.search_export, name="search_export"),
    path(
        "search/concordance/",
        concordance_views.concordance_page,
        name="search_concordance",
    ),
    path("articles/<int:pk>/", views.article_detail, name="article_detail"),
    path("articles/<int:pk>/cite.ris", export_views.article_cite_ris, name="article_cite_ris"),
    path("articles/<int:pk>/cite.bib", export_views.article_cite_bib, name="article_cite_bib"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/<slug:slug>/", views.source_detail, name="source_detail"),
    path("topics/", views.tag_list, name="tag_list"),
    path("topics/<slug:slug>/", views.tag_detail, name="tag_detail"),
    path("archive/<int:year>/", views.archive_year, name="archive_year"),
    path("archive/<int:year>/<int:month>/", views.archive_month, name="archive_month"),
    path("coverage/", coverage_page, name="coverage"),
    # Feeds: RSS by default, Atom under atom/.
    path("feeds/latest/", feeds.LatestRss(), name="feed_latest"),
    path("feeds/latest/atom/", feeds.LatestAtom(), name="feed_latest_atom"),
    path("feeds/topics/<slug:slug>/", feeds.TopicRss(), name="feed_topic"),
    path("feeds/topics/<slug:slug>/atom/", feeds.TopicAtom(), name="feed_topic_atom"),
    path("feeds/sources/<slug:slug>/", feeds.SourceRss(), name="feed_source"),
    path("feeds/sources/<slug:slug>/atom/", feeds.SourceAtom(), name="feed_source_atom"),
    path("feeds/search/", feeds.search_rss, name="feed_search"),
    path("feeds/search/atom/", feeds.search_atom, name="feed_search_atom"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("opensearch.xml", views.opensearch, name="opensearch"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("archive.web.api_urls")),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler400 = "archive.web.views.bad_request"
