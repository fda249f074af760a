"""The article search document, declared for haystack.

The live index is written by ``archive.search.indexer`` (batched, one writer) with
the schema in ``archive.search.schema``, and read by ``archive.search.service``;
haystack's own backend is not on either path (its Whoosh backend analyses facet
values as text, drops one-character queries and highlights Chinese as empty).
This declaration mirrors that document so haystack tools list the same fields.
"""

from haystack import indexes

from archive.models import Article


class ArticleIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True)
    title = indexes.CharField(model_attr="title", boost=4.0)
    source = indexes.CharField(null=True, faceted=True)
    topics = indexes.MultiValueField(faceted=True)
    language = indexes.CharField(model_attr="language", faceted=True)
    published = indexes.DateTimeField(model_attr="published_at", null=True)

    def get_model(self):
        return Article

    def index_queryset(self, using=None):
        """Every article, with what its document shows preloaded."""
        return Article.objects.select_related("source").prefetch_related("tags")

    def get_updated_field(self):
        return "updated_at"

    def prepare_text(self, obj) -> str:
        """Title, subtitle and body: what readers search."""
        return "\n".join(part for part in (obj.title, obj.subtitle, obj.body) if part)

    def prepare_source(self, obj) -> str | None:
        """The source's slug (a whole value, never split into words)."""
        return obj.source.resolved().slug if obj.source_id else None

    def prepare_topics(self, obj) -> list[str]:
        """Topic slugs."""
        return sorted({tag.resolved().slug for tag in obj.tags.all()})
