"""The search service the site pages and the JSON API both call.

``params_from_query`` validates a query string into ``SearchParams``;
``search`` answers with hits (highlighted in the original script), facet counts
for the current result set, how the query was understood and, for zero hits,
a "did you mean". Results are cached per index generation.
"""

import datetime as dt
import hashlib
import heapq
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import Article, ArticleTag, Language, Source, Tag
from archive.search import engine, glossary, highlight
from archive.search import query as q_mod
from archive.search.facets import Columns, Filters, columns, filter_and_count
from archive.search.schema import UNDATED
from archive.search.storage import (
    PerGeneration,
    SearchUnavailable,
    generation_key,
    get_searcher,
    reading_index,
)
from archive.text import fold

__all__ = [
    "FacetValue",
    "Hit",
    "PastLastPage",
    "SearchParamError",
    "SearchParams",
    "SearchResults",
    "SearchUnavailable",
    "Understood",
    "params_from_query",
    "related_articles",
    "search",
]

SORTS = ("relevance", "newest", "oldest")
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
MAX_VALUES = 50  # values of one facet in a request


class SearchParamError(ValueError):
    """A parameter the reader can fix; the message is shown to them (or returned as 400)."""


class PastLastPage(SearchParamError):
    """A page number past the last page; ``last`` is the last page there is."""

    def __init__(self, *, page: int, last: int):
        super().__init__(
            _("There is no page %(page)s; the last page is %(last)s.")
            % {"page": page, "last": last}
        )
        self.page, self.last = page, last


@dataclass
class SearchParams:
    q: str = ""
    sources: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    year: int | None = None  # 0 means "undated"
    month: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    facets: bool = True
    highlight: bool = True

    def cache_key(self) -> tuple:
        return (
            self.q,
            tuple(sorted(set(self.sources))),
            tuple(sorted(set(self.topics))),
            tuple(sorted(set(self.languages))),
            self.year,
            self.month,
            self.date_from,
            self.date_to,
            self.sort,
        )


@dataclass
class Understood:
    segments: list[str]
    folded: str
    also_searched: list[str]


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Hit:
    article: Article
    title_html: str
    snippet_html: str
    score: float | None
    topics: list[Tag] = field(default_factory=list)


@dataclass
class SearchResults:
    params: SearchParams
    understood: Understood
    total: int
    page: int
    page_size: int
    num_pages: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    message: str | None = None


# --- Parameters -----------------------------------------------------------------------
def _values(querydict, *names: str) -> list[str]:
    out: list[str] = []
    for name in names:
        getlist = getattr(querydict, "getlist", None)
        raw = getlist(name) if getlist else querydict.get(name, [])
        if isinstance(raw, str):
            raw = [raw]
        for value in raw or []:
            out.extend(v.strip() for v in str(value).split(",") if v.strip())
    if len(out) > MAX_VALUES:
        raise SearchParamError(_("Too many values for “%(name)s”.") % {"name": names[0]})
    return list(dict.fromkeys(out))


def _last(querydict, *names: str) -> str:
    for name in names:
        values = _values(querydict, name)
        if values:
            return values[-1]
    return ""


