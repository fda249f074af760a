"""The distributed engine: the same search on an OpenSearch cluster (``OPENSEARCH_HOSTS``).

Queries and documents arrive analysed by ``archive.text`` (``mapping``), so both
engines find the same articles; the cluster ranks with its own BM25. A page of
results is one request: the cluster groups versions into stories (``collapse``),
counts them and the facets, and sends only the page's hits. Every match (for
exports, and pages past ``MAX_RESULT_WINDOW``) is one request when it fits,
otherwise a point in time read with ``search_after``, so a deep page is as
complete as the first. An unreachable cluster, a missing index or shards that did not answer are
``SearchUnavailable`` (the 503 page), never a partial answer.
"""

import logging

import numpy as np

from archive.search.backend import (
    Found,
    FoundPage,
    SearchBackend,
    SearchRequest,
    SearchUnavailable,
)
from archive.search.generations import PerGeneration
from archive.search.related import distinctive_terms
from archive.search.vocabulary import Vocabulary
from archive.text import ANALYSIS_VERSION, fold, segment, stem

from . import compile, counts, vocabularies, writing
from .client import checked, get_client, reading
from .mapping import MAX_RESULT_WINDOW, SCHEMA_VERSION, term, terms_text
from .vocabularies import VOCABULARY_SECONDS, WORD_FIELDS

logger = logging.getLogger(__name__)

PAGE = MAX_RESULT_WINDOW  # hits per request
KEEP_ALIVE = "2m"
PREFIX_WORDS = 10000  # the most words one prefix lookup reads
# What a search reads of its response (less JSON to parse for thousands of hits).
RESPONSE_FIELDS = "hits.total,hits.hits.sort,aggregations,_shards,timed_out"
# The story count's precision threshold (the cluster's most). The count is an estimate,
# close but not always exact (one story more of 6,233 at 250k): counting exactly with a
# terms aggregation took ten times longer (README, "How the cluster holds the archive").
STORY_COUNT_PRECISION = 40000
# The story of a hit, read with the sort values: after the id (unique), so it never
# changes the order, and no fetch phase is needed for it.
STORY = {"story": {"order": "asc", "missing": "_last", "unmapped_type": "long"}}
NO_STORY = 2**63 - 1  # the sort value of a hit without one
SORT_ORDERS = {  # each ends with the id (the hit's article, a unique tie-break), then the story
    "relevance": [{"_score": "desc"}, {"id": "asc"}, STORY],
    # Dated articles by date (then id), undated ones after them, as the embedded engine.
    "newest": [{"dated": "desc"}, {"pub": "desc"}, {"id": "desc"}, STORY],
    "oldest": [{"dated": "desc"}, {"pub": "asc"}, {"id": "asc"}, STORY],
}


