"""The stock configuration as a peer: haystack's WhooshEngine with jieba's ChineseAnalyzer.

Runs in its own worker subprocess with its own scratch database and index. The
articles are written with ``bulk_create`` (no ingest pipeline), the index is
built with haystack's ``rebuild_index`` through a ``SearchIndex`` declared here
(a UnifiedIndex holding only it, so the project's own index is not involved),
and the fixed query set runs through ``SearchQuerySet``. Slow, so it runs on a
capped subset of the same articles.
"""

import hashlib
import time
from datetime import datetime

from archive.benchmark.queries import PAGE_SIZE, measure_queries
from archive.benchmark.stats import dir_size_mb


def _stock_index_class():
    from haystack import indexes
    from jieba.analyse import ChineseAnalyzer

    from archive.models import Article

    class StockArticleIndex(indexes.SearchIndex, indexes.Indexable):
        text = indexes.CharField(document=True, analyzer=ChineseAnalyzer())
        title = indexes.CharField(model_attr="title", analyzer=ChineseAnalyzer())
        source = indexes.CharField(faceted=True, null=True)
        language = indexes.CharField(model_attr="language", faceted=True)
        pub_date = indexes.DateTimeField(model_attr="published_at", null=True, faceted=True)
        topics = indexes.MultiValueField(faceted=True, null=True)

        def get_model(self):
            return Article

        def index_queryset(self, using=None):
            return Article.objects.select_related("source").prefetch_related("tags")

        def prepare_text(self, obj) -> str:
            return f"{obj.title}\n{obj.body}"

        def prepare_source(self, obj) -> str:
            return obj.source.name if obj.source_id else ""

        def prepare_topics(self, obj) -> list[str]:
            return [tag.slug for tag in obj.tags.all()]

    return StockArticleIndex


def _load_articles(records: list[dict]) -> int:
    """Write the records as Article rows (with sources and topics), skipping the pipeline."""
    from django.utils.dateparse import parse_date, parse_datetime
    from django.utils.timezone import make_aware

    from archive.models import Article, ArticleTag, Source, Tag

    def digest(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    sources: dict[str, Source] = {}
    tags: dict[str, Tag] = {}
    for record in records:
        name = str(record.get("source") or "")
        if name and name not in sources:
            sources[name] = Source.objects.create(name=name, slug=f"s-{digest(name)}")
        for tag in record.get("tags") or []:
            tag = str(tag)[:100]
            if tag and tag not in tags:
                tags[tag] = Tag.objects.create(name_zh=tag, name_en=tag, slug=f"t-{digest(tag)}")
    articles, links = [], []
    for record in records:
        raw_date = str(record.get("date") or "")
        published = parse_datetime(raw_date) if "T" in raw_date else None
        if published is None and parse_date(raw_date[:10] or "x"):
            published = datetime.combine(parse_date(raw_date[:10]), datetime.min.time())
        if published is not None and published.tzinfo is None:
            published = make_aware(published)
        articles.append(
            Article(
                title=str(record.get("title") or "")[:500],
                body=str(record.get("body") or ""),
                language=str(record.get("lang") or "en")[:8],
                published_at=published,
                source=sources.get(str(record.get("source") or "")),
                external_id=str(record["id"])[:200],
                fingerprint=digest(str(record["id"])),
            )
        )
    created = Article.objects.bulk_create(articles, batch_size=500)
    for article, record in zip(created, records, strict=True):
        for tag in {str(t)[:100] for t in record.get("tags") or [] if t}:
            links.append(ArticleTag(article_id=article.pk, tag=tags[tag]))
    ArticleTag.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
    return len(created)


def run_stock(*, records: list[dict], index_dir: str, repeats: int) -> dict:
    """Build the stock index over ``records`` and time the fixed query set through it."""
    from django.core.management import call_command
    from haystack import connections
    from haystack.query import SearchQuerySet
    from haystack.utils.loading import UnifiedIndex

    call_command("migrate", verbosity=0, interactive=False)
    loaded = _load_articles(records)
    unified = UnifiedIndex()
    unified.build(indexes=[_stock_index_class()()])
    connections["default"]._index = unified

    # haystack's own clear_index + update_index (what its rebuild_index runs), called as
    # objects because the project replaces those command names with its own.
    from haystack.management.commands import clear_index, update_index

    start = time.perf_counter()
    call_command(clear_index.Command(), interactive=False, verbosity=0)
    call_command(update_index.Command(), verbosity=0)
    build_s = time.perf_counter() - start

    def run_one(query: str, mode: str, page: int) -> int:
        sqs = SearchQuerySet().auto_query(query)
        if mode in ("facets", "faceted_highlighted"):
            sqs = (
                sqs.facet("source")
                .facet("language")
                .facet("topics")
                .date_facet(
                    "pub_date",
                    start_date=datetime(1980, 1, 1),
                    end_date=datetime(2030, 1, 1),
                    gap_by="year",
                )
            )
        if mode in ("highlight", "faceted_highlighted"):
            sqs = sqs.highlight()
        offset = (page - 1) * PAGE_SIZE
        for result in sqs[offset : offset + PAGE_SIZE]:
            getattr(result, "highlighted", None)
        if mode in ("facets", "faceted_highlighted"):
            sqs.facet_counts()
        return sqs.count()

    run_one("经济", "faceted_highlighted", 1)  # one warm-up: jieba's dictionary, the searcher
    # One warm-up above only: the stock stack is slow, so each query is timed cold.
    measured = measure_queries(run_one, repeats=repeats, warm_up=False, record_errors=True)
    latency, hits, errors = measured.latency(), measured.hits, measured.errors
    return {
        "engine": "haystack 3.4 WhooshEngine + jieba ChineseAnalyzer (stock)",
        "docs": loaded,
        "build_seconds": round(build_s, 2),
        "build_docs_per_s": round(loaded / build_s, 1) if build_s else None,
        "index_mb": dir_size_mb(index_dir),
        "latency": latency,
        "hits": hits,
        "errors": errors[:20],
    }
