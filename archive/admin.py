"""Editorial screens: articles, topics, sources, glossary.

The admin only saves models: signals and ``archive.editorial`` queue index
updates, and the indexer process applies them.
"""

from functools import cache, reduce
from operator import and_, or_

import opencc
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from archive import editorial
from archive.forms_admin import ArticleTagForm, KeepChoiceForm, RenameTagForm, TopicChoiceForm
from archive.models import (
    Article,
    ArticleTag,
    GlossaryTerm,
    IndexTask,
    Source,
    Tag,
    TagExclusion,
    TagOrigin,
)
from archive.text import fold, normalize

admin.site.site_header = _("News archive")
admin.site.site_title = _("News archive admin")


@receiver(post_migrate, dispatch_uid="archive_editors_group")
def _editors_group(sender, **kwargs) -> None:
    if getattr(sender, "label", None) == "archive":
        editorial.ensure_editors_group()


# --- Searching in either script ---------------------------------------------


@cache
def _opencc(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(f"{config}.json")


def script_variants(word: str) -> list[str]:
    """The spellings a title may use for ``word``: as typed, simplified, traditional."""
    folded = fold(word)
    variants = {word, normalize(word), folded}
    variants.update(_opencc(config).convert(folded) for config in ("s2t", "s2tw", "s2hk"))
    return sorted(v for v in variants if v)


def search_in_scripts(queryset: QuerySet, *, term: str, fields: list[str]) -> QuerySet:
    """Each word of ``term`` must appear in one of ``fields``, in any script or case."""
    words = term.split()
    if not words:
        return queryset
    conditions = [
        reduce(
            or_, (Q(**{f"{field}__icontains": v}) for v in script_variants(w) for field in fields)
        )
        for w in words
    ]
    return queryset.filter(reduce(and_, conditions))


# --- Articles ---------------------------------------------------------------


class TopicFilter(admin.SimpleListFilter):
    title = _("topic")
    parameter_name = "topic"

    def lookups(self, request, model_admin):
        return [(t.slug, str(t)) for t in Tag.objects.filter(merged_into__isnull=True)]

    def queryset(self, request, queryset):
        return queryset.filter(tags__slug=self.value()) if self.value() else queryset


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Article.objects.filter(published_at__isnull=False).dates("published_at", "year")
        return [(str(d.year), str(d.year)) for d in reversed(years)]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(published_at__year=int(value))
        return queryset


class QualityNotesFilter(admin.SimpleListFilter):
    title = _("quality notes")
    parameter_name = "notes"

    def lookups(self, request, model_admin):
        return [("yes", _("has quality notes")), ("no", _("no quality notes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(quality_notes=[])
        if self.value() == "no":
            return queryset.filter(quality_notes=[])
        return queryset


class ArticleTagInline(admin.TabularInline):
    model = ArticleTag
    form = ArticleTagForm
    fields = ["tag", "assigned_by"]
    readonly_fields = ["assigned_by"]
    autocomplete_fields = ["tag"]
    extra = 1
    verbose_name = _("topic")
    verbose_name_plural = _("topics (removing one stops automatic tagging from re-adding it)")

    @admin.display(description=_("assigned by"))
    def assigned_by(self, obj: ArticleTag) -> str:
        return obj.get_origin_display() if obj.pk else _("editor")


class TagExclusionInline(admin.TabularInline):
    model = TagExclusion
    fields = ["tag", "created_at"]
    readonly_fields = ["tag", "created_at"]
    extra = 0
    verbose_name_plural = _(
        "topics an editor removed (delete a row to let automatic tagging add it again)"
    )

    def has_add_permission(self, request, obj=None):
        return False


ARTICLE_CONTENT = [
    "title",
    "subtitle",
    "language",
    "published_at",
    "date_precision",
    "source",
    "url",
    "body",
]
ARTICLE_PROVENANCE = [
    "site_link",
    "original_source",
    "authors",
    "editors",
    "external_id",
    "source_file",
    "fingerprint",
    "created_at",
    "updated_at",
]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "published_at", "language", "topic_list", "site_link"]
    list_filter = [
        ("source", admin.RelatedOnlyFieldListFilter),
        TopicFilter,
        "language",
        YearFilter,
        QualityNotesFilter,
    ]
    list_select_related = ["source"]
    list_per_page = 50
    show_full_result_count = False
    search_fields = ["title"]  # see get_search_results: any script, any case
    search_help_text = _(
        "Title words in simplified or traditional Chinese, or English; or an external id."
    )
    autocomplete_fields = ["source"]
    inlines = [ArticleTagInline, TagExclusionInline]
    actions = ["add_topic_action", "remove_topic_action", "retag_action"]
    fieldsets = [
        (None, {"fields": ARTICLE_CONTENT}),
        (_("Provenance"), {"fields": ARTICLE_PROVENANCE}),
        (_("Quality notes"), {"fields": ["quality_notes"]}),
        (_("Raw content"), {"fields": ["raw_content"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name == "archive_article_changelist":
            queryset = queryset.prefetch_related("tags").defer("body", "raw_content")
        return queryset

    def get_readonly_fields(self, request, obj=None):
        fixed = [*ARTICLE_PROVENANCE, "quality_notes", "raw_content"]
        if request.user.is_superuser:
            return fixed
        return [*ARTICLE_CONTENT, *fixed]  # editors curate topics, not the text

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        by_title = search_in_scripts(queryset, term=term, fields=["title", "subtitle"])
        return by_title | queryset.filter(external_id=term), False

    @admin.display(description=_("topics"))
    def topic_list(self, obj: Article) -> str:
        return ", ".join(str(tag) for tag in obj.tags.all())

    @admin.display(description=_("on the site"))
    def site_link(self, obj: Article) -> str:
        if not obj.pk:
            return "-"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("view"))

    def save_formset(self, request, form, formset, change):
        if formset.model is not ArticleTag:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for row in formset.deleted_objects:
            editorial.exclude_topic(articles=[row.article_id], tag=row.tag)
            row.delete()
        for row_form in formset.initial_forms:
            if row_form.instance.pk and "tag" in row_form.changed_data:
                old = row_form.initial.get("tag")
                if old and not row_form.cleaned_data.get("DELETE"):
                    editorial.exclude_topic(articles=[row_form.instance.article_id], tag=old)
        for row in instances:
            row.origin = TagOrigin.EDITOR
            row.save()
            TagExclusion.objects.filter(article_id=row.article_id, tag_id=row.tag_id).delete()
        formset.save_m2m()

    @admin.action(description=_("Add a topic to the selected articles"), permissions=["change"])
    def add_topic_action(self, request, queryset):
        return self._topic_action(
            request,
            queryset,
            action="add_topic_action",
            title=_("Add a topic"),
            apply=editorial.add_topic,
            done=lambda n, tag: (
                ngettext(
                    "%(count)d article now has the topic “%(tag)s”.",
                    "%(count)d articles now have the topic “%(tag)s”.",
                    n,
                )
                % {"count": n, "tag": tag}
            ),
        )

    @admin.action(
        description=_("Remove a topic from the selected articles"), permissions=["change"]
    )
    def remove_topic_action(self, request, queryset):
        return self._topic_action(
            request,
            queryset,
            action="remove_topic_action",
            title=_("Remove a topic"),
            apply=editorial.remove_topic,
            done=lambda n, tag: (
                ngettext(
                    "The topic “%(tag)s” was removed from %(count)d article.",
                    "The topic “%(tag)s” was removed from %(count)d articles.",
                    n,
                )
                % {"count": n, "tag": tag}
            ),
        )

    @admin.action(
        description=_("Re-run automatic tagging on the selected articles"),
        permissions=["change"],
    )
    def retag_action(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        changed = editorial.retag(articles=ids)
        self.message_user(
            request,
            _("Automatic tagging re-run on %(articles)d articles: %(changed)d topics changed.")
            % {"articles": len(ids), "changed": changed},
            messages.SUCCESS,
        )

    def _topic_action(self, request, queryset, *, action, title, apply, done):
        form = TopicChoiceForm(
            request.POST if "apply" in request.POST else None, admin_site=self.admin_site
        )
        if form.is_bound and form.is_valid():
            tag = form.cleaned_data["tag"]
            count = apply(articles=queryset.values_list("pk", flat=True), tag=tag)
            self.message_user(request, done(count, tag), messages.SUCCESS)
            return None
        return _intermediate_page(self, request, queryset, action=action, title=title, form=form)


def _intermediate_page(model_admin, request, queryset, *, action, title, form, extra=None):
    select_across = request.POST.get("select_across") == "1"
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "action": action,
        "form": form,
        "media": model_admin.media + form.media,
        "select_across": select_across,
        # The page's ticked rows; with select_across the action covers every match.
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "count": queryset.count(),
        "objects": queryset[:20],
        **(extra or {}),
    }
    return TemplateResponse(request, "admin/archive/action_form.html", context)


# --- Topics -----------------------------------------------------------------


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
        return _intermediate_page(
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
        return _intermediate_page(
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


@admin.register(IndexTask)
class IndexTaskAdmin(admin.ModelAdmin):
    """Pending search-index work, read-only: a long list means the indexer is not running."""

    list_display = ["article_id", "action", "created_at"]
    list_filter = ["action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
