"""Where a query matches an article: each occurrence in its title, subtitle and body, numbered.

The article page marks occurrences 1..N (``#match-N``) and the concordance links to
them by the same numbers, so both find them here, with the snippets' rules
(``archive.search.highlight.match_spans``: folded across scripts, English words by
their stems, glossary terms added by the search service). Words of the query that
stand next to each other (``interest rates``, ``rare-earth``) are one occurrence.
"""

import re
from dataclasses import dataclass

from archive.models import Article
from archive.search import service
from archive.search.highlight import match_spans
from archive.search.query import clean_text

# What may separate two matched words for them to count as one occurrence.
_JOINER = re.compile(r"[ \u00a0\u3000\-\u2010\u2011]{1,3}")

FIELDS = ("title", "subtitle", "body")


@dataclass(frozen=True)
class Terms:
    """What to mark for a query: folded Chinese runs and English stems."""

    q: str  # the query as searched (control characters dropped, shortened)
    runs: frozenset[str]
    words: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.runs or self.words)


@dataclass(frozen=True)
class Passage:
    """One piece of an article's text: the title, the subtitle or one body paragraph."""

    field: str  # one of FIELDS
    text: str
    offset: int  # where ``text`` starts in the field (body paragraphs; 0 otherwise)


def query_terms(q: str) -> Terms:
    """The terms the search marks for ``q`` (glossary and expansions included).

    Runs the search for ``q`` alone through the service's cache. SearchUnavailable.
    """
    cleaned = clean_text(q)[0]
    if not cleaned:
        return Terms("", frozenset(), frozenset())
    _generation, core = service.find_page(service.SearchParams(q=cleaned))
    return Terms(cleaned, frozenset(core.runs), frozenset(core.words))


def occurrences(text: str, runs, words) -> list[tuple[int, int]]:
    """Spans of ``text`` that match, with matched words a space or hyphen apart joined."""
    spans = match_spans(text, set(runs), set(words)) if text and (runs or words) else []
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and _JOINER.fullmatch(text, joined[-1][1], start):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def passages(title: str, subtitle: str, paragraphs_of_body: list[tuple[str, int]]) -> list[Passage]:
    """The passages in reading order, numbered through as the article page shows them."""
    out = [Passage("title", title, 0)]
    if subtitle:
        out.append(Passage("subtitle", subtitle, 0))
    out.extend(Passage("body", text, offset) for text, offset in paragraphs_of_body)
    return out


def body_paragraphs(body: str) -> list[tuple[str, int]]:
    """The body's non-blank lines (``Article.paragraphs``) with where each starts."""
    out, cursor = [], 0
    for line in (body or "").split("\n"):
        if line.strip():
            out.append((line, cursor))
        cursor += len(line) + 1
    return out


def article_passages(article: Article) -> list[Passage]:
    """The article's passages as published."""
    return passages(article.title, article.subtitle, body_paragraphs(article.body))


def numbered(texts: list[str], terms: Terms) -> list[list[tuple[int, int, int]]]:
    """For each text, its occurrences as ``(start, end, number)``, numbered from 1 across all.

    The texts are matched as one, a line break apart (no match spans a line break), so
    each distinct English word of the article is stemmed once.
    """
    out: list[list[tuple[int, int, int]]] = [[] for _text in texts]
    starts, cursor = [], 0
    for text in texts:
        starts.append(cursor)
        cursor += len(text) + 1
    index = 0
    whole = "\n".join(texts)
    for number, (start, end) in enumerate(occurrences(whole, terms.runs, terms.words), 1):
        while index + 1 < len(texts) and start >= starts[index + 1]:
            index += 1
        base = starts[index]
        out[index].append((start - base, min(end, base + len(texts[index])) - base, number))
    return out
