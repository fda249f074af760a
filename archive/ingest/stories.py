"""Story versions: articles that are the same story (republished, in the other script,
under a changed headline) found with MinHash over shingles of the folded text.

A shingle is four consecutive tokens of ``text.fold(title + body)``: Chinese
characters one by one (folded to simplified, so both scripts agree) and Latin
words whole. Two articles whose MinHash signatures estimate a Jaccard similarity
of at least ``THRESHOLD`` are versions of one story; a story is the connected
group, named by its first stored article (``Article.story``; that one has none).
README "Story versions" gives how the threshold was measured on the corpus.
``update_stories`` runs after every import.
"""

import re
import zlib
from collections.abc import Callable, Iterable

import numpy as np
from datasketch import MinHash
from django.db import transaction

from archive.models import Article
from archive.search.queue import enqueue
from archive.text import fold

THRESHOLD = 0.75
NUM_PERM = 128
SCHEME = "affine32"  # 32-bit values: a signature is NUM_PERM * 4 bytes
SHINGLE = 4  # tokens per shingle
MAX_SHINGLES = 3000  # of the text's start: enough to tell a story, bounded cost
MAX_DAYS = 7  # versions are published within a week of the story's first article
MIN_SHINGLES = 8  # shorter texts (a headline alone) are never grouped
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9]+")


def shingles(title: str, body: str) -> set[bytes]:
    """The text's shingles (UTF-8), from its first ``MAX_SHINGLES`` positions."""
    tokens = _TOKEN.findall(fold(f"{title}\n{body}"))
    count = min(max(len(tokens) - SHINGLE + 1, 0), MAX_SHINGLES)
    return {" ".join(tokens[i : i + SHINGLE]).encode("utf-8") for i in range(count)}


def _crc(data: bytes) -> int:
    return zlib.crc32(data)


def signature(title: str, body: str) -> bytes | None:
    """The MinHash signature of an article's text (None when it is too short to compare)."""
    found = shingles(title, body)
    if len(found) < MIN_SHINGLES:
        return None
    minhash = MinHash(num_perm=NUM_PERM, hashfunc=_crc, scheme=SCHEME)
    minhash.update_batch(list(found))
    return minhash.hashvalues.astype(np.uint32).tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(np.frombuffer(a, np.uint32) == np.frombuffer(b, np.uint32)))


BANDS, ROWS = 32, 4  # LSH over the signature: a pair at similarity 0.75 shares a band
# with probability 1 - (1 - 0.75**4)**32 > 0.999; every candidate is then checked.
_BAND_MIX = np.random.default_rng(20261202).integers(1, 2**63, size=ROWS, dtype=np.uint64) | 1


