"""haystack's engine API over ours: ``SearchQuerySet``, its commands and template tags.

``HAYSTACK_CONNECTIONS["default"]["ENGINE"]`` names an engine class of a backend
package (``archive.search.backends.whoosh.engine.WhooshEngine``); its haystack
backend wraps one of our ``SearchBackend``s, which the whole site uses through
``backend.get_backend()``. So ``SearchQuerySet().filter(content="稀土").facet("source")``
runs the site's own search (the same articles, order and facet counts: each
facet counts what the *other* filters pass), and haystack's ``update_index``,
``clear_index`` and ``{% more_like_this %}`` go through our single writer and
generations.

A haystack query becomes the search page's own parameters (``q=…&source=…``),
so ``raw_search`` takes those too. Supported: ``content`` (words, ``Exact``
phrases, OR, exclusion), each facet of ``facets.FACETS`` (by its name or its
document field, ``__in`` for several), ``year``, ``month``, ``pub__gte``/
``pub__lte`` (dates), ``order_by("-pub" | "pub" | "score")``. Anything else
raises ``UnsupportedQuery``, never a silent wrong answer.
"""

import datetime as dt
from urllib.parse import urlencode

from django.http import QueryDict
from haystack.backends import BaseEngine, BaseSearchBackend, BaseSearchQuery, SearchNode
from haystack.constants import DJANGO_ID
from haystack.inputs import Exact
from haystack.models import SearchResult

from archive.search.facets import BY_NAME, FACETS
from archive.search.params import params_from_query

CONTENT_FIELDS = {"content", "text"}
DATE_FIELDS = {"pub", "published", "published_at"}
# haystack's order_by() fields, as the site's sorts.
ORDERINGS = {
    "score": "relevance",
    "-score": "relevance",
    **dict.fromkeys(DATE_FIELDS, "oldest"),
    **{f"-{name}": "newest" for name in DATE_FIELDS},
}
MORE_LIKE_THIS_LIMIT = 20


class UnsupportedQuery(ValueError):
    """A haystack query this archive's search cannot express."""


def _facet_for(field: str):
    """The facet a haystack field names: by name or document field; haystack asks for a
    faceted field as ``<field>_exact``."""
    field = field.removesuffix("_exact")
    return BY_NAME.get(field) or next((f for f in FACETS if f.field == field), None)


def _text(value) -> str:
    return str(getattr(value, "query_string", value))


class ArchiveSearchQuery(BaseSearchQuery):
    """Builds the search page's query string from haystack's filter tree."""

    def build_query(self) -> str:
        words, params = self._node(self.query_filter, negated=False)
        pairs = [("q", words)] if words else []
        return urlencode(pairs + params)

    def matching_all_fragment(self) -> str:
        return ""

    def build_query_fragment(self, field, filter_type, value):  # pragma: no cover - unused
        raise UnsupportedQuery("ArchiveSearchQuery builds whole queries (build_query)")

    def _node(self, node: SearchNode, *, negated: bool) -> tuple[str, list[tuple[str, str]]]:
        negated = negated != bool(node.negated)
        texts, params = [], []
        for child in node.children:
            if isinstance(child, SearchNode):
                text, more = self._node(child, negated=negated)
            else:
                expression, value = child
                field, filter_type = node.split_expression(expression)
                text, more = self._leaf(field, filter_type, value, negated=negated)
            if more and node.connector == SearchNode.OR and len(node.children) > 1:
                raise UnsupportedQuery("filters can only be combined with AND")
            if text:
                texts.append(text)
            params.extend(more)
        joiner = " OR " if node.connector == SearchNode.OR else " "
        return joiner.join(texts), params

    def _leaf(self, field, filter_type, value, *, negated: bool):
        if field in CONTENT_FIELDS:
            text = _text(value).strip()
            if filter_type == "exact" or isinstance(value, Exact):
                text = '"' + text.replace('"', " ") + '"'
            if negated:
                text = " ".join(f"-{word}" for word in text.split())
            return text, []
        if negated:
            raise UnsupportedQuery(f"a filter on “{field}” cannot be negated")
        facet = _facet_for(field)
        if facet is not None and not facet.by_date:
            values = value if filter_type == "in" else [value]
            return "", [(facet.name, _text(v)) for v in values]
        if field in {"year", "month"}:  # "2024" or "2024-05": the search page's date
            return "", [("date", _text(value))]
        if field in DATE_FIELDS and filter_type in {"gte", "gt", "lte", "lt"}:
            day = value.date() if isinstance(value, dt.datetime) else value
            if filter_type == "gt":
                day = day + dt.timedelta(days=1)
            if filter_type == "lt":
                day = day - dt.timedelta(days=1)
            return "", [("start" if filter_type in {"gte", "gt"} else "end", day.isoformat())]
        raise UnsupportedQuery(f"the archive cannot filter on “{field}__{filter_type}”")


