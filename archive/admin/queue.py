"""The index queue, read-only."""

from django.contrib import admin
from django.http import HttpRequest

from archive.models import (
    IndexTask,
)


@admin.register(IndexTask)
class IndexTaskAdmin(admin.ModelAdmin):
    """Pending search-index work, read-only: a long list means the indexer is not running."""

    list_display = ["article_id", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