class OpenSearchBackend(SearchBackend):
    """An index behind the alias ``<OPENSEARCH_INDEX_PREFIX>-articles``."""

    # --- reading ---------------------------------------------------------------------------
    def generation(self) -> tuple:
        def ask():
            state = writing.read_state()
            if state is None:
                live = writing.live_indexes()
                if not live:
                    raise SearchUnavailable("the search index has not been built")
                return ("opensearch", live[0], 0)
            return ("opensearch", state["index"], state["changes"])

        return writing.cached_generation(lambda: reading(ask))

    def document_count(self) -> int:
        """Live documents, counted by every shard (a shard without a live copy, as in a red
        cluster, makes it SearchUnavailable: ``/healthz`` reports the index unavailable)."""
        client = get_client()
        return reading(lambda: checked(client.count(index=writing.alias_name())))["count"]

    def health(self) -> dict:
        """The cluster's colour ("green"; "yellow": a replica is missing but every shard
        answers; "red") and how many nodes are in it."""
        client = get_client()
        state = reading(lambda: client.cluster.health(request_timeout=5))
        return {"cluster": state["status"], "nodes": state["number_of_nodes"]}

    def warm_up(self) -> None:
        try:
            self.generation()
        except SearchUnavailable:
            pass  # no cluster or no index yet: the first search reports it

    pages_itself = True

    def search(self, request: SearchRequest) -> Found:
        body, counting, ranked_by_score = _search_body(request)
        body["size"] = 0 if request.counts_only else PAGE
        hits, response = reading(lambda: self._every_hit(body))
        ids, scores = _ids_and_scores(hits, ranked_by_score)
        counted = counting.read(response["aggregations"])
        return Found(
            ids=ids,
            scores=scores,
            counts=counted.counts,
            months=counted.months,
            stories=_stories(hits),
        )

    def search_page(
        self, request: SearchRequest, *, start: int, size: int, grouped: bool
    ) -> FoundPage:
        """The page's hits (the top version of each story when ``grouped``), the
        articles, stories and facet counts in one request; when ``grouped``, a second,
        small one counts the other matching versions of the page's stories."""
        if start + size > MAX_RESULT_WINDOW:  # past what one request reaches
            return super().search_page(request, start=start, size=size, grouped=grouped)
        body, counting, ranked_by_score = _search_body(request, stories=STORY_COUNT_PRECISION)
        body.update({"from": start, "size": size})
        if grouped:
            body["collapse"] = {"field": "story"}
        response = self._search(body, RESPONSE_FIELDS)
        hits = response["hits"].get("hits", [])
        ids, scores = _ids_and_scores(hits, ranked_by_score)
        articles = response["hits"]["total"]["value"]
        # The estimate never says fewer stories than there are versions on the page,
        # nor more than there are articles.
        counted = counting.read(response["aggregations"])
        stories = min(articles, counted.stories)
        other_versions = {}
        if grouped:
            other_versions = self._other_versions(body, hits)
            stories = max(stories, start + len(ids))
        return FoundPage(
            ids=ids,
            scores=scores,
            start=start,
            total=stories if grouped else articles,
            articles=articles,
            stories=stories,
            other_versions=other_versions,
            counts=counted.counts,
            months=counted.months,
        )

    def _other_versions(self, body: dict, hits: list[dict]) -> dict[int, int]:
        """How many other versions of each hit's story match ``body`` too (hits whose
        story has no other version are left out).

        One request counting the page's stories among the matches, unscored. The
        collapse's own ``inner_hits`` would run the whole query again for every hit on
        the page: at 250k that was most of a page's time in the cluster."""
        story_of = {h["sort"][-1]: int(h["sort"][-2]) for h in hits if h["sort"][-1] != NO_STORY}
        if not story_of:
            return {}
        matching = [body["query"], {"terms": {"story": sorted(story_of)}}]
        if "post_filter" in body:
            matching.append(body["post_filter"])
        counted = self._search(
            {
                "size": 0,
                "query": {"bool": {"filter": matching}},
                "aggs": {"versions": {"terms": {"field": "story", "size": len(story_of)}}},
            },
            "aggregations,_shards,timed_out",
        )
        return {
            story_of[bucket["key"]]: bucket["doc_count"] - 1
            for bucket in counted["aggregations"]["versions"]["buckets"]
            if bucket["doc_count"] > 1
        }

    def _search(self, body: dict, filter_path: str | None = None) -> dict:
        """One complete search of the live index (``SearchUnavailable`` otherwise)."""
        client = get_client()
        params = {"allow_partial_search_results": "false"}
        if filter_path:
            params["filter_path"] = filter_path
        return reading(
            lambda: checked(client.search(index=writing.alias_name(), body=body, params=params))
        )

    def _every_hit(self, body: dict) -> tuple[list[dict], dict]:
        """Every hit of ``body`` in order, and the response holding the aggregations."""
        client = get_client()
        first = checked(
            client.search(
                index=writing.alias_name(),
                body=body,
                params={"allow_partial_search_results": "false", "filter_path": RESPONSE_FIELDS},
            )
        )
        total = first["hits"]["total"]["value"]
        if total <= PAGE or not body["size"]:
            return first["hits"].get("hits", []), first
        # More than a page: read them all from one point in time, so no edit between
        # two requests moves an article across a page boundary.
        pit = client.create_pit(index=writing.alias_name(), params={"keep_alive": KEEP_ALIVE})
        pit_id = pit["pit_id"]
        try:
            paged = {**body, "pit": {"id": pit_id, "keep_alive": KEEP_ALIVE}}
            response = checked(client.search(body=paged, params={"filter_path": RESPONSE_FIELDS}))
            hits = list(response["hits"].get("hits", []))
            paged.pop("aggs")
            paged["track_total_hits"] = False
            while len(hits) < response["hits"]["total"]["value"]:
                page = checked(
                    client.search(
                        body={**paged, "search_after": hits[-1]["sort"]},
                        params={"filter_path": RESPONSE_FIELDS},
                    )
                )
                more = page.get("hits", {}).get("hits", [])
                if not more:
                    break
                hits.extend(more)
            return hits, response
        finally:
            try:
                client.delete_pit(body={"pit_id": [pit_id]})
            except Exception:  # it expires by itself
                logger.debug("opensearch: could not delete a point in time", exc_info=True)

    def related(self, article_id: int, text: str, *, limit: int) -> list[int]:
        words = {stem(word) for word, _s, _e in segment(fold(text)) if len(word) >= 2}
        total = self.document_count()
        frequencies = self._body_frequencies(sorted(words), article_id=article_id, total=total)
        terms = distinctive_terms(text, frequency=lambda t: frequencies.get(t, 0), total=total)
        if not terms:
            return []
        body = {
            "query": {
                "bool": {
                    "should": [{"term": {"body": term(t)}} for t in terms],
                    "minimum_should_match": 1,
                    "must_not": [{"ids": {"values": [str(article_id)]}}],
                }
            },
            "sort": SORT_ORDERS["relevance"],
            "size": limit,
            "_source": False,
        }
        response = self._search(body)
        return [int(h["_id"]) for h in response["hits"]["hits"]]

    def _body_frequencies(self, words: list[str], *, article_id: int, total: int) -> dict:
        """About how many articles hold each of ``words`` in the body (one request).

        The term statistics of the article's own shard (``_termvectors`` of the words as
        a document routed like the article) scaled to the whole index: the article
        itself counts once, exactly, so a word only it holds stays at 1. Choosing an
        article's distinctive words needs only their rough rarity, and a terms
        aggregation, exact, reads every article's words (about 0.3 s at 61k articles).
        """
        if not words:
            return {}
        body = {
            "doc": {"body": terms_text(words)},
            "fields": ["body"],
            "term_statistics": True,
            "field_statistics": True,
            "positions": False,
            "offsets": False,
        }
        response = reading(
            lambda: get_client().termvectors(
                index=writing.alias_name(), body=body, params={"routing": str(article_id)}
            )
        )
        vector = response.get("term_vectors", {}).get("body") or {}
        in_shard = (vector.get("field_statistics") or {}).get("doc_count") or 0
        scale = total / in_shard if in_shard else 1.0
        in_shard_counts = {t: s.get("doc_freq", 0) for t, s in (vector.get("terms") or {}).items()}
        in_index = {}
        for word in words:
            in_shard_count = in_shard_counts.get(term(word), 0)
            in_index[word] = 1 + round((in_shard_count - 1) * scale) if in_shard_count else 0
        return in_index

    def word_frequency(self, word: str) -> int:
        vocabulary = self._exact_vocabulary()  # read already: no request
        if vocabulary is not None:
            return vocabulary.count(term(word))
        body = {
            "size": 0,
            "aggs": {field: {"filter": {"term": {field: term(word)}}} for field in WORD_FIELDS},
        }
        response = self._search(body)
        # The larger of title and body, as the embedded engine counts.
        return max(response["aggregations"][field]["doc_count"] for field in WORD_FIELDS)

    def similar_words(self, word: str, *, max_distance: int) -> list[str]:
        if len(word) < 2:
            return []
        body = {
            "size": 0,
            "aggs": {"itself": {"filter": {"term": {"body_words": term(word)}}}},
            "suggest": {
                "words": {
                    "text": term(word),
                    "term": {
                        "field": "body",
                        "suggest_mode": "always",
                        "max_edits": max(1, min(max_distance, 2)),
                        "prefix_length": 1,
                        "min_word_length": 2,
                        "accuracy": 0.0,
                        "max_term_freq": 0.99,
                        "size": 20,
                        "sort": "frequency",
                    },
                }
            },
        }
        response = self._search(body)
        if response["aggregations"]["itself"]["doc_count"]:
            return [word]
        options = [
            (levenshtein(word, o["text"]), -o["freq"], o["text"])
            for entry in response["suggest"]["words"]
            for o in entry["options"]
        ]
        # Nearest first, then the most frequent, as Whoosh's corrector ranks them.
        best = sorted(o for o in options if o[0] <= max_distance)
        return [text for _d, _f, text in best[:1]]

    def words_with_prefix(self, prefix: str, *, limit: int) -> tuple[list[tuple[str, int]], int]:
        if not prefix:
            return [], 0
        vocabulary = self._exact_vocabulary()  # read already: no request
        if vocabulary is not None:
            return vocabulary.with_prefix(prefix, limit=limit)
        include = "".join(ch if ch.isalnum() else "\\" + ch for ch in term(prefix)) + ".*"
        body = {
            "size": 0,
            # Only the articles holding such a word are counted: a quarter of the time of
            # counting every article's words (econom* at 250k), and the same counts.
            "query": {
                "bool": {"should": [{"prefix": {field: term(prefix)}} for field in WORD_FIELDS]}
            },
            "aggs": {
                field: {
                    "terms": {
                        "field": field,
                        "include": include,
                        "size": PREFIX_WORDS,
                        "shard_size": PREFIX_WORDS,
                    }
                }
                for field in WORD_FIELDS
            },
        }
        response = self._search(body)
        merged: dict[str, int] = {}
        for field in WORD_FIELDS:
            for bucket in response["aggregations"][field]["buckets"]:
                word = bucket["key"]
                if word.startswith(prefix):
                    merged[word] = max(merged.get(word, 0), bucket["doc_count"])
        return Vocabulary(merged).with_prefix(prefix, limit=limit)

    def vocabulary(self):
        generation = self.generation()
        held = _vocabularies.get(generation, lambda: self._read_vocabulary(generation))
        return held[0].items()

    def _exact_vocabulary(self) -> "Vocabulary | None":
        """The vocabulary held when it is exactly the live generation's (not a copy some
        batches behind): prefixes and word counts follow every edit."""
        held = _vocabularies.peek(self.generation())
        return held[0] if held is not None and held[1] else None

    def _read_vocabulary(self, generation: tuple) -> tuple["Vocabulary", bool]:
        """The copy the writer keeps in the cluster of the live index (``vocabularies``),
        even one some batches behind (the writer is rereading it, and reading the whole
        index in a web worker takes far longer); else every word read from the index. And
        whether it is exactly ``generation``'s."""
        client = get_client()
        _engine, index, changes = generation
        kept = vocabularies.load(client, store=writing.state_index())
        if kept is not None and kept.index == index:
            if not kept.serves(index, changes):
                logger.info("opensearch: the vocabulary kept is behind the index; using it")
            return kept.vocabulary, kept.changes == changes
        return reading(lambda: vocabularies.read_from_index(client, writing.alias_name())), True

    def indexed_ids(self) -> set[int]:
        client = get_client()
        ids: set[int] = set()
        body = {"query": {"match_all": {}}, "sort": [{"id": "asc"}], "size": PAGE, "_source": False}
        after = None
        while True:
            page_body = body if after is None else {**body, "search_after": after}
            response = reading(
                lambda page_body=page_body: checked(
                    client.search(
                        index=writing.alias_name(),
                        body=page_body,
                        params={"filter_path": "hits.hits.sort,_shards,timed_out"},
                    )
                )
            )
            hits = (response.get("hits") or {}).get("hits") or []
            if not hits:
                return ids
            ids.update(int(h["sort"][0]) for h in hits)
            after = hits[-1]["sort"]

    # --- writing ---------------------------------------------------------------------------
    def exists(self) -> bool:
        return bool(reading(writing.live_indexes))

    def is_current(self) -> bool:
        client = get_client()
        mappings = reading(lambda: client.indices.get_mapping(index=writing.alias_name()))
        meta = next(iter(mappings.values()))["mappings"].get("_meta") or {}
        return meta.get("schema") == SCHEMA_VERSION and meta.get("analysis") == ANALYSIS_VERSION

    def batch(self):
        return writing.live_batch()

    def rebuild(self, documents, *, expected: int, progress=None, **options) -> int:
        """``options``: ``procs`` (processes analysing documents; others are ignored)."""
        return writing.build_index(
            documents, expected=expected, progress=progress, procs=options.get("procs")
        )

    def clear(self) -> None:
        writing.clear()

    def maintain(self, *, full: bool | None = None) -> str:
        return writing.merge(full=full)


