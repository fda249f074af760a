"""Related articles ("more like this"): an article's most distinctive words, searched."""

import hashlib
import heapq
import math
from collections.abc import Callable

from django.core.cache import cache

from archive.models import Article
from archive.text import fold, segment, stem

RELATED_TERMS = 6  # distinctive words of an article used to find its neighbours
RELATED_MAX_DF = 0.02  # words in more than this share of articles say little
RELATED_TEXT_CHARS = 3000  # how much of the body is read
CACHE_SECONDS = 3600


def article_text(article: Article) -> str:
    """What an article is compared by: its title (twice, to weigh it) and the start of its body."""
    return f"{article.title}\n{article.title}\n{(article.body or '')[:RELATED_TEXT_CHARS]}"


def distinctive_terms(text: str, *, frequency: Callable[[str], int], total: int) -> list[str]:
    """The ``RELATED_TERMS`` words of ``text`` with the highest tf-idf.

    ``frequency(term)`` is the number of articles holding the (stemmed) term, out of
    ``total``. Rare words only: common ones make the search scan most of the index
    for little gain, and words in one article (this one) find nothing else.
    """
    counts: dict[str, int] = {}
    for word, _start, _end in segment(fold(text)):
        if len(word) >= 2:
            term = stem(word)
            counts[term] = counts.get(term, 0) + 1
    total = max(total, 1)
    scored = []
    for term, tf in counts.items():
        df = frequency(term)
        if df <= 1 or (total > 20 and df > total * RELATED_MAX_DF):
            continue
        scored.append((tf * math.log(total / df), term))
    return [term for _score, term in heapq.nlargest(RELATED_TERMS, scored)]


def related_articles(article: Article, *, limit: int = 5) -> list[Article]:
    """Articles most like this one, best first; cached per index generation."""
    from archive.search.backend import get_backend

    backend = get_backend()
    key = (
        "related:"
        + hashlib.sha1(repr((backend.generation(), article.pk, limit)).encode()).hexdigest()
    )
    ids = cache.get(key)
    if ids is None:
        ids = backend.related(article.pk, article_text(article), limit=limit)
        cache.set(key, ids, CACHE_SECONDS)
    found = Article.objects.select_related("source").prefetch_related("tags").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]
