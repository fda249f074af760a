from django.urls import path

from archive.web import api, concordance_views

urlpatterns = [
    path("search", api.search_api, name="api_search"),
    path("articles/<int:pk>", api.article_api, name="api_article"),
    path("articles", api.article_lookup_api, name="api_article_lookup"),
    path("suggest", api.suggest_api, name="api_suggest"),
    path("concordance", concordance_views.concordance_api, name="api_concordance"),
]