def _vocabulary_still_serves(held: tuple, wanted: tuple, age: float) -> bool:
    """Reading the vocabulary is a pass of terms aggregations over the whole index, so an
    edit does not make it stale at once: within one index it is reread when it is older
    than ``VOCABULARY_SECONDS`` (a rebuild, a new index, rereads it at once). Prefix
    searches use it only for the very generation it was read from (``peek``)."""
    return held[:2] == wanted[:2] and age < VOCABULARY_SECONDS


_vocabularies = PerGeneration(reuse=_vocabulary_still_serves)


def _search_body(
    request: SearchRequest, *, stories: int | None = None
) -> tuple[dict, counts.Counting, bool]:
    """The request body of ``request`` without its size (``stories``: counting the
    stories too), how to read its counts, and whether it ranks by score."""
    query, ranked = compile.search_query(request.query)
    counting = counts.counting(request.filters, stories=stories)
    if counting.query_filter is not None:
        query = {"bool": {"must": [query], "filter": [counting.query_filter]}}
    sort = request.sort if ranked or request.sort != "relevance" else "newest"
    body = {
        "query": query,
        "aggs": counting.aggs,
        "sort": SORT_ORDERS[sort],
        "track_total_hits": True,
        # No fetch phase: a hit's id and story are its last two sort values.
        "_source": False,
        "stored_fields": "_none_",
    }
    if counting.post_filter is not None:
        body["post_filter"] = counting.post_filter
    return body, counting, sort == "relevance"


def _ids_and_scores(hits: list[dict], ranked_by_score: bool):
    """The hits' article ids and, ranked by relevance, their scores (numpy arrays)."""
    ids = np.fromiter((h["sort"][-2] for h in hits), dtype=np.int64, count=len(hits))
    scores = None
    if ranked_by_score:
        scores = np.fromiter((h["sort"][0] for h in hits), dtype=np.float64, count=len(hits))
    return ids, scores


def _stories(hits: list[dict]) -> np.ndarray | None:
    """The story of each hit (``documents.article_document``'s ``story``), None without."""
    stories = np.fromiter((h["sort"][-1] for h in hits), dtype=np.int64, count=len(hits))
    return None if (stories == NO_STORY).any() else stories


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
