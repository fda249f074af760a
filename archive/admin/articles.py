"""The article screens: list filters, topic inlines, bulk topic actions."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from archive import editorial
from archive.admin.forms import ArticleTagForm, TopicChoiceForm
from archive.admin.pages import intermediate_page
from archive.admin.script_search import search_in_scripts
from archive.models import (
    Article,
    ArticleTag,
    Tag,
    TagExclusion,
    TagOrigin,
)


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
        return intermediate_page(self, request, queryset, action=action, title=title, form=form)
