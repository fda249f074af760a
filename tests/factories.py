"""Shared test data: articles, topics and sources as the tests need them."""

import datetime as dt
import itertools

from django.utils import timezone

from archive.models import Article, ArticleTag, DatePrecision, Language, Source, Tag

_counter = itertools.count(1)


def make_article(
    title: str = "稀土产业",
    body: str | None = None,
    *,
    language: str = Language.SIMPLIFIED,
    source: Source | None = None,
    published: dt.datetime | dt.date | None = None,
    tags: list[Tag] = (),
    **fields,
) -> Article:
    """An article (body: the title and a full stop), with a unique external id.

    ``published`` may be a date (noon, archive time zone); other model fields go
    through ``fields``.
    """
    if isinstance(published, dt.date) and not isinstance(published, dt.datetime):
        published = timezone.make_aware(dt.datetime.combine(published, dt.time(12)))
    fields.setdefault("published_at", published)
    fields.setdefault("external_id", f"t{next(_counter)}")
    fields.setdefault("fingerprint", "x")
    article = Article.objects.create(
        title=title,
        body=f"{title}。" if body is None else body,
        language=language,
        source=source,
        **fields,
    )
    for tag in tags:
        ArticleTag.objects.create(article=article, tag=tag)
    return article


def numbered_article(n: int, **fields) -> Article:
    """Article number ``n`` of a listing: 文章 n, two paragraphs, dated to the minute."""
    defaults = {
        "title": f"文章 {n}",
        "body": f"第一段 {n}\n第二段 {n}",
        "language": Language.SIMPLIFIED,
        "published_at": dt.datetime(2025, 9, 6, 2, 30, tzinfo=dt.UTC),
        "date_precision": DatePrecision.MINUTE,
        "external_id": f"n-{n}",
        "fingerprint": f"fp-{n}",
    }
    return Article.objects.create(**{**defaults, **fields})


def make_tag(slug: str, name_zh: str | None = None, name_en: str | None = None) -> Tag:
    return Tag.objects.create(slug=slug, name_zh=name_zh or slug, name_en=name_en or slug)


def topics(article: Article) -> dict[str, str]:
    """The article's topics by slug, with how each was added (manual, automatic)."""
    return {row.tag.slug: row.origin for row in ArticleTag.objects.filter(article=article)}


def make_archive() -> dict:
    """A small archive: simplified, traditional and English articles, two topics, three sources."""
    xinhua = Source.objects.create(name="新华社", name_en="Xinhua", slug="xinhua")
    mohw = Source.objects.create(name="衛生福利部", name_en="Ministry of Health", slug="mohw")
    reuters = Source.objects.create(name="Reuters", slug="reuters")
    economy = Tag.objects.create(name_zh="经济", name_en="Economy", slug="economy")
    health = Tag.objects.create(name_zh="卫生", name_en="Health", slug="health")
    hans = numbered_article(
        1,
        title="内蒙古打造稀土交易中心",
        subtitle="包头稀土产业升级",
        body="包头市人民政府发布稀土产业规划。\n稀土交易所将升级为国家级交易所。",
        source=xinhua,
        authors=["彭强"],
        original_source="21世纪经济报道",
        source_file="seeds/000_e5c6d7836d39fef1.txt",
        quality_notes=["repaired encoding (gbk)"],
        published_at=dt.datetime(2021, 12, 13, 5, 5, tzinfo=dt.UTC),
    )
    hant = numbered_article(
        2,
        title="衛生福利部發布疫苗接種統計",
        body="衛生福利部今日發布疫苗接種統計。\n民眾可於網站查詢。",
        language=Language.TRADITIONAL,
        source=mohw,
        date_precision=DatePrecision.DAY,
        published_at=dt.datetime(2021, 3, 1, 16, 0, tzinfo=dt.UTC),  # 2 March in Taipei/Shanghai
    )
    en = numbered_article(
        3,
        title="Rare earth prices rise",
        body="Prices of rare earth metals rose sharply.\nTraders in Baotou said demand was strong.",
        language=Language.ENGLISH,
        source=reuters,
        published_at=dt.datetime(1987, 3, 2, 9, 15, tzinfo=dt.UTC),
        url="https://example.com/rare-earth",
    )
    ArticleTag.objects.create(article=hans, tag=economy)
    ArticleTag.objects.create(article=en, tag=economy)
    ArticleTag.objects.create(article=hant, tag=health)
    return {
        "hans": hans,
        "hant": hant,
        "en": en,
        "xinhua": xinhua,
        "mohw": mohw,
        "reuters": reuters,
        "economy": economy,
        "health": health,
    }
