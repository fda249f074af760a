"""The array engine finds exactly the right articles, on long posting lists.

These tests index a few hundred articles so common words have hundreds of
postings (several blocks in Whoosh's own format), then check every answer
against the articles' own text.
"""

import datetime as dt
import random

import numpy as np
import pytest
from django.utils import timezone

from archive.models import Article, ArticleTag, Language, Source, Tag
from archive.search import query as q_mod
from archive.search.backends.whoosh import compile, storage
from archive.search.backends.whoosh import evaluate as engine
from archive.search.backends.whoosh.columns import columns, filter_and_count
from archive.search.backends.whoosh.storage import generation_key, get_searcher
from archive.search.documents import UNDATED
from archive.search.facets import Filters
from archive.search.indexer import rebuild
from archive.search.service import SearchParams, search
from archive.text import fold

pytestmark = pytest.mark.django_db

PHRASES = ["经济发展", "发展经济", "高质量发展", "人工智能", "乡村振兴", "新能源汽车"]
FILLER = ["会议", "强调", "推动", "合作", "质量", "汽车", "能源", "乡村", "智能", "人工"]
ENGLISH = ["interest rates rose", "rates of interest", "climate change", "the climate changed"]


@pytest.fixture
def archive():
    """400 articles with phrases, their parts scattered, sources, topics and dates."""
    rng = random.Random(7)
    sources = [Source.objects.create(slug=f"s{i}", name=f"来源{i}") for i in range(4)]
    tags = [Tag.objects.create(slug=f"t{i}", name_zh=f"话题{i}") for i in range(5)]
    articles = []
    for i in range(400):
        if i % 5 == 4:
            words = rng.sample(ENGLISH, 2) + ["report", "markets"]
            body, language = " ".join(words) + ".", Language.ENGLISH
        else:
            words = rng.sample(PHRASES, 2) + rng.sample(FILLER, 4)
            rng.shuffle(words)
            body, language = "，".join(words) + "。", Language.SIMPLIFIED
        published = (
            None
            if i % 7 == 0
            else timezone.make_aware(dt.datetime(2020 + i % 4, 1 + i % 12, 1 + i % 28, 12))
        )
        articles.append(
            Article(
                title=words[0],
                body=body,
                language=language,
                source=sources[i % 4] if i % 9 else None,
                published_at=published,
                external_id=f"e{i}",
                fingerprint="x",
            )
        )
    Article.objects.bulk_create(articles)
    for article in Article.objects.all():
        for tag in rng.sample(tags, rng.randint(0, 3)):
            ArticleTag.objects.create(article=article, tag=tag)
    rebuild()
    return {a.pk: fold(f"{a.title}\n{a.body}") for a in Article.objects.all()}


def _matching(q: str) -> set[int]:
    searcher = get_searcher()
    matches = engine.evaluate(
        searcher, generation_key(searcher), compile.build_query(q_mod.parse(q))
    )
    ids = columns(searcher, generation_key(searcher)).ids
    return set(ids[matches.docs].tolist())


def test_chinese_runs_match_exactly_the_articles_containing_them(archive):
    for run in ["发展", "高质量发展", "经济发展", "展经", "量发展", "汽车", "新能源汽车", "智"]:
        expected = {pk for pk, text in archive.items() if run in text}
        assert _matching(run) == expected, run
    assert len({pk for pk, text in archive.items() if "发展" in text}) > 128  # several blocks


def test_english_phrases_need_the_words_in_order(archive):
    assert _matching('"interest rates"') == {
        pk for pk, text in archive.items() if "interest rates" in text
    }
    changed = {pk for pk, text in archive.items() if "climate chang" in text}
    assert _matching('"climate change"') == changed  # "changed" stems to "chang" too


def test_exclusion_never_returns_an_article_with_the_excluded_word(archive):
    found = _matching("质量 -发展")
    assert found == {pk for pk, text in archive.items() if "质量" in text and "发展" not in text}
    assert found


def test_or_and_and(archive):
    assert _matching("人工智能 OR 乡村振兴") == {
        pk for pk, text in archive.items() if "人工智能" in text or "乡村振兴" in text
    }
    assert _matching("人工智能 乡村振兴") == {
        pk for pk, text in archive.items() if "人工智能" in text and "乡村振兴" in text
    }


def test_batched_position_decoding_reads_what_whoosh_reads(archive):
    reader = get_searcher().reader()
    fmt = get_searcher().schema["grams"].format
    for term in ["发", "发展", "，"]:
        if not reader.doc_frequency("grams", term):
            continue
        values = []
        matcher = reader.postings("grams", term)
        while matcher.is_active():
            values.append(matcher.value())
            matcher.next()
        lengths, flat = engine._decode_positions(fmt, values)
        expected = [fmt.decode_positions(v) for v in values]
        assert lengths.tolist() == [len(p) for p in expected]
        assert flat.tolist() == [p for positions in expected for p in positions]


def test_relevance_scores_are_ordered_and_title_matches_first(archive):
    results = search(SearchParams(q="乡村振兴", page_size=100))
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)
    first_body_only = next(
        i for i, hit in enumerate(results.hits) if "乡村振兴" not in fold(hit.article.title)
    )
    assert all("乡村振兴" in fold(h.article.title) for h in results.hits[:first_body_only])


