"""A page of results as hits: the articles from the database, highlighted."""

from archive.models import Article, ArticleTag, Tag
from archive.search import highlight
from archive.search.results import Hit

# What a hit shows of a topic, in the model's field order (as Model.from_db wants it).
_TOPIC_FIELDS = tuple(
    f.attname
    for f in Tag._meta.concrete_fields
    if f.attname in {"id", "slug", "name_zh", "name_en"}
)


def load_articles(ids: list[int]) -> tuple[dict[int, Article], dict[int, list[Tag]]]:
    """The page's articles with their sources, and each one's topics (by slug).

    Topics come from one flat query: Django's prefetching builds a queryset per
    article, which cost more than everything else on a page of results.
    """
    articles = Article.objects.filter(pk__in=ids).select_related("source").defer("raw_content")
    rows = (
        ArticleTag.objects.filter(article_id__in=ids)
        .order_by("tag__slug")
        .values_list("article_id", *(f"tag__{name}" for name in _TOPIC_FIELDS))
    )
    tags: dict[int, Tag] = {}
    topics: dict[int, list[Tag]] = {}
    for article_id, *values in rows:
        tag = tags.get(values[0])
        if tag is None:
            tag = tags[values[0]] = Tag.from_db("default", _TOPIC_FIELDS, values)
        topics.setdefault(article_id, []).append(tag)
    return {a.pk: a for a in articles}, topics


def build_hits(
    ids: list[int], scores: list, *, runs: set[str], words: set[str], marked: bool
) -> list[Hit]:
    """Hits for ``ids`` in order; articles deleted since the index was written are left
    out (the indexer will catch up). ``marked``: highlight the query's matches."""
    articles, topics = load_articles(ids)
    hits = []
    for score, pk in zip(scores, ids, strict=True):
        article = articles.get(pk)
        if article is None:
            continue
        if marked:
            title_html = highlight.highlight(article.title, runs, words)
            snippet_html = highlight.snippet(article.body, runs, words)
        else:
            title_html = highlight.render(article.title, [])
            snippet_html = highlight.render(article.body[: highlight.SNIPPET_CHARS], [])
        hits.append(Hit(article, title_html, snippet_html, score, topics.get(pk, [])))
    return hits
