"""Helpers for search tests: make articles and apply the index queue."""

import datetime as dt
import itertools

from django.utils import timezone

from archive.models import Article, ArticleTag, Language, Source, Tag
from archive.search.indexer import drain_queue
from archive.search.service import SearchParams, search

_counter = itertools.count(1)


def make_article(
    title: str,
    body: str,
    *,
    language: str = Language.SIMPLIFIED,
    source: Source | None = None,
    published: dt.datetime | dt.date | None = None,
    tags: list[Tag] = (),
) -> Article:
    if isinstance(published, dt.date) and not isinstance(published, dt.datetime):
        published = timezone.make_aware(dt.datetime.combine(published, dt.time(12)))
    article = Article.objects.create(
        title=title,
        body=body,
        language=language,
        source=source,
        published_at=published,
        external_id=f"t{next(_counter)}",
        fingerprint="x",
    )
    for tag in tags:
        ArticleTag.objects.create(article=article, tag=tag)
    return article


def find(q: str = "", **kwargs) -> list[int]:
    """Ids of every article matching, in result order."""
    drain_queue()
    results = search(SearchParams(q=q, page_size=100, **kwargs))
    return [hit.article.pk for hit in results.hits]


def run(q: str = "", **kwargs):
    drain_queue()
    return search(SearchParams(q=q, **kwargs))
