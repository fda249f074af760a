"""Keyword in context: every occurrence of a search's terms in its matching articles.

``build(params)`` reads the matching articles in result order (at most
``MAX_ARTICLES`` of them, and ``MAX_LINES`` lines in all) and cuts one line per
occurrence (``archive.research.matches``: the snippets' rules, numbered as the
article page marks them): left context, the match and right context, as written
in the article's own script, within its paragraph. ``Concordance.page`` sorts
them by article, by the words before the match (nearest first) or by the words
after it. Lines are cached per index generation, so paging and sorting do not
read the articles again.
"""

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.urls import reverse

from archive.models import Article, DatePrecision, Language, Source
from archive.research.matches import Terms, article_passages, numbered
from archive.search import service
from archive.search.params import SearchParams
from archive.search.query import clean_text
from archive.search.results import Understood
from archive.text import fold

MAX_ARTICLES = 1_000  # matching articles read, in result order
MAX_LINES = 5_000  # lines in one concordance
CONTEXT_CHARS = {"zh": 24, "en": 64}  # characters on each side of the match
SORTS = ("article", "left", "right")
SORT_TOKENS = 6  # words (English) or characters (Chinese) a sort key compares
CACHE_SIZE = 16
_LOAD_CHUNK = 200
_FIELDS = ("id", "title", "subtitle", "body", "language", "published_at", "date_precision")

_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Sort tokens: each Chinese character, or a run of other letters and digits (a word).
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_WORD_CHAR = re.compile(r"\w")

_cache_lock = threading.Lock()
_cache: "OrderedDict[tuple, Concordance]" = OrderedDict()


@dataclass(frozen=True)
class ArticleInfo:
    """What a line shows of its article (``article_date`` reads the date fields)."""

    id: int
    title: str
    language: str
    source: Source | None
    published_at: object
    date_precision: str = DatePrecision.MINUTE

    def get_absolute_url(self) -> str:
        return reverse("article_detail", args=[self.id])


@dataclass(frozen=True)
class Line:
    rank: int  # the article's place in the results (0 first)
    article_id: int
    number: int  # this occurrence's number in the article: the page's ``#match-N``
    field: str  # "title", "subtitle" or "body"
    offset: int  # where the match starts in the field's text
    left: str
    match: str
    right: str

    def fragment(self) -> str:
        return f"match-{self.number}"


@dataclass
class Concordance:
    q: str  # the query as searched
    lines: list[Line]  # in article order
    articles: dict[int, ArticleInfo]
    matching: int  # articles the search matches
    scanned: int  # of those, how many were read
    limit: str | None  # "lines" or "articles" when a limit cut the concordance short
    understood: Understood | None = None
    _orders: dict = field(default_factory=dict, repr=False)

    def sorted(self, sort: str) -> list[Line]:
        """All lines in ``sort`` order (one of SORTS), computed once."""
        if sort not in self._orders:
            self._orders[sort] = _sorted(self.lines, sort)
        return self._orders[sort]

    def num_pages(self, size: int) -> int:
        return math.ceil(len(self.lines) / size)

    def page(self, sort: str, number: int, size: int) -> list[Line]:
        """Lines of page ``number`` (from 1); PastLastPage past the last one."""
        last = max(self.num_pages(size), 1)
        if number > last:
            raise service.PastLastPage(page=number, last=last)
        start = (number - 1) * size
        return self.sorted(sort)[start : start + size]


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def _sorted(lines: list[Line], sort: str) -> list[Line]:
    if sort == "left":
        return sorted(
            lines,
            key=lambda x: (tuple(reversed(_tokens(x.left)[-SORT_TOKENS:])), x.rank, x.number),
        )
    if sort == "right":
        return sorted(
            lines, key=lambda x: (tuple(_tokens(x.right)[:SORT_TOKENS]), x.rank, x.number)
        )
    return list(lines)


def context(text: str, start: int, end: int, language: str) -> tuple[int, int]:
    """The context window ``(from, to)`` around ``text[start:end]``; in English whole words."""
    width = CONTEXT_CHARS["en" if language == Language.ENGLISH else "zh"]
    left, right = max(0, start - width), min(len(text), end + width)
    if language == Language.ENGLISH:
        if left > 0 and _WORD_CHAR.match(text, left - 1) and _WORD_CHAR.match(text, left):
            space = text.find(" ", left, start)
            left = space + 1 if space != -1 else left
        if (
            right < len(text)
            and _WORD_CHAR.match(text, right - 1)
            and _WORD_CHAR.match(text, right)
        ):
            space = text.rfind(" ", end, right)
            right = space if space != -1 else right
    return left, right


def article_lines(article: Article, terms: Terms, rank: int) -> list[Line]:
    """One line per occurrence of ``terms`` in ``article``, in reading order."""
    parts = article_passages(article)
    lines = []
    for part, found in zip(parts, numbered([p.text for p in parts], terms), strict=True):
        text = part.text
        for start, end, number in found:
            left, right = context(text, start, end, article.language)
            lines.append(
                Line(
                    rank=rank,
                    article_id=article.pk,
                    number=number,
                    field=part.field,
                    offset=part.offset + start,
                    left=text[left:start],
                    match=text[start:end],
                    right=text[end:right],
                )
            )
    return lines


def _info(article: Article) -> ArticleInfo:
    return ArticleInfo(
        id=article.pk,
        title=article.title,
        language=article.language,
        source=article.source,
        published_at=article.published_at,
        date_precision=article.date_precision,
    )


def _scan(ids: list[int], terms: Terms, concordance: Concordance) -> None:
    """Fill ``concordance`` with the lines of ``ids`` (in order) up to MAX_LINES."""
    for chunk_start in range(0, len(ids), _LOAD_CHUNK):
        chunk = ids[chunk_start : chunk_start + _LOAD_CHUNK]
        loaded = (
            Article.objects.filter(pk__in=chunk).select_related("source").only(*_FIELDS, "source")
        )
        by_id = {a.pk: a for a in loaded}
        for rank, pk in enumerate(chunk, start=chunk_start):
            article = by_id.get(pk)
            concordance.scanned = rank + 1
            if article is None:  # deleted since the index was written
                continue
            lines = article_lines(article, terms, rank)
            if not lines:
                continue
            concordance.articles[pk] = _info(article)
            room = MAX_LINES - len(concordance.lines)
            concordance.lines.extend(lines[:room])
            if len(lines) >= room:
                concordance.limit = "lines"
                return


def clear_cache() -> None:
    """Forget every concordance built (benchmarks time them cold)."""
    with _cache_lock:
        _cache.clear()


def build(params: SearchParams) -> Concordance:
    """The concordance of a search (its query's terms in its matching articles).

    Cached per index generation; SearchUnavailable.
    """
    generation, core = service.find(params, limit=MAX_ARTICLES)
    key = (generation, params.cache_key())
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    terms = Terms(clean_text(params.q)[0], frozenset(core.runs), frozenset(core.words))
    concordance = Concordance(
        q=terms.q,
        lines=[],
        articles={},
        matching=core.total,
        scanned=0,
        limit=None,
        understood=core.understood,
    )
    if terms:
        _scan(core.ids[:MAX_ARTICLES].tolist(), terms, concordance)
        if concordance.limit is None and core.total > MAX_ARTICLES:
            concordance.limit = "articles"
    with _cache_lock:
        _cache[key] = concordance
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return concordance
