"""What the index holds for one article, whatever the engine.

Values are whole (slugs, language codes, dates); each backend analyses the text
fields with ``archive.text`` and stores the rest as keyword columns.
"""

from django.utils import timezone

UNDATED = "undated"  # the year and month of an article without a date


def article_document(article) -> dict:
    """The document for one article (source and tags should be preloaded).

    ``title`` includes the subtitle. ``year``/``month`` are in the archive's time
    zone (``"2024"``, ``"2024-05"``, or UNDATED); ``pub`` is seconds since the
    epoch (0 when undated). Merged sources and topics are indexed as the one
    they were merged into. ``story`` names its story (``archive.ingest.stories``).
    """
    title = " ".join(part for part in (article.title, article.subtitle) if part)
    published = article.published_at
    if published is not None:
        local = timezone.localtime(published)
        year, month = str(local.year), f"{local.year:04d}-{local.month:02d}"
        pub = int(published.timestamp())
    else:
        year, month, pub = UNDATED, UNDATED, 0
    source = article.source.resolved() if article.source_id else None
    return {
        "id": int(article.pk),
        "title": title,
        "body": article.body or "",
        "source": source.slug if source else "",
        "topics": sorted({tag.resolved().slug for tag in article.tags.all()}),
        "language": article.language or "",
        "year": year,
        "month": month,
        "pub": pub,
        # The story it is a version of (its first article's id; its own id if none).
        "story": int(article.story_id or article.pk),
    }