def _facet_truth(f: Filters, docs, cols):
    """The same answer as filter_and_count, one document at a time."""
    year_of = cols.single["year"].values
    month_of = cols.single["month"].values

    def fails(d) -> set[str]:
        out = set()
        sources, chosen_topics = f.selected("source"), f.selected("topic")
        if sources and cols.single["source"].values[cols.single["source"].codes[d]] not in sources:
            out.add("source")
        topics = {
            cols.several["topics"].values[c]
            for c in cols.several["topics"].codes[
                cols.several["topics"].starts[d] : cols.several["topics"].starts[d + 1]
            ]
        }
        if chosen_topics and not chosen_topics & topics:
            out.add("topic")
        if f.year:
            value = (
                month_of[cols.single["month"].codes[d]]
                if f.month
                else year_of[cols.single["year"].codes[d]]
            )
            if value != (f.month or f.year):
                out.add("date")
        return out

    passed = [d for d in docs if not fails(d)]
    sources = {}
    for d in docs:
        if not fails(d) - {"source"}:
            name = cols.single["source"].values[cols.single["source"].codes[d]]
            sources[name] = sources.get(name, 0) + 1
    return passed, sources


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"sources": {"s1"}},
        {"sources": {"s1", "s2"}, "topics": {"t3"}},
        {"topics": {"t0", "t4"}, "year": "2021"},
        {"year": "2022", "month": "2022-03"},
        {"year": UNDATED, "sources": {"s0"}},
    ],
)
def test_facet_filters_and_counts_agree_with_a_document_by_document_count(archive, filters):
    searcher = get_searcher()
    cols = columns(searcher, generation_key(searcher))
    f = Filters(
        values={
            "source": frozenset(filters.get("sources", ())),
            "topic": frozenset(filters.get("topics", ())),
        },
        year=filters.get("year"),
        month=filters.get("month"),
        pub_from=None,
        pub_to=None,
    )
    passed, counts = filter_and_count(cols.live, cols, f)
    expected_passed, expected_sources = _facet_truth(f, cols.live.tolist(), cols)
    assert passed.tolist() == expected_passed
    assert dict(counts["source"]) == expected_sources


def test_facet_columns_hold_each_articles_own_source_year_and_topics(archive):
    searcher = get_searcher()
    cols = columns(searcher, generation_key(searcher))
    articles = Article.objects.select_related("source").prefetch_related("tags").in_bulk()
    assert sorted(cols.ids[cols.live].tolist()) == sorted(articles)
    for doc in cols.live.tolist():
        article = articles[int(cols.ids[doc])]
        assert cols.single["source"].values[cols.single["source"].codes[doc]] == (
            article.source.slug if article.source else ""
        )
        local_year = timezone.localtime(article.published_at).year if article.published_at else None
        assert cols.single["year"].values[cols.single["year"].codes[doc]] == (
            str(local_year) if local_year else UNDATED
        )
        assert bool(cols.dated[doc]) == (article.published_at is not None)
        if article.published_at:
            assert cols.pub[doc] == int(article.published_at.timestamp())
        topics = cols.several["topics"].codes[
            cols.several["topics"].starts[doc] : cols.several["topics"].starts[doc + 1]
        ]
        assert {cols.several["topics"].values[c] for c in topics} == {
            t.slug for t in article.tags.all()
        }


def _whoosh_positions(searcher, fieldname: str, term: str) -> dict[int, list[int]]:
    """docnum -> positions, read through Whoosh's own matchers."""
    fmt = searcher.schema[fieldname].format
    found = {}
    for leaf, offset in searcher.reader().leaf_readers():
        if not leaf.doc_count_all():
            continue
        matcher = leaf.postings(fieldname, term)
        while matcher.is_active():
            found[offset + matcher.id()] = fmt.decode_positions(matcher.value())
            matcher.next()
    return found


def test_packed_postings_give_whoosh_the_same_positions_the_engine_reads(archive):
    searcher = get_searcher()
    leaves = engine._leaves(searcher)
    for term in ["发", "发展", "能源"]:
        expected = _whoosh_positions(searcher, "grams", term)
        assert len(expected) > 10
        postings = engine._read_postings(leaves, "grams", term, positions=True)
        assert postings.docs.tolist() == sorted(expected)
        assert postings.freqs.tolist() == [len(expected[d]) for d in postings.docs.tolist()]
        slots = np.arange(1, len(postings.docs), 3)  # a sparse pick, as a phrase asks for
        counts, flat = postings.positions_at(slots)
        wanted = [expected[d] for d in postings.docs[slots].tolist()]
        assert counts.tolist() == [len(p) for p in wanted]
        assert flat.tolist() == [p for positions in wanted for p in positions]


QUERIES = ["发展", "高质量发展", '"interest rates"', "质量 -发展", "人工智能 OR 乡村振兴", "智"]


def _answers() -> dict[str, tuple[list[int], list[float]]]:
    searcher = get_searcher()
    key = generation_key(searcher)
    ids = columns(searcher, key).ids
    out = {}
    for q in QUERIES:
        matches = engine.evaluate(searcher, key, compile.build_query(q_mod.parse(q)))
        order = np.argsort(ids[matches.docs])
        out[q] = (ids[matches.docs][order].tolist(), np.round(matches.scores[order], 9).tolist())
    return out


def test_an_index_in_whooshs_block_format_answers_alike_until_it_is_rebuilt(archive, monkeypatch):
    """Segments from before packed postings are still read (same matches and scores)."""
    from whoosh.codec.whoosh3 import W3Codec

    from archive.search import indexer
    from archive.search.backends.whoosh import writing

    packed = _answers()
    assert writing.index_is_current(storage.open_current())
    old_options = {**writing.WRITER_OPTIONS, "codec": W3Codec(compression=0)}
    monkeypatch.setattr(writing, "WRITER_OPTIONS", old_options)
    rebuild()
    ix = storage.open_current()
    assert not writing.index_is_current(ix)
    ix.close()
    assert _answers() == packed
    monkeypatch.undo()
    assert indexer.ensure_index() == "rebuilt"
    assert _answers() == packed
