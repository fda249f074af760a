"""The index: its settings and mapping, and an engine-neutral document as its fields.

All text analysis happens here in Python with ``archive.text`` (the one analysis the
embedded engine uses too), and the cluster only splits what it is sent:

- ``title``/``body``: jieba words, Porter-stemmed, joined by spaces and split on
  spaces (``archive_terms``), so positions are consecutive words (ranking, word
  phrases, proximity in words);
- ``grams`` (title, a newline, body) and ``tgrams`` (title): the folded text with
  every character that is not Chinese replaced by ``_``, indexed one term per
  character at its character offset (``archive_chars``; the ``_`` terms are dropped
  but keep their positions), and in ``.bi`` the bigrams at the offset of their first
  character. Any Chinese substring is then an exact phrase of bigrams (or a single
  character), and a distance in characters is a distance in positions;
- ``title_words``/``body_words``: each field's distinct words as keywords, for
  document frequencies, prefixes and the vocabulary;
- every other document field (``source``, ``topics``, ``language``, ``year``,
  ``month`` and any added later) is a keyword; ``pub`` a number; ``dated`` whether
  the article has a date; ``calendar`` its year, month and language in one keyword
  (``counts``).
"""

import re

from django.conf import settings

from archive.search.documents import UNDATED
from archive.text import ANALYSIS_VERSION, fold, is_chinese, word_terms

SCHEMA_VERSION = 3  # what this module writes; another one is rebuilt (``is_current``)
# Hits one request may return: a search reads every match in order, so common words
# take one or two requests (a point in time with search_after beyond this).
MAX_RESULT_WINDOW = 50000
MAX_TERM_CHARS = 1000  # longer words are cut (on both sides) to stay a single token
FILLER = "_"
CALENDAR = "calendar"  # the keyword "<year> <month> <language>" (``counts``)
TEXT_FIELDS = ("title", "body", "grams", "tgrams", "title_words", "body_words")
# What Java's whitespace tokenizer splits on, so a word never becomes two tokens.
_JAVA_SPACE = re.compile(
    "[\t-\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_NOT_CJK = re.compile(r"[^\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def term(word: str) -> str:
    """A word as the cluster's ``archive_terms`` analyzer will see it: one token. An empty
    word (the stem of the "s" of "Mexico's") is the filler, so it keeps its position as it
    does in the embedded engine and distances in words stay the same."""
    return _JAVA_SPACE.sub(FILLER, word[:MAX_TERM_CHARS]) or FILLER


def terms_text(terms: list[str]) -> str:
    return " ".join(term(t) for t in terms)


def cjk_text(folded: str) -> str:
    """Folded text with every non-Chinese character as ``_`` (same length, same offsets)."""
    return _NOT_CJK.sub(FILLER, folded)


def index_settings(*, replicas: int | None = None, building: bool = False) -> dict:
    """Settings of a new index (``building``: no refreshes or replicas while it fills)."""
    return {
        "index": {
            "number_of_shards": settings.OPENSEARCH_SHARDS,
            "number_of_replicas": 0
            if building
            else (settings.OPENSEARCH_REPLICAS if replicas is None else replicas),
            "refresh_interval": "-1" if building else "1s",
            "max_result_window": MAX_RESULT_WINDOW,
        },
        "analysis": {
            "tokenizer": {
                "archive_space": {"type": "whitespace", "max_token_length": MAX_TERM_CHARS * 2},
                "archive_char": {"type": "ngram", "min_gram": 1, "max_gram": 1},
                "archive_pair": {"type": "ngram", "min_gram": 2, "max_gram": 2},
            },
            "filter": {
                "archive_no_filler": {"type": "stop", "stopwords": [FILLER]},
                "archive_filler_pairs": {
                    "type": "pattern_replace",
                    "pattern": f"^.*{FILLER}.*$",
                    "replacement": "",
                },
                "archive_not_empty": {"type": "length", "min": 1},
            },
            "analyzer": {
                "archive_terms": {"type": "custom", "tokenizer": "archive_space"},
                "archive_chars": {
                    "type": "custom",
                    "tokenizer": "archive_char",
                    "filter": ["archive_no_filler"],
                },
                "archive_pairs": {
                    "type": "custom",
                    "tokenizer": "archive_pair",
                    "filter": ["archive_filler_pairs", "archive_not_empty"],
                },
            },
        },
    }


def _grams_field() -> dict:
    return {
        "type": "text",
        "analyzer": "archive_chars",
        "fields": {"bi": {"type": "text", "analyzer": "archive_pairs"}},
    }


def index_mappings() -> dict:
    words = {"type": "text", "analyzer": "archive_terms"}
    keyword = {"type": "keyword", "ignore_above": MAX_TERM_CHARS * 4}
    # Counted by most searches: global ordinals built at refresh, not by the next search.
    facet = {"type": "keyword", "eager_global_ordinals": True}
    return {
        "_meta": {"schema": SCHEMA_VERSION, "analysis": ANALYSIS_VERSION},
        "_source": {"excludes": list(TEXT_FIELDS)},
        "dynamic_templates": [
            {"values": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}
        ],
        "properties": {
            "id": {"type": "long"},
            "title": words,
            "body": words,
            "grams": _grams_field(),
            "tgrams": _grams_field(),
            "title_words": keyword,
            "body_words": keyword,
            "pub": {"type": "long"},
            "story": {"type": "long"},
            "dated": {"type": "boolean"},
            "source": facet,
            "topics": facet,
            "language": facet,
            "year": facet,
            "month": facet,
            CALENDAR: facet,
        },
    }


def index_fields(document: dict) -> dict:
    """An engine-neutral document (``archive.search.documents``) as this index's fields."""
    title, body = document["title"], document["body"]
    title_folded, body_folded = fold(title), fold(body)
    title_terms, body_terms = word_terms(title_folded), word_terms(body_folded)
    fields = {key: value for key, value in document.items() if key not in ("title", "body", "id")}
    fields.update(
        id=int(document["id"]),
        title=terms_text(title_terms),
        body=terms_text(body_terms),
        grams=cjk_text(fold(f"{title}\n{body}")),
        tgrams=cjk_text(title_folded),
        title_words=sorted({term(t) for t in title_terms}),
        body_words=sorted({term(t) for t in body_terms}),
        dated=bool(document.get("year")) and document.get("year") != UNDATED,
    )
    fields[CALENDAR] = calendar_value(document)
    return fields


def calendar_value(document: dict) -> str:
    """An engine-neutral document's ``calendar`` keyword."""
    return f"{document['year']} {document['month']} {document['language']}"


def run_pieces(run: str) -> tuple[str, str]:
    """(field suffix, text) matching exactly the documents containing the Chinese ``run``."""
    assert is_chinese(run), run
    return ("", run) if len(run) == 1 else (".bi", run)
