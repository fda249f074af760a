"""Differential test: the NumPy engine matches exactly what Whoosh's own searcher matches.

A real index (our schema and codec) is built once for the module from sentences
of the seed files, in several segments, with deleted and replaced documents and
one segment in Whoosh's stock posting format. Random reader queries (Chinese in
both scripts, English, AND, OR, -exclusion, "phrases") go through the query
parser to Whoosh query objects (``query.build_query``); random query trees over
every text field exercise the engine's other paths. For each, the set of
documents ``engine.evaluate`` returns must equal the set Whoosh's searcher
returns for the equivalent query (``reference``).

The equivalent query spells ``AndNot(a, b)`` as ``And([a, Not(b)])``: Whoosh
2.7.4's own ``AndNotMatcher`` is wrong. It checks the first document of ``a``
against ``b`` only when ``b`` happens to start on that same document, so
``o -包`` kept a document containing 包 (``test_whoosh_andnot_keeps_an_excluded_document``).
"""

import random
import re

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec

from archive.search import query as q_mod
from archive.search.backends.whoosh import compile, storage
from archive.search.backends.whoosh import evaluate as engine
from archive.search.backends.whoosh.analysis import GramAnalyzer, WordAnalyzer
from archive.search.backends.whoosh.storage import generation_key, get_searcher
from archive.search.backends.whoosh.writing import WRITER_OPTIONS
from archive.text import fold, to_traditional
from tests.conftest import SEEDS_DIR

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ENGLISH = [
    "Rare earth prices rose sharply as traders in Baotou reported strong demand.",
    "The housing policy was announced after a long debate on public housing.",
    "Permanent magnets are used in electric motors and wind turbines.",
    "Policy makers said the rare earth industry must upgrade its smelting.",
    "Prices of magnets fell; the market for motors grew.",
    "Baotou is the rare earth capital of China.",
]


def _sentences() -> list[str]:
    """Sentences of the seed files (front matter and markup dropped), plus some English."""
    out = list(ENGLISH)
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"(?s)\A\s*---.*?\n---", " ", text)
        text = re.sub(r"<[^>]+>", " ", text)
        for part in re.split(r"(?<=[。！？!?；])|(?<=\. )|\n+", text):
            part = " ".join(part.split())
            if 4 <= len(part) <= 300:
                out.append(part)
    return out


SENTENCES = _sentences()


def _documents(count: int = 90) -> list[tuple[str, str]]:
    """(title, body) pairs mixing seed sentences; some in traditional characters."""
    rng = random.Random(20261202)
    docs = []
    for n in range(count):
        title = rng.choice(SENTENCES)[:40]
        body = " ".join(rng.sample(SENTENCES, rng.randint(1, 5)))
        if n % 5 == 0:
            title, body = to_traditional(title), to_traditional(body)
        docs.append((title, body))
    return docs


DOCUMENTS = _documents()


def _terms(analyzer, texts) -> list[str]:
    return sorted({token.text for text in texts for token in analyzer(text)})


WORDS = _terms(WordAnalyzer(), [t for d in DOCUMENTS for t in d])
GRAMS = _terms(GramAnalyzer(), [t for d in DOCUMENTS for t in d])
# What a reader types: jieba words as written (either script), substrings, English words.
TYPED = sorted(
    {w for s in SENTENCES for w in re.findall(r"[A-Za-z]{2,}", s)}
    | {s[i : i + n] for s in SENTENCES[::3] for n in (1, 2, 3, 4) for i in range(0, 12, 5)}
    | {to_traditional(w) for w in WORDS if not w.isascii()}
)
TYPED = [w for w in TYPED if w.strip() and '"' not in w]


def _document(n: int, title: str, body: str) -> dict:
    return {
        "id": str(n),
        "title": title,
        "body": body,
        "grams": f"{title}\n{body}",
        "tgrams": title,
    }


