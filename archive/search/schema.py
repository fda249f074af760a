"""The Whoosh schema of an article document, and how an article becomes one."""

from django.utils import timezone
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema

from archive.text import GramAnalyzer, WordAnalyzer

UNDATED = "undated"


def build_schema() -> Schema:
    """Text fields for matching and ranking; whole-value columns for facets and sorting.

    ``title``/``body``: jieba words (consecutive positions, stemmed English), for
    ranking and word phrases. ``grams``: CJK unigrams + bigrams of title and body
    (every substring is findable). ``tgrams``: the same for the title alone, to rank
    title matches first. Facet fields are unanalysed and sortable, so counts read
    columns rather than stored text. Only the id is stored: pages load articles
    from the database.
    """
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=TEXT(analyzer=WordAnalyzer(), phrase=True),
        body=TEXT(analyzer=WordAnalyzer(), phrase=True),
        grams=TEXT(analyzer=GramAnalyzer(), phrase=True),
        tgrams=TEXT(analyzer=GramAnalyzer(), phrase=True),
        source=ID(sortable=True),
        topics=KEYWORD(sortable=True, lowercase=False, commas=False, scorable=False),
        language=ID(sortable=True),
        year=ID(sortable=True),
        month=ID(sortable=True),
        pub=NUMERIC(int, bits=64, signed=True, sortable=True),
    )


def article_document(article) -> dict:
    """The document for one article (source and tags should be preloaded)."""
    title = " ".join(part for part in (article.title, article.subtitle) if part)
    body = article.body or ""
    published = article.published_at
    if published is not None:
        local = timezone.localtime(published)
        year, month, pub = (
            str(local.year),
            f"{local.year:04d}-{local.month:02d}",
            int(published.timestamp()),
        )
    else:
        year, month, pub = UNDATED, UNDATED, 0
    source = article.source.resolved() if article.source_id else None
    topics = sorted({tag.resolved().slug for tag in article.tags.all()})
    return {
        "id": str(article.pk),
        "title": title,
        "body": body,
        "grams": f"{title}\n{body}",
        "tgrams": title,
        "source": source.slug if source else "",
        "topics": " ".join(topics),
        "language": article.language or "",
        "year": year,
        "month": month,
        "pub": pub,
    }