def _int(value: str, name: str, *, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SearchParamError(
            _("“%(name)s” must be a whole number, not “%(value)s”.")
            % {"name": name, "value": value[:40]}
        ) from None
    if not low <= number <= high:
        raise SearchParamError(
            _("“%(name)s” must be between %(low)s and %(high)s.")
            % {"name": name, "low": low, "high": high}
        )
    return number


def _date(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SearchParamError(
            _("“%(name)s” must be a date written YYYY-MM-DD, not “%(value)s”.")
            % {"name": name, "value": value[:40]}
        ) from None


_SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def _slugs(values: list[str], name: str) -> list[str]:
    for value in values:
        if len(value) > 200 or not set(value) <= _SLUG_CHARS:
            raise SearchParamError(_("“%(name)s” has an invalid value.") % {"name": name})
    return values


def params_from_query(querydict) -> SearchParams:
    """Validate a GET query (QueryDict or dict); SearchParamError with a readable message."""
    params = SearchParams()
    params.q = str(_last_raw(querydict, "q") or "")
    params.sources = _slugs(_values(querydict, "source"), "source")
    params.topics = _slugs(_values(querydict, "topic"), "topic")
    languages = _values(querydict, "lang", "language")
    valid = {code for code, _label in Language.choices}
    for code in languages:
        if code not in valid:
            raise SearchParamError(
                _("Unknown language “%(value)s”; use one of %(valid)s.")
                % {"value": code[:20], "valid": ", ".join(sorted(valid))}
            )
    params.languages = languages
    date_value = _last(querydict, "date")
    year, month = _last(querydict, "year"), _last(querydict, "month")
    if date_value:
        if date_value == UNDATED:
            year, month = UNDATED, ""
        else:
            year, _sep, month = date_value.partition("-")
    if year == UNDATED:
        params.year = 0
    elif year:
        params.year = _int(year, "year", low=1, high=9999)
    if month:
        if not params.year:
            raise SearchParamError(_("A month needs a year."))
        params.month = _int(month, "month", low=1, high=12)
    params.date_from = _date(_last(querydict, "date_from", "start"), "date_from")
    params.date_to = _date(_last(querydict, "date_to", "end"), "date_to")
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise SearchParamError(_("The start date is after the end date."))
    sort = _last(querydict, "sort") or "relevance"
    if sort not in SORTS:
        raise SearchParamError(
            _("Unknown sort “%(value)s”; use relevance, newest or oldest.") % {"value": sort[:20]}
        )
    params.sort = sort
    page = _last(querydict, "page")
    params.page = _int(page, "page", low=1, high=MAX_PAGE) if page else 1
    size = _last(querydict, "page_size")
    params.page_size = _int(size, "page_size", low=1, high=MAX_PAGE_SIZE) if size else 20
    return params


def _last_raw(querydict, name: str) -> str:
    getlist = getattr(querydict, "getlist", None)
    if getlist:
        values = getlist(name)
        return values[-1] if values else ""
    value = querydict.get(name, "")
    return value[-1] if isinstance(value, list) and value else value


# --- Searching --------------------------------------------------------------------------
_cache_lock = threading.Lock()
_result_cache: "OrderedDict[tuple, _Core]" = OrderedDict()
CACHE_SIZE = 256


@dataclass
class _Core:
    """What a query costs to compute, independent of page rendering."""

    total: int
    ordered: np.ndarray  # docnums in result order (all of them)
    scores: np.ndarray | None  # relevance scores aligned with ``ordered``
    counts: object
    understood: Understood
    runs: set[str]
    words: set[str]
    message: str | None
    suggestion: str | None


def _day_start(day: dt.date) -> int:
    return int(
        timezone.make_aware(
            dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone()
        ).timestamp()
    )


def _filters(params: SearchParams) -> Filters:
    year = None
    month = None
    if params.year == 0:
        year = UNDATED
    elif params.year:
        year = str(params.year)
        if params.month:
            month = f"{params.year:04d}-{params.month:02d}"
    return Filters(
        sources=frozenset(params.sources),
        topics=frozenset(params.topics),
        languages=frozenset(params.languages),
        year=year,
        month=month,
        pub_from=_day_start(params.date_from) if params.date_from else None,
        # The last possible day (9999-12-31) has no "next day": it bounds nothing.
        pub_to=(
            _day_start(params.date_to + dt.timedelta(days=1))
            if params.date_to and params.date_to < dt.date.max
            else None
        ),
    )


def _order_by_date(docs: np.ndarray, cols: Columns, *, newest: bool) -> np.ndarray:
    """Dated documents by date (then id), undated ones after them by id."""
    dated = cols.dated[docs]
    with_date, without = docs[dated], docs[~dated]
    with_date = with_date[np.lexsort((cols.ids[with_date], cols.pub[with_date]))]
    without = without[np.argsort(cols.ids[without], kind="stable")]
    if newest:
        with_date, without = with_date[::-1], without[::-1]
    return np.concatenate((with_date, without))


def _compute(params: SearchParams, searcher, key: tuple, cols: Columns) -> _Core:
    parsed = q_mod.parse(params.q)
    pairs = glossary.load_pairs() if not parsed.empty else []
    also = glossary.expand(parsed, pairs)
    segments = [s for c in parsed.clauses for p in c.pieces for s in p.display]
    folded_q = " ".join(c.raw for c in parsed.clauses)
    understood = Understood(segments=segments, folded=fold(folded_q), also_searched=also)
    runs, words = q_mod.highlight_terms(parsed)
    matches = None if parsed.empty else engine.evaluate(searcher, key, q_mod.build_query(parsed))
    candidates = cols.live if matches is None else matches.docs
    passed, counts = filter_and_count(candidates, cols, _filters(params))
    sort = params.sort
    if matches is None and sort == "relevance":
        sort = "newest"
    scores = None
    if sort == "relevance":
        passed_scores = matches.scores[np.searchsorted(matches.docs, passed)]
        order = np.lexsort((passed, -passed_scores))  # best first; ties in index order
        ordered, scores = passed[order], passed_scores[order]
    else:
        ordered = _order_by_date(passed, cols, newest=sort != "oldest")
    suggestion = None
    if not len(passed) and not parsed.empty:
        suggestion = _suggest(parsed, searcher)
    return _Core(
        total=len(passed),
        ordered=ordered,
        scores=scores,
        counts=counts,
        understood=understood,
        runs=runs,
        words=words,
        message=parsed.message,
        suggestion=suggestion,
    )


def _suggest(parsed, searcher) -> str | None:
    """A "did you mean" built from the index's own vocabulary, or None."""
    changed = False
    out = []
    for clause in parsed.clauses:
        words = []
        for piece in clause.pieces:
            if piece.kind == "run":
                text = piece.folded
                fieldname = "body"
                candidates = searcher.suggest(fieldname, text, limit=1, maxdist=1, prefix=1)
                if candidates and candidates[0] != text:
                    words.append(candidates[0])
                    changed = True
                else:
                    words.append(text)
            else:
                for term, shown in zip(piece.terms, piece.display, strict=False):
                    if searcher.doc_frequency("body", term) or searcher.doc_frequency(
                        "title", term
                    ):
                        words.append(shown)
                        continue
                    candidates = searcher.suggest(
                        "body", term, limit=1, maxdist=2 if len(term) > 4 else 1, prefix=1
                    )
                    if candidates:
                        words.append(candidates[0])
                        changed = True
                    else:
                        words.append(shown)
        out.append(("" if all(ord(c) > 0x2E80 for c in "".join(words)) else " ").join(words))
    return " ".join(out) if changed else None


_labels = PerGeneration()


def _read_labels() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Source names and topic names by slug.

    Read once per index generation: renaming a source or topic re-indexes its
    articles, so a new generation follows every rename.
    """
    sources = dict(Source.objects.values_list("slug", "name"))
    tags = {
        slug: (zh, en) for slug, zh, en in Tag.objects.values_list("slug", "name_zh", "name_en")
    }
    return sources, tags


def _facet_values(params: SearchParams, counts, key: tuple) -> dict[str, list[FacetValue]]:
    sources, tags = _labels.get(key, _read_labels)
    lang_labels = {code: str(label) for code, label in Language.choices}
    selected_sources, selected_topics = set(params.sources), set(params.topics)
    selected_langs = set(params.languages)

    def ordered(counter):
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))

    facets: dict[str, list[FacetValue]] = {
        "source": [
            FacetValue(slug, sources.get(slug, slug), n, slug in selected_sources)
            for slug, n in ordered(counts.source)
            if slug
        ],
        "topic": [
            FacetValue(
                slug,
                (tags[slug][0] if tags.get(slug) else slug)
                if not _english()
                else (tags[slug][1] or tags[slug][0] if tags.get(slug) else slug),
                n,
                slug in selected_topics,
            )
            for slug, n in ordered(counts.topic)
        ],
        "language": [
            FacetValue(code, lang_labels.get(code, code), n, code in selected_langs)
            for code, n in ordered(counts.language)
            if code
        ],
    }
    dates = []
    undated = counts.date.get(UNDATED, 0)
    if params.year and params.year != 0:
        for value, n in sorted(counts.date.items()):
            if value == UNDATED:
                continue
            month = int(value.split("-")[1])
            label = dt.date(params.year, month, 1).strftime("%Y-%m")
            dates.append(FacetValue(value, label, n, params.month == month))
        dates.insert(
            0, FacetValue(str(params.year), str(params.year), sum(counts.date.values()), True)
        )
    else:
        for value, n in sorted(counts.date.items(), reverse=True):
            if value != UNDATED:
                dates.append(FacetValue(value, value, n, False))
        if undated:
            dates.append(FacetValue(UNDATED, _("Undated"), undated, params.year == 0))
    facets["date"] = dates
    return facets


def _english() -> bool:
    from django.utils import translation

    return (translation.get_language() or "").startswith("en")


# What a hit shows of a topic, in the model's field order (as Model.from_db wants it).
_TOPIC_FIELDS = tuple(
    f.attname
    for f in Tag._meta.concrete_fields
    if f.attname in {"id", "slug", "name_zh", "name_en"}
)


def _load_articles(ids: list[int]) -> tuple[dict[int, Article], dict[int, list[Tag]]]:
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


def index_generation() -> tuple | None:
    """The live index generation (for cache keys), or None when there is no index."""
    try:
        return generation_key(get_searcher())
    except SearchUnavailable:
        return None


def warm_up() -> None:
    """Open the index and load the facet columns, so a worker's first search is quick.

    Called by gunicorn in each worker right after the fork (never in the master:
    open index files must not be shared between processes).
    """
    try:
        searcher = get_searcher()
        columns(searcher, generation_key(searcher))
    except SearchUnavailable:
        pass  # no index yet: the first search reports it


def search(params: SearchParams) -> SearchResults:
    """Run a search. Raises SearchParamError for a page past the end, SearchUnavailable."""
    searcher = get_searcher()
    with reading_index(passing=(SearchParamError,)):
        key = generation_key(searcher)
        cols = columns(searcher, key)
        cache_key = (key, params.cache_key())
        with _cache_lock:
            core = _result_cache.get(cache_key)
            if core is not None:
                _result_cache.move_to_end(cache_key)
        if core is None:
            core = _compute(params, searcher, key, cols)
            with _cache_lock:
                _result_cache[cache_key] = core
                while len(_result_cache) > CACHE_SIZE:
                    _result_cache.popitem(last=False)
    num_pages = max(1, math.ceil(core.total / params.page_size)) if core.total else 0
    if params.page > max(num_pages, 1):
        raise PastLastPage(page=params.page, last=max(num_pages, 1))
    start = (params.page - 1) * params.page_size
    page_docs = core.ordered[start : start + params.page_size]
    ids = cols.ids[page_docs].tolist()
    scores = (
        core.scores[start : start + params.page_size].tolist()
        if core.scores is not None
        else [None] * len(ids)
    )
    articles, topics = _load_articles(ids)
    hits = []
    for score, pk in zip(scores, ids, strict=True):
        article = articles.get(pk)
        if article is None:  # deleted since the index was written; the indexer will catch up
            continue
        if params.highlight:
            title_html = highlight.highlight(article.title, core.runs, core.words)
            snippet_html = highlight.snippet(article.body, core.runs, core.words)
        else:
            title_html = highlight.render(article.title, [])
            snippet_html = highlight.render(article.body[: highlight.SNIPPET_CHARS], [])
        hits.append(Hit(article, title_html, snippet_html, score, topics.get(pk, [])))
    facets = _facet_values(params, core.counts, key) if params.facets else {}
    return SearchResults(
        params=params,
        understood=core.understood,
        total=core.total,
        page=params.page,
        page_size=params.page_size,
        num_pages=num_pages,
        hits=hits,
        facets=facets,
        suggestion=core.suggestion,
        message=core.message,
    )


RELATED_TERMS = 6  # distinctive words of an article used to find its neighbours
RELATED_MAX_DF = 0.02  # words in more than this share of articles say little


def related_articles(article: Article, *, limit: int = 5) -> list[Article]:
    """Articles most like this one ("more like this"), best first.

    Scores other articles on this one's most distinctive words (tf-idf over the
    folded title and the start of the body). Rare words only: common ones make
    the query scan most of the index for little gain. The answer is cached per
    index generation, since nothing it depends on changes in between.
    """
    searcher = get_searcher()
    cache_key = (
        "related:"
        + hashlib.sha1(repr((generation_key(searcher), article.pk, limit)).encode()).hexdigest()
    )
    ids = cache.get(cache_key)
    if ids is None:
        with reading_index():
            ids = _related_ids(searcher, article, limit=limit)
        cache.set(cache_key, ids, 3600)
    found = Article.objects.select_related("source").prefetch_related("tags").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _related_ids(searcher, article: Article, *, limit: int) -> list[int]:
    from whoosh import query as wq

    from archive.text import fold, segment, stem

    text = fold(f"{article.title}\n{article.title}\n{(article.body or '')[:3000]}")
    counts: dict[str, int] = {}
    for word, _s, _e in segment(text):
        if len(word) >= 2:
            term = stem(word)
            counts[term] = counts.get(term, 0) + 1
    reader = searcher.reader()
    total = max(searcher.doc_count(), 1)
    scored = []
    for term, tf in counts.items():
        df = reader.doc_frequency("body", term)
        if df <= 1 or (total > 20 and df > total * RELATED_MAX_DF):
            continue
        scored.append((tf * math.log(total / df), term))
    top_terms = [term for _score, term in heapq.nlargest(RELATED_TERMS, scored)]
    if not top_terms:
        return []
    key = generation_key(searcher)
    matches = engine.evaluate(searcher, key, wq.Or([wq.Term("body", t) for t in top_terms]))
    ids = columns(searcher, key).ids[matches.docs]
    others = ids != article.pk
    ids, scores = ids[others], matches.scores[others]
    best = np.lexsort((ids, -scores))[:limit]  # highest score first; ties by id
    return ids[best].tolist()
