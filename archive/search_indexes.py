"""The article document as haystack declares it (haystack looks for this module here).

Its fields are those of ``archive.search.documents.article_document``, which the
indexer writes to whichever engine ``HAYSTACK_CONNECTIONS`` names: haystack's
``SearchQuerySet`` (through ``archive.search.haystack_engine``) filters, facets
and sorts on these names.
"""

from haystack import indexes

from archive.models import Article
from archive.search.documents import article_document


class ArticleIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True)  # title and body: what ``content`` searches
    title = indexes.CharField()
    body = indexes.CharField()
    source = indexes.CharField(faceted=True)  # slug of the source (merged: the kept one)
    topics = indexes.MultiValueField(faceted=True)  # topic slugs
    language = indexes.CharField(faceted=True)  # zh-Hans, zh-Hant, en
    year = indexes.CharField(faceted=True)  # "2024" or "undated"
    month = indexes.CharField(faceted=True)  # "2024-05" or "undated"
    pub = indexes.IntegerField()  # seconds since the epoch; 0 when undated
    story = indexes.IntegerField()  # the id of its story's first article (its own if none)

    def get_model(self):
        return Article

    def index_queryset(self, using=None):
        """Every article, with what its document shows preloaded."""
        return Article.objects.select_related("source").prefetch_related("tags")

    def get_updated_field(self):
        return "updated_at"

    def prepare(self, obj) -> dict:
        """haystack's own keys (its ``id`` is "archive.article.<pk>") plus the archive's
        document, field for field."""
        data = super().prepare(obj)
        document = article_document(obj)
        data.update({key: value for key, value in document.items() if key != "id"})
        data["text"] = f"{document['title']}\n{document['body']}"
        return data
