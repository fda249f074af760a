"""Read-side selectors for the reader pages: counts, the date archive, article reading.

Plain functions over the ORM, callable without a request.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncMonth

from archive.models import Article, ArticleAlias, ArticleTag, Language, Source, Tag
from archive.text import to_simplified, to_traditional

MIN_YEAR, MAX_YEAR = 1, 9998


@dataclass(frozen=True)
class MonthCount:
    month: date  # the first day of the month
    count: int


@dataclass(frozen=True)
class YearCount:
    year: int
    count: int
    months: list[MonthCount]


@dataclass(frozen=True)
class Reading:
    """An article's text as the reader asked to see it."""

    title: str
    subtitle: str
    paragraphs: list[str]
    lang: str  # the BCP 47 tag of the text shown
    script: str  # "" (as published), "hans" or "hant"
    converted: bool  # True when the characters were converted for reading


def archive_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def topic_counts(*, limit: int | None = None) -> list[Tag]:
    """Topics that have articles, most used first, each with ``.count``."""
    qs = (
        Tag.objects.filter(merged_into__isnull=True)
        .annotate(count=Count("article_tags"))
        .filter(count__gt=0)
        .order_by("-count", "slug")
    )
    return list(qs[:limit] if limit else qs)


def source_counts(*, limit: int | None = None) -> list[Source]:
    """Sources that have articles, biggest first, each with ``.count``."""
    qs = (
        Source.objects.filter(merged_into__isnull=True)
        .annotate(count=Count("articles"))
        .filter(count__gt=0)
        .order_by("-count", "name")
    )
    return list(qs[:limit] if limit else qs)


def language_counts(*, articles: QuerySet) -> list[tuple[str, str, int]]:
    """(code, label, count) for the languages in ``articles``."""
    labels = dict(Language.choices)
    rows = articles.order_by().values("language").annotate(n=Count("id")).order_by("-n")
    return [(r["language"], labels.get(r["language"], r["language"]), r["n"]) for r in rows]


def date_archive(*, articles: QuerySet | None = None) -> list[YearCount]:
    """Years, newest first, each with its months and counts, in the archive time zone."""
    qs = Article.objects.all() if articles is None else articles
    rows = (
        qs.filter(published_at__isnull=False)
        .order_by()
        .annotate(m=TruncMonth("published_at", tzinfo=archive_tz()))
        .values("m")
        .annotate(n=Count("id"))
        .order_by("-m")
    )
    years: dict[int, list[MonthCount]] = {}
    for row in rows:
        month = row["m"].date() if isinstance(row["m"], datetime) else row["m"]
        years.setdefault(month.year, []).append(MonthCount(month=month, count=row["n"]))
    return [
        YearCount(year=y, count=sum(m.count for m in months), months=months)
        for y, months in years.items()
    ]


def archive_stamp() -> str:
    """Changes whenever an article or a topic assignment is added, removed or edited.

    Separate cheap queries: each is answered from an index on SQLite and PostgreSQL.
    """
    return ":".join(
        str(v)
        for v in (
            Article.objects.count(),
            Article.objects.aggregate(m=Max("updated_at"))["m"],
            ArticleTag.objects.count(),
            ArticleTag.objects.aggregate(m=Max("id"))["m"],
        )
    )


def home_summary() -> dict:
    """Topic, source and date counts for the home page.

    The counts are cached until the archive changes (the date archive groups every
    article by month, too slow to repeat per request at 60k articles); names are
    read fresh, so a renamed topic shows its new name at once.
    """
    key = "archive:home:" + hashlib.sha1(str(archive_stamp()).encode()).hexdigest()
    counts = cache.get(key)
    if counts is None:
        counts = {
            "total": Article.objects.count(),
            "topics": [(t.pk, t.count) for t in topic_counts(limit=40)],
            "sources": [(s.pk, s.count) for s in source_counts(limit=40)],
            "years": date_archive(),
        }
        cache.set(key, counts, 3600)
    return {
        "total": counts["total"],
        "topics": _with_counts(Tag, counts["topics"]),
        "sources": _with_counts(Source, counts["sources"]),
        "years": counts["years"],
    }


def _with_counts(model, pairs: list[tuple[int, int]]) -> list:
    objects = model.objects.in_bulk([pk for pk, _ in pairs])
    result = []
    for pk, count in pairs:
        if pk in objects:
            obj = objects[pk]
            obj.count = count
            result.append(obj)
    return result


# Local midnight on 1 January of year 1 east of UTC is still year 0 in UTC, which
# no datetime can hold: the database query for that start would overflow.
EARLIEST = datetime.min.replace(tzinfo=UTC)


def month_range(*, year: int, month: int | None = None) -> tuple[datetime, datetime]:
    """Start (inclusive) and end (exclusive) of a year or month in the archive time zone."""
    tz = archive_tz()
    if month is None:
        start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    else:
        start = datetime(year, month, 1, tzinfo=tz)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return max(start, EARLIEST), end


def articles_between(*, start: datetime, end: datetime) -> QuerySet:
    return Article.objects.filter(published_at__gte=start, published_at__lt=end)


def article_reading(*, article: Article, script: str = "") -> Reading:
    """The article's text, converted to simplified (``hans``) or traditional (``hant``)
    characters when asked and when it is Chinese in the other script."""
    convert = None
    if script == "hant" and article.language == Language.SIMPLIFIED:
        convert, lang = to_traditional, Language.TRADITIONAL
    elif script == "hans" and article.language == Language.TRADITIONAL:
        convert, lang = to_simplified, Language.SIMPLIFIED
    if convert is None:
        return Reading(
            title=article.title,
            subtitle=article.subtitle,
            paragraphs=article.paragraphs,
            lang=article.language,
            script="",
            converted=False,
        )
    return Reading(
        title=convert(article.title),
        subtitle=convert(article.subtitle),
        paragraphs=[convert(p) for p in article.paragraphs],
        lang=str(lang),
        script=script,
        converted=True,
    )


def story_versions(article: Article) -> list[Article]:
    """The other versions of the article's story (``archive.ingest.stories``), oldest first."""
    first = article.story_id or article.pk
    versions = Article.objects.filter(Q(pk=first) | Q(story_id=first)).exclude(pk=article.pk)
    return list(
        versions.select_related("source")
        .prefetch_related("tags")
        .order_by("published_at", "pk")[:50]
    )


def find_by_external_id(external_id: str, *, source: str = "") -> Article | None:
    """The article stored under ``external_id`` (of the source with slug ``source`` if
    given), else the one a skipped duplicate with that id is an alias of."""
    articles = Article.objects.filter(external_id=external_id)
    aliases = ArticleAlias.objects.filter(external_id=external_id).select_related("article")
    if source:
        articles = articles.filter(source__slug=source)
        aliases = aliases.filter(source__slug=source)
    found = articles.order_by("pk").first()
    if found is None and (alias := aliases.order_by("pk").first()) is not None:
        found = alias.article
    return found
