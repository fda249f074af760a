"""Topics, sources and glossary terms: merging, renaming, searching in either script."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from archive import editorial
from archive.admin.forms import KeepChoiceForm, RenameTagForm
from archive.admin.pages import intermediate_page
from archive.admin.script_search import search_in_scripts
from archive.models import (
    GlossaryTerm,
    Source,
    Tag,
)


class MergedFilter(admin.SimpleListFilter):
    title = _("merged")
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("no", _("current topics")), ("yes", _("merged aliases"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(merged_into__isnull=self.value() == "no")
        return queryset


class _MergeMixin:
    """A merge action with a page to choose which of the selected ones to keep."""

    merge_function = None  # editorial.merge_tags or editorial.merge_sources

    @admin.action(description=_("Merge the selected into one"), permissions=["change"])
    def merge_action(self, request, queryset):
        candidates = queryset.filter(merged_into__isnull=True)
        if queryset.count() < 2 or not candidates.exists():
            self.message_user(
                request, _("Select at least two, one of them not merged yet."), messages.WARNING
            )
            return None
        form = KeepChoiceForm(
            request.POST if "apply" in request.POST else None, queryset=candidates
        )
        if form.is_bound and form.is_valid():
            keep = form.cleaned_data["keep"]
            merged = [obj for obj in queryset if obj.pk != keep.pk]
            count = type(self).merge_function(keep=keep, merge=merged)
            self.message_user(
                request,
                _("Merged %(merged)s into “%(keep)s”: %(count)d articles moved.")
                % {"merged": ", ".join(f"“{m}”" for m in merged), "keep": keep, "count": count},
                messages.SUCCESS,
            )
            return None
        return intermediate_page(
            self, request, queryset, action="merge_action", title=_("Merge"), form=form
        )

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj) -> int:
        return obj.article_count

    @admin.display(description=_("merged aliases"))
    def aliases(self, obj) -> str:
        related = obj.merged_tags if isinstance(obj, Tag) else obj.merged_sources
        return ", ".join(str(alias) for alias in related.all()) or "-"


@admin.register(Tag)
class TagAdmin(_MergeMixin, admin.ModelAdmin):
    merge_function = staticmethod(editorial.merge_tags)
    list_display = ["name_zh", "name_en", "slug", "article_count", "merged_into"]
    list_display_links = ["name_zh", "name_en"]
    list_filter = [MergedFilter]
    search_fields = ["name_zh", "name_en", "slug"]  # see get_search_results
    prepopulated_fields = {"slug": ("name_en",)}
    fields = ["name_zh", "name_en", "slug", "description", "keywords", "merged_into", "aliases"]
    readonly_fields = ["merged_into", "aliases"]
    actions = ["merge_action", "rename_action"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("merged_into")
        # A GROUP BY drops Meta.ordering: restate it (autocomplete pages need an order).
        return queryset.annotate(article_count=Count("article_tags")).order_by("slug")

    def get_search_results(self, request, queryset, search_term):
        match = request.resolver_match
        if match and match.url_name == "autocomplete":
            queryset = queryset.filter(merged_into__isnull=True)  # offer only current topics
        term = search_term.strip()
        if not term:
            return queryset, False
        return search_in_scripts(queryset, term=term, fields=["name_zh", "name_en", "slug"]), False

    @admin.action(description=_("Rename the selected topic"), permissions=["change"])
    def rename_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one topic to rename."), messages.WARNING)
            return None
        tag = queryset.get()
        form = RenameTagForm(request.POST if "apply" in request.POST else None, instance=tag)
        if form.is_bound and form.is_valid():
            old = str(Tag.objects.get(pk=tag.pk))
            editorial.rename_tag(tag=tag, **form.cleaned_data)
            self.message_user(
                request,
                _("Renamed “%(old)s” to “%(new)s”.") % {"old": old, "new": tag},
                messages.SUCCESS,
            )
            return None
        return intermediate_page(
            self, request, queryset, action="rename_action", title=_("Rename a topic"), form=form
        )


# --- Sources ----------------------------------------------------------------


@admin.register(Source)
class SourceAdmin(_MergeMixin, admin.ModelAdmin):
    merge_function = staticmethod(editorial.merge_sources)
    list_display = ["name", "name_en", "slug", "domain", "article_count", "merged_into"]
    list_filter = [MergedFilter]
    search_fields = ["name", "name_en", "slug", "domain"]  # see get_search_results
    fields = ["name", "name_en", "slug", "homepage", "domain", "merged_into", "aliases"]
    readonly_fields = ["merged_into", "aliases"]
    actions = ["merge_action"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("merged_into")
        return queryset.annotate(article_count=Count("articles")).order_by("name")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        fields = ["name", "name_en", "slug", "domain"]
        return search_in_scripts(queryset, term=term, fields=fields), False


# --- Glossary and the index queue ----------------------------------------------


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["zh", "en", "note"]
    search_fields = ["zh", "en", "note"]
    fields = ["zh", "en", "note"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return search_in_scripts(queryset, term=term, fields=["zh", "en", "note"]), False
