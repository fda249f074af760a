"""Articles, their sources and topics, editors' decisions, and the index queue."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from archive.slug_urls import slug_url


class Language(models.TextChoices):
    SIMPLIFIED = "zh-Hans", _("Chinese (simplified)")
    TRADITIONAL = "zh-Hant", _("Chinese (traditional)")
    ENGLISH = "en", _("English")


class DatePrecision(models.TextChoices):
    DAY = "day", _("day only")
    MINUTE = "minute", _("date and time")


class Mergeable:
    """A source or topic an editor merged into another stays as an alias of it."""

    def resolved(self):
        """The record this one was merged into, following the chain (itself if not merged)."""
        record, seen = self, set()
        while record.merged_into_id and record.pk not in seen:
            seen.add(record.pk)
            record = record.merged_into
        return record


class Source(Mergeable, models.Model):
    """A publisher, named as it writes its own name."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    homepage = models.URLField(_("homepage"), blank=True)
    domain = models.CharField(_("domain"), max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_sources",
        help_text=_("A merged source stays as an alias so reloads keep using the kept one."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return slug_url("source_detail", self.slug)


class Tag(Mergeable, models.Model):
    """A topic, with a Chinese and an English name."""

    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_("One keyword per line; automatic tagging matches them on simplified text."),
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tags",
        help_text=_("A merged topic stays as an alias so automatic tagging uses the kept one."),
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return f"{self.name_zh} / {self.name_en}" if self.name_en else self.name_zh

    def get_absolute_url(self) -> str:
        return slug_url("tag_detail", self.slug)

    def name_for(self, language: str | None = None) -> str:
        """The name readers of ``language`` see (default: the active interface language).

        Chinese (and any language without a name of its own) reads ``name_zh``;
        English reads ``name_en``; each falls back to the other when empty.
        """
        return topic_label(self.name_zh, self.name_en, language)

    def clean(self) -> None:
        """Tidy the names and refuse one that another topic already has, in either script."""
        from archive.text import fold, normalize

        self.name_zh = " ".join(normalize(self.name_zh or "").split())
        self.name_en = " ".join(normalize(self.name_en or "").split())
        mine = {fold(name): field for field, name in self._names() if name}
        if not mine:
            return
        errors: dict[str, list[str]] = {}
        for other in Tag.objects.exclude(pk=self.pk).only("name_zh", "name_en", "slug"):
            for _field, name in other._names():
                field = mine.get(fold(name)) if name else None
                if field and field not in errors:
                    errors[field] = [
                        _("“%(name)s” is already the name of the topic “%(other)s” (%(slug)s).")
                        % {"name": name, "other": other, "slug": other.slug}
                    ]
        if errors:
            raise ValidationError(errors)

    def _names(self) -> list[tuple[str, str]]:
        return [("name_zh", self.name_zh), ("name_en", self.name_en)]


class ArticleQuerySet(models.QuerySet):
    def for_listing(self) -> "ArticleQuerySet":
        return self.select_related("source").prefetch_related("tags").defer("raw_content", "body")

    def newest_first(self) -> "ArticleQuerySet":
        return self.order_by(models.F("published_at").desc(nulls_last=True), "-id")


def unique_external_id(prefix: str) -> list[models.UniqueConstraint]:
    """An external id is unique within its source, and among rows without a source."""
    return [
        models.UniqueConstraint(
            fields=["source", "external_id"], name=f"{prefix}_unique_source_external_id"
        ),
        models.UniqueConstraint(
            fields=["external_id"],
            condition=Q(source__isnull=True),
            name=f"{prefix}_unique_external_id_without_source",
        ),
    ]


class Article(models.Model):
    """One news article, with clean text in its original script."""

    title = models.CharField(_("title"), max_length=500)
    subtitle = models.CharField(_("subtitle"), max_length=500, blank=True)
    body = models.TextField(_("body"), help_text=_("Plain-text paragraphs separated by newlines."))
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    date_precision = models.CharField(
        _("date precision"), max_length=8, choices=DatePrecision.choices, blank=True
    )
    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
    )
    original_source = models.CharField(_("original source"), max_length=200, blank=True)
    authors = models.JSONField(_("authors"), default=list, blank=True)
    editors = models.JSONField(_("editors"), default=list, blank=True)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    external_id = models.CharField(
        _("external id"),
        max_length=200,
        help_text=_("The record's id in its import file, or 'file:<name>' for a loaded file."),
    )
    source_file = models.CharField(_("source file"), max_length=500, blank=True)
    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=64,
        db_index=True,
        help_text=_(
            "SHA-256 of the normalized title and body, for change and duplicate detection."
        ),
    )
    raw_content = models.TextField(_("raw content"), blank=True)
    story = models.ForeignKey(
        "self",
        verbose_name=_("story"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="story_versions",
        help_text=_(
            "The first article of the story this one is a version of (republished, "
            "in the other script, or with a changed headline); empty for a story's first."
        ),
    )
    minhash = models.BinaryField(
        _("MinHash signature"), null=True, blank=True, editable=False
    )  # of the folded text (archive.ingest.stories), to find later versions
    quality_notes = models.JSONField(_("quality notes"), default=list, blank=True)
    tags = models.ManyToManyField(
        Tag, verbose_name=_("topics"), through="ArticleTag", related_name="articles", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = unique_external_id("article")
        indexes = [
            models.Index(fields=["language"]),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["source", "published_at"], name="article_source_published"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("article_detail", kwargs={"pk": self.pk})

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n") if p.strip()]


class TagOrigin(models.TextChoices):
    AUTO = "auto", _("automatic")
    EDITOR = "editor", _("editor")


class ArticleAlias(models.Model):
    """An external id whose record had the same text as a stored article (a duplicate the
    importer skipped): looking the id up finds the article kept."""

    source = models.ForeignKey(
        Source, verbose_name=_("source"), null=True, blank=True, on_delete=models.CASCADE
    )
    external_id = models.CharField(_("external id"), max_length=200)
    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="aliases"
    )

    class Meta:
        verbose_name = _("article alias")
        verbose_name_plural = _("article aliases")
        constraints = unique_external_id("alias")

    def __str__(self) -> str:
        return self.external_id


class ArticleTag(models.Model):
    """An article's topic, remembering who assigned it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="article_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="article_tags")
    origin = models.CharField(max_length=8, choices=TagOrigin.choices, default=TagOrigin.AUTO)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("article topic")
        verbose_name_plural = _("article topics")
        constraints = [
            models.UniqueConstraint(fields=["article", "tag"], name="articletag_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} → {self.tag}"


class TagExclusion(models.Model):
    """An editor removed this topic from this article: automatic tagging must not re-add it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="tag_exclusions")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="exclusions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("removed topic")
        verbose_name_plural = _("removed topics")
        constraints = [
            models.UniqueConstraint(fields=["article", "tag"], name="tagexclusion_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} ✕ {self.tag}"


class GlossaryTerm(models.Model):
    """A Chinese–English term pair: a search for one also finds the other."""

    zh = models.CharField(_("Chinese term"), max_length=100)
    en = models.CharField(_("English term"), max_length=100)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["en"]
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary")
        constraints = [models.UniqueConstraint(fields=["zh", "en"], name="glossary_unique_pair")]

    def __str__(self) -> str:
        return f"{self.zh} ↔ {self.en}"

    def clean(self) -> None:
        """One Chinese word, an English term without Chinese, no folded duplicate."""
        from archive.text import fold, has_chinese, is_chinese, normalize

        self.zh = " ".join(normalize(self.zh or "").split())
        self.en = " ".join(normalize(self.en or "").split())
        self.note = " ".join(normalize(self.note or "").split())
        errors: dict[str, str] = {}
        if not is_chinese(self.zh):
            # Search expands one unbroken run of Chinese characters (archive.search.glossary).
            errors["zh"] = _("The Chinese term must be Chinese characters only, without spaces.")
        if has_chinese(self.en):
            errors["en"] = _("The English term must not contain Chinese characters.")
        elif not re.search(r"[A-Za-z0-9]", self.en):
            errors["en"] = _("The English term must contain letters or digits.")
        if not errors:
            key = (fold(self.zh), fold(self.en))
            for other in GlossaryTerm.objects.exclude(pk=self.pk).only("zh", "en"):
                if (fold(other.zh), fold(other.en)) == key:
                    errors["zh"] = _("This pair is already in the glossary as “%(other)s”.") % {
                        "other": other
                    }
                    break
        if errors:
            raise ValidationError(errors)


class IndexTask(models.Model):
    """A pending change for the search index, drained by the single indexer process.

    Only the article is recorded: the indexer writes the article's document if the
    article exists and removes it if not, so a row means "make the index agree".
    """

    article_id = models.BigIntegerField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("index task")
        verbose_name_plural = _("index tasks")

    def __str__(self) -> str:
        return f"article {self.article_id}"


def topic_label(name_zh: str, name_en: str, language: str | None = None) -> str:
    """A topic's name for readers of ``language`` (the one rule; see ``Tag.name_for``)."""
    from django.utils.translation import get_language

    language = language if language is not None else (get_language() or "")
    if language.startswith("en"):
        return name_en or name_zh
    return name_zh or name_en