@pytest.fixture(scope="module")
def built_index(tmp_path_factory):
    """The module's index: four segments, one in Whoosh's stock format, with deletions."""
    root = tmp_path_factory.mktemp("differential") / "index"
    with override_settings(ARCHIVE_INDEX_DIR=root):
        path, ix = storage.new_generation()
        batches = [DOCUMENTS[:30], DOCUMENTS[30:55], DOCUMENTS[55:80]]
        start = 0
        for i, batch in enumerate(batches):
            options = {**WRITER_OPTIONS, "codec": W3Codec()} if i == 1 else WRITER_OPTIONS
            writer = ix.writer(**options)
            for offset, (title, body) in enumerate(batch):
                writer.add_document(**_document(start + offset, title, body))
            writer.commit(merge=False)
            start += len(batch)
        writer = ix.writer(**WRITER_OPTIONS)
        for n in (3, 31, 32, 60):  # deleted in place, in three segments
            writer.delete_by_term("id", str(n))
        for n in (5, 40):  # replaced: deleted where it was, added to the new segment
            writer.update_document(**_document(n, *DOCUMENTS[n + 1]))
        for offset, (title, body) in enumerate(DOCUMENTS[80:]):
            writer.add_document(**_document(80 + offset, title, body))
        writer.commit(merge=False)
        ix.close()
        storage.publish(path)
    return root


@pytest.fixture
def index_dir(built_index, settings):
    """Every test here reads the module's index (overrides conftest's empty one)."""
    settings.ARCHIVE_INDEX_DIR = built_index
    return built_index


def reference(query: wq.Query) -> wq.Query:
    """The same matches in the Whoosh query types whose matchers are right (see above).

    ``AndNot(a, b)`` becomes ``And([a, Not(b)])``; ``AndMaybe(a, b)`` matches
    what ``a`` matches (``b`` only adds to scores).
    """
    if isinstance(query, wq.AndNot):
        return wq.And([reference(query.a), wq.Not(reference(query.b))])
    if isinstance(query, wq.AndMaybe):
        return reference(query.a)
    if isinstance(query, wq.And | wq.Or):
        return type(query)([reference(sub) for sub in query.subqueries])
    return query


def whoosh_docs(searcher, query: wq.Query) -> set[int]:
    """Documents Whoosh's searcher matches for the equivalent of ``query``."""
    return set(searcher.search(reference(query), limit=None, scored=False).docs())


def engine_docs(searcher, query: wq.Query) -> set[int]:
    return set(engine.evaluate(searcher, generation_key(searcher), query).docs.tolist())


def test_index_has_the_shapes_the_engine_must_handle(index_dir):
    searcher = get_searcher()
    leaves = searcher.reader().leaf_readers()
    assert len(leaves) >= 4
    assert any(leaf.has_deletions() for leaf, _offset in leaves)
    assert searcher.doc_count() == len(DOCUMENTS) - 4
    # Both scripts, both languages: the same query finds traditional and simplified text.
    rare_earth = whoosh_docs(searcher, compile.build_query(q_mod.parse("稀土")))
    assert len(rare_earth) > 20
    assert whoosh_docs(searcher, compile.build_query(q_mod.parse("稀土"))) == rare_earth
    assert whoosh_docs(searcher, compile.build_query(q_mod.parse("magnets")))


