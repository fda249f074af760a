from django.urls import path

from archive.web import api

urlpatterns = [
    path("search", api.search_api, name="api_search"),
    path("articles/<int:pk>", api.article_api, name="api_article"),
    path("suggest", api.suggest_api, name="api_suggest"),
]
