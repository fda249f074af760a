"""The article page with a query's matches marked (``?q=``): ``<mark id="match-N">``.

Occurrences come from ``archive.research.matches`` (the snippets' rules, numbered
as the concordance links to them). Each mark is followed by "match N of M" with
links to the previous and next one, shown when that mark is the page's target
(``#match-N``), so moving between matches needs no JavaScript. Text is escaped
piece by piece; only our own tags are live HTML.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from archive.research.matches import Terms, numbered, query_terms
from archive.search.service import SearchUnavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MarkedReading:
    q: str  # the query as searched
    total: int  # occurrences marked
    title: SafeString
    subtitle: SafeString
    paragraphs: list[SafeString]
    unavailable: bool = False  # search could not say what to mark

    @property
    def query(self) -> str:
        """``q=…`` for links that keep the marks."""
        return urlencode({"q": self.q})


def _nav(number: int, total: int) -> str:
    prev = (
        format_html('<a href="#match-{}" rel="prev">‹ {}</a> ', number - 1, _("previous"))
        if number > 1
        else ""
    )
    following = (
        format_html(' <a href="#match-{}" rel="next">{} ›</a>', number + 1, _("next"))
        if number < total
        else ""
    )
    where = _("match %(n)s of %(total)s") % {"n": number, "total": total}
    return format_html('<span class="match-nav">{}<span>{}</span>{}</span>', prev, where, following)


def marked_html(
    text: str, found: list[tuple[int, int, int]], total: int, *, nav: bool = True
) -> SafeString:
    """``text`` escaped, each ``(start, end, number)`` a ``<mark id="match-N">`` followed
    (with ``nav``) by its previous/next links."""
    out, cursor = [], 0
    for start, end, number in found:
        out.append(escape(text[cursor:start]))
        out.append(format_html('<mark id="match-{}">{}</mark>', number, text[start:end]))
        if nav:
            out.append(_nav(number, total))
        cursor = end
    out.append(escape(text[cursor:]))
    return format_html_join("", "{}", ((piece,) for piece in out))  # each piece safe above


def mark_reading(reading, q: str) -> MarkedReading:
    """The reading's title, subtitle and paragraphs with the matches of ``q`` marked."""
    try:
        terms = query_terms(q)
    except SearchUnavailable as exc:
        logger.warning("matches not marked, search unavailable: %s", exc)
        terms, unavailable = Terms(q, frozenset(), frozenset()), True
    else:
        unavailable = False
    texts = [reading.title, reading.subtitle or "", *reading.paragraphs]
    found = numbered(texts, terms) if terms else [[] for _text in texts]
    total = sum(len(spans) for spans in found)
    # The heading keeps its name for screen readers: its marks carry no links (the
    # summary's "first" and the next mark's "previous" lead to them).
    html = [
        marked_html(text, spans, total, nav=index > 0)
        for index, (text, spans) in enumerate(zip(texts, found, strict=True))
    ]
    return MarkedReading(
        q=terms.q or q,
        total=total,
        title=html[0],
        subtitle=html[1],
        paragraphs=html[2:],
        unavailable=unavailable,
    )