# --- Reader queries through the parser ----------------------------------------------------
TYPED_WORD = st.sampled_from(TYPED)
ITEM = st.one_of(
    TYPED_WORD,
    TYPED_WORD.map(lambda w: f"-{w}"),
    st.lists(TYPED_WORD, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
    st.lists(TYPED_WORD, min_size=1, max_size=3).map("".join),  # run-together words
    st.just("OR"),
    st.sampled_from(["nosuchword", "磁悬浮列车", "Magnets", "HOUSING", "稀土", "包頭"]),
)
READER_QUERY = st.lists(ITEM, min_size=1, max_size=6).map(" ".join)


@FUZZ
@given(q=READER_QUERY)
@example(q="o -包")  # Whoosh's own AndNot keeps a document with 包 here
@example(q='"稀土 产业" OR 包頭 -magnets')
def test_engine_matches_whoosh_for_reader_queries(index_dir, q):
    parsed = q_mod.parse(q)
    if not parsed.clauses:  # nothing or only exclusions: the backend filters all articles
        return
    query = compile.build_query(parsed)
    searcher = get_searcher()
    assert engine_docs(searcher, query) == whoosh_docs(searcher, query), (q, query)


# --- Query trees over every field ------------------------------------------------------------
def _leaf(field: str, vocabulary: list[str]):
    word = st.one_of(st.sampled_from(vocabulary), st.just("zzz-absent"))
    return st.one_of(
        word.map(lambda w: wq.Term(field, w)),
        st.lists(word, min_size=2, max_size=4).map(lambda ws: wq.Phrase(field, ws)),
    )


def _phrase_from_text(field: str, analyzer):
    """A phrase taken from a document's own token sequence, so that it often matches."""

    def build(args):
        (title, body), start, length = args
        tokens = [t.text for t in analyzer(body if field in ("body", "grams") else title)]
        words = tokens[start % max(len(tokens), 1) :][:length] or ["zzz-absent"]
        return wq.Phrase(field, words) if len(words) > 1 else wq.Term(field, words[0])

    return st.tuples(st.sampled_from(DOCUMENTS), st.integers(0, 60), st.integers(2, 4)).map(build)


LEAF = st.one_of(
    _leaf("title", WORDS),
    _leaf("body", WORDS),
    _leaf("grams", GRAMS),
    _leaf("tgrams", GRAMS),
    _phrase_from_text("body", WordAnalyzer()),
    _phrase_from_text("grams", GramAnalyzer()),
    _phrase_from_text("tgrams", GramAnalyzer()),
)


def _compound(children):
    pair = st.tuples(children, children)
    return st.one_of(
        st.lists(children, min_size=1, max_size=4).map(wq.And),
        st.lists(children, min_size=1, max_size=4).map(wq.Or),
        pair.map(lambda ab: wq.AndMaybe(*ab)),
        pair.map(lambda ab: wq.AndNot(*ab)),
    )


TREE = st.recursive(LEAF, _compound, max_leaves=8)


@FUZZ
@given(query=TREE)
@example(query=wq.AndNot(wq.And([wq.Term("tgrams", "一")]), wq.Term("title", "01")))
def test_engine_matches_whoosh_for_query_trees(index_dir, query):
    searcher = get_searcher()
    assert engine_docs(searcher, query) == whoosh_docs(searcher, query), query


def test_engine_matches_whoosh_for_phrases_of_every_document(index_dir):
    """Each live document's opening words (and Chinese run) as a phrase find it."""
    searcher = get_searcher()
    reader = searcher.reader()
    checked = 0
    for docnum in reader.all_doc_ids():
        n = int(searcher.stored_fields(docnum)["id"])
        title, body = DOCUMENTS[n + 1] if n in (5, 40) else DOCUMENTS[n]
        queries = [
            wq.Phrase("body", [t.text for t in WordAnalyzer()(body)][:3]),
            wq.Phrase("title", [t.text for t in WordAnalyzer()(title)][:3]),
        ]
        runs = re.findall(r"[\u4e00-\u9fff]{2,6}", fold(body))
        if runs:
            queries.append(compile._run_required(runs[0]))
        for query in queries:
            if isinstance(query, wq.Phrase) and len(query.words) < 2:
                continue
            found = engine_docs(searcher, query)
            assert found == whoosh_docs(searcher, query), query
            assert docnum in found, query
            checked += 1
    assert checked > 150


def test_whoosh_andnot_keeps_an_excluded_document(index_dir):
    """Why ``reference`` rewrites AndNot: Whoosh's matcher is wrong, the engine right."""
    searcher = get_searcher()
    word = compile.build_query(q_mod.parse("o"))
    excluded = wq.Term("grams", "包")
    with_bao = whoosh_docs(searcher, word) & whoosh_docs(searcher, excluded)
    assert with_bao  # documents with both
    assert engine_docs(searcher, wq.AndNot(word, excluded)).isdisjoint(with_bao)
    stock = set(searcher.search(wq.AndNot(word, excluded), limit=None, scored=False).docs())
    assert stock & with_bao  # Whoosh's own AndNot keeps some of them