class ArchiveHaystackBackend(BaseSearchBackend):
    """haystack's backend API over one of our engines (``archive_class``)."""

    archive_class = None  # a SearchBackend subclass, set by each engine package

    def __init__(self, connection_alias, **connection_options):
        super().__init__(connection_alias, **connection_options)
        self.archive = self.archive_class()

    # --- writing: through the single writer -------------------------------------------------
    def update(self, index, iterable, commit=True):
        from archive.search.indexer import write_now

        write_now(obj.pk for obj in iterable)

    def remove(self, obj_or_string, commit=True):
        from archive.search.indexer import write_now

        pk = getattr(obj_or_string, "pk", None)
        if pk is None:
            pk = int(str(obj_or_string).rsplit(".", 1)[-1])
        write_now([pk])  # gone from the database: its document is deleted

    def clear(self, models=None, commit=True):
        from archive.search.indexer import clear

        clear()

    # --- reading ------------------------------------------------------------------------
    def search(self, query_string, **kwargs):
        from archive.search import service

        query = QueryDict(query_string or "", mutable=True)
        for narrow in kwargs.get("narrow_queries") or ():
            for key, values in QueryDict(narrow).lists():
                query.setlist(key, query.getlist(key) + values)
        sort_by = kwargs.get("sort_by") or []
        if sort_by:
            if sort_by[0] not in ORDERINGS:
                raise UnsupportedQuery(f"the archive cannot sort by “{sort_by[0]}”")
            query["sort"] = ORDERINGS[sort_by[0]]
        params = params_from_query(query)
        start = kwargs.get("start_offset") or 0
        end = kwargs.get("end_offset")
        _generation, core = service.find(params, limit=end)
        ids = core.ids[start:end].tolist()
        scores = core.scores[start:end].tolist() if core.scores is not None else [0] * len(ids)
        result_class = kwargs.get("result_class") or SearchResult
        facets = {}
        for field in kwargs.get("facets") or {}:
            facet = _facet_for(field)  # "year" is the date facet's field
            if facet is None:
                raise UnsupportedQuery(f"the archive has no facet “{field}”")
            counts = core.counts[facet.name]
            facets[field] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return {
            "results": [
                result_class("archive", "article", pk, score, **{DJANGO_ID: str(pk)})
                for pk, score in zip(ids, scores, strict=True)
            ],
            "hits": core.total,
            "facets": {"fields": facets, "dates": {}, "queries": {}} if facets else {},
            "spelling_suggestion": core.suggestion,
        }

    def more_like_this(self, model_instance, additional_query_string=None, **kwargs):
        from archive.search.related import related_articles

        found = related_articles(model_instance, limit=MORE_LIKE_THIS_LIMIT)
        result_class = kwargs.get("result_class") or SearchResult
        return {
            "results": [result_class("archive", "article", a.pk, 0) for a in found],
            "hits": len(found),
        }


class ArchiveEngine(BaseEngine):
    backend = ArchiveHaystackBackend
    query = ArchiveSearchQuery
