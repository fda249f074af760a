from django.contrib import admin
from django.urls import path

from archive import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<int:pk>/", views.article_detail, name="article_detail"),
    path("sources/<slug:slug>/", views.source_detail, name="source_detail"),
    path("topics/<slug:slug>/", views.tag_detail, name="tag_detail"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