def band_keys(blobs: list[bytes]) -> np.ndarray:
    """One key per band of ``ROWS`` signature values, for each signature: (n, BANDS)."""
    values = np.frombuffer(b"".join(blobs), dtype=np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = (values.reshape(len(blobs), BANDS, ROWS) * _BAND_MIX).sum(axis=2)
    # The band's number in the top bits: equal values in different bands never collide.
    return (mixed >> np.uint64(6)) | (np.arange(BANDS, dtype=np.uint64) << np.uint64(58))


def assign(
    new: Iterable[tuple[int, bytes, int | None]],
    stories: Iterable[tuple[int, bytes, int | None]],
    *,
    threshold: float = THRESHOLD,
    progress: Callable[[int], None] | None = None,
) -> dict[int, int]:
    """New article id -> the story it joins (the id of the story's first article).

    ``stories`` are the (id, signature, publication day) of the articles that start a
    story; ``new`` articles are taken oldest id first, each joining the story whose
    first article it is most similar to (at least ``threshold``, published within
    ``MAX_DAYS`` of it when both are dated) or starting one. Comparing with the first
    article only, not with any version, and only within days, keeps templates that
    recur (daily case counts, "tomorrow we broadcast ...", the yearly New Year
    address) from becoming one story. Candidates come from banded signatures (LSH).
    """
    firsts: dict[int, tuple[bytes, int | None]] = {}
    known = list(stories)
    for pk, blob, day in known:
        firsts[pk] = (blob, day)
    # The stories' band keys sorted once (a lookup is a binary search), and a dict for
    # the stories this call starts.
    keys = band_keys([blob for _pk, blob, _day in known]) if known else np.zeros((0, BANDS))
    owners = np.repeat(np.array([pk for pk, _b, _d in known], dtype=np.int64), BANDS)
    order = np.argsort(keys.ravel(), kind="stable")
    sorted_keys, sorted_owners = keys.ravel()[order].astype(np.uint64), owners[order]
    started: dict[int, list[int]] = {}

    def candidates(wanted: np.ndarray) -> set[int]:
        """The stories sharing a band key with ``wanted`` (one signature's band keys)."""
        low = np.searchsorted(sorted_keys, wanted, side="left")
        high = np.searchsorted(sorted_keys, wanted, side="right")
        found = {int(pk) for a, b in zip(low, high, strict=True) for pk in sorted_owners[a:b]}
        found.update(pk for key in wanted.tolist() for pk in started.get(key, ()))
        return found

    joined: dict[int, int] = {}
    for done, (pk, blob, day) in enumerate(sorted(new, key=lambda item: item[0]), start=1):
        wanted = band_keys([blob])[0]
        scored = [
            (similarity(blob, firsts[other][0]), -other)
            for other in candidates(wanted)
            if _close(day, firsts[other][1])
        ]
        best = max((item for item in scored if item[0] >= threshold), default=None)
        if best is None:
            firsts[pk] = (blob, day)
            for key in wanted.tolist():
                started.setdefault(key, []).append(pk)
        else:
            joined[pk] = -best[1]
        if progress is not None and done % 1000 == 0:
            progress(done)
    return joined


def _close(day: int | None, other: int | None) -> bool:
    return day is None or other is None or abs(day - other) <= MAX_DAYS


CHUNK = 500
TOO_SHORT = b""  # the signature stored for a text too short to compare


def _day(published) -> int | None:
    return published.toordinal() if published is not None else None


def update_stories(progress: Callable[[str, int, int], None] | None = None) -> tuple[int, int]:
    """Sign every article without a signature, then file each one signed now under the
    story it is a version of. Returns (articles signed, versions found); the versions
    are queued for indexing (their document names the story)."""
    report = progress or (lambda _step, _done, _total: None)
    unsigned = list(Article.objects.filter(minhash__isnull=True).values_list("pk", flat=True))
    signed: list[tuple[int, bytes, int | None]] = []
    for start in range(0, len(unsigned), CHUNK):
        chunk = Article.objects.filter(pk__in=unsigned[start : start + CHUNK]).only(
            "pk", "title", "body", "published_at"
        )
        rows = []
        for article in chunk:
            article.minhash = signature(article.title, article.body) or TOO_SHORT
            rows.append(article)
            if article.minhash:
                signed.append((article.pk, article.minhash, _day(article.published_at)))
        Article.objects.bulk_update(rows, ["minhash"])
        report("signed", min(start + CHUNK, len(unsigned)), len(unsigned))
    if not signed:
        return len(unsigned), 0
    new = {pk for pk, _blob, _day_ in signed}
    firsts = (
        (pk, bytes(blob), _day(published))
        for pk, blob, published in Article.objects.filter(story__isnull=True)
        .exclude(minhash=TOO_SHORT)
        .exclude(minhash__isnull=True)
        .values_list("pk", "minhash", "published_at")
        .iterator(chunk_size=2000)
        if pk not in new
    )
    joined = assign(signed, firsts, progress=lambda done: report("compared", done, len(signed)))
    with transaction.atomic():
        for story, pks in _by_story(joined).items():
            Article.objects.filter(pk__in=pks).update(story=story)
        enqueue(joined)
    return len(unsigned), len(joined)


def _by_story(joined: dict[int, int]) -> dict[int, list[int]]:
    stories: dict[int, list[int]] = {}
    for pk, story in joined.items():
        stories.setdefault(story, []).append(pk)
    return stories
