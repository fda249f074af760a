"""On real articles, a Chinese word or character finds exactly the articles containing it."""

import gzip
import json
import random

import pytest
from django.conf import settings

from archive.models import Article, GlossaryTerm
from archive.search.indexer import rebuild
from archive.search.service import SearchParams, search
from archive.text import fold

CORPUS = settings.BASE_DIR.parent / "shared" / "corpus"
pytestmark = [pytest.mark.django_db, pytest.mark.corpus, pytest.mark.slow]

FIXED_TERMS = [
    "经济", "发展", "习近平", "稀土", "内蒙古", "包头", "福利", "卫生福利部", "疫苗",
    "新能源汽车", "衛生", "臺灣", "港", "疫", "稅", "龍", "的", "一带一路",
]  # fmt: skip


def _records(name: str, limit: int):
    with gzip.open(CORPUS / name, "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i >= limit:
                break
            yield json.loads(line)


@pytest.fixture
def corpus_sample():
    if not (CORPUS / "cctv_xinwenlianbo.jsonl.gz").exists():
        pytest.skip("../shared/corpus is absent")
    GlossaryTerm.objects.all().delete()  # exact substring semantics, no expansion
    articles = [
        Article(
            title=r["title"] or "",
            body=r["body"] or "",
            language=r["lang"],
            external_id=r["id"],
            fingerprint="x",
        )
        for name, limit in (
            ("cctv_xinwenlianbo.jsonl.gz", 1500),
            ("taiwan_mohw_press.jsonl.gz", 499),
        )
        for r in _records(name, limit)
    ]
    Article.objects.bulk_create(articles, batch_size=500)
    rebuild()
    return {a.pk: (fold(a.title), fold(a.body)) for a in Article.objects.all()}


def _all_ids(q: str) -> tuple[int, set[int]]:
    first = search(SearchParams(q=q, page_size=100, facets=False, highlight=False))
    ids = {h.article.pk for h in first.hits}
    for page in range(2, min(first.num_pages, 5) + 1):
        more = search(SearchParams(q=q, page=page, page_size=100, facets=False, highlight=False))
        ids |= {h.article.pk for h in more.hits}
    return first.total, ids


def test_corpus_chinese_terms_find_exactly_the_articles_containing_them(corpus_sample):
    rng = random.Random(7)
    texts = list(corpus_sample.values())
    sampled = []
    while len(sampled) < 30:
        title, body = rng.choice(texts)
        start = rng.randrange(max(len(body) - 4, 1))
        size = rng.choice([1, 2, 2, 3, 4])
        piece = body[start : start + size]
        if len(piece) == size and all("\u4e00" <= ch <= "\u9fff" for ch in piece):
            sampled.append(piece)
    checked = 0
    for term in FIXED_TERMS + sampled:
        key = fold(term)
        expected = {pk for pk, (t, b) in corpus_sample.items() if key in t or key in b}
        total, ids = _all_ids(term)
        assert total == len(expected), term
        if total <= 500:
            assert ids == expected, term
        else:
            assert ids <= expected, term
        checked += 1
    print(f"{checked} terms checked on {len(corpus_sample)} articles")
