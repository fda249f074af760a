"""Suggestions as a reader types: index words, topics, sources and article titles.

``suggest(prefix, limit=)`` answers from tables built once per index generation
(``Tables``), so a keystroke costs a few bisects and one scan of the titles and
never a database query:

- words: the index's words with their article counts, sorted. English words are
  indexed as Porter stems (``economi``), so each stem is reached and shown
  through the words of the article titles that have it (``economy``,
  ``economic``); a stem no title has is left out. Chinese words of two or more
  characters are shown as indexed (simplified), or in traditional characters
  when the reader typed traditional ones. A prefix in pinyin (``xit``, ``bao``)
  adds the Chinese words whose reading starts with it (``archive.search.pinyin``).
- topics and sources: by either name, any word of a name, the slug, or the
  pinyin of a Chinese name; merged ones lead to the one they were merged into.
- titles: articles whose folded title contains the prefix (at a word start for
  Latin letters), newest first.

Each kind is ranked by the number of articles (a word that only extends one
already listed, 系统性 after 系统, comes after the others). Building the tables
reads the whole vocabulary, which takes seconds on a large index: there they are
rebuilt in a background thread while the previous ones keep answering (``_Live``).
"""

import bisect
import logging
import re
import threading
import time
import unicodedata
from collections import Counter, OrderedDict
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
from django.db import connections
from django.urls import reverse
from django.utils.translation import get_language

from archive import long_lived
from archive.models import Article, Source, Tag, topic_label
from archive.search import pinyin
from archive.search.backend import SearchBackend, SearchRequest, get_backend
from archive.search.facets import Filters
from archive.text import fold, has_chinese, is_chinese, normalize, stem, to_traditional

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 8
MAX_LIMIT = 20
MAX_PREFIX_CHARS = 100  # longer text is not a prefix being typed
KINDS = ("word", "topic", "source", "title")
MIN_PINYIN = 2  # letters of a reading before Chinese words are offered for it
MAX_WORD_CHARS = 40  # longer index terms are codes and URLs, not words to offer
CACHE_SIZE = 2048  # answers kept per generation, by (prefix, limit, interface language)
# Tables of an index this small are built in the request that needs them (well under a
# second); larger ones, and any whose last build took longer than INLINE_BUILD_S, in a
# background thread at most every REBUILD_EVERY_S, the previous tables answering meanwhile.
INLINE_MAX_DOCUMENTS = 5_000
INLINE_BUILD_S = 0.5
REBUILD_EVERY_S = 60.0

_DROP = {
    "Cc",
    "Cf",
    "Zl",
    "Zp",
    "Cs",
    "Co",
    "Cn",
}  # control, format, surrogate, private, unassigned
_LAST = "\U0010ffff"  # sorts after every character: keys starting with p are in [p, p + _LAST)
# Whole runs of ASCII letters in folded text (not part of a word with digits or accents),
# the words the index holds as Porter stems.
_LATIN_WORD = re.compile(r"(?<![0-9a-z\u00c0-\u024f])[a-z]+(?![0-9a-z\u00c0-\u024f])")
_NOT_ALNUM = re.compile(r"[\W_]")


@dataclass(frozen=True)
class Suggestion:
    """One entry of the list under the search box."""

    text: str
    kind: str  # one of KINDS
    url: str  # where choosing it leads on this site

    def as_dict(self) -> dict:
        return {"text": self.text, "kind": self.kind, "url": self.url}


def clean(text: str) -> str:
    """What the reader typed, without control characters and with single spaces."""
    chars = (" " if unicodedata.category(ch) in _DROP else ch for ch in text or "")
    return " ".join("".join(chars).split())


def suggest(prefix: str, *, limit: int = DEFAULT_LIMIT) -> list[Suggestion]:
    """At most ``limit`` (up to MAX_LIMIT) suggestions for what the reader has typed so far.

    Any text is accepted (nothing for empty or unusable text, past MAX_PREFIX_CHARS,
    or while a large index's first tables are still being built); SearchUnavailable
    when there is no index.
    """
    typed = clean(prefix)
    limit = min(int(limit), MAX_LIMIT)
    if not typed or limit < 1 or len(typed) > MAX_PREFIX_CHARS:
        return []
    current = tables()
    return current.suggest(typed, limit=limit) if current is not None else []


# --- Tables of one index generation ------------------------------------------------------
class WordTable:
    """Words to offer, by the text a reader types for them, with their article counts.

    Entries are sorted by key; several keys may stand for one index term (the
    title words of one English stem), and a prefix shows each term once, by its
    commonest key among those starting with the prefix.
    """

    def __init__(self, vocabulary, title_words: Counter):
        counts: dict[str, int] = {}
        english: dict[str, int] = {}  # stems (ASCII letters), keyed by their title words below
        keyed: list[tuple[str, str, int]] = []  # (key, term, how often titles use the key)
        for term, count in vocabulary:
            if not 1 < len(term) <= MAX_WORD_CHARS or not term.isalnum():
                continue  # one character, a code, or glued punctuation (economy.david)
            if term.isascii() and term.isalpha():
                english[term] = count
            elif is_chinese(term) or not has_chinese(term):  # not Chinese glued to others
                counts[term] = count
                keyed.append((term, term, 0))
        self.shown: dict[str, str] = {}  # English stem -> its commonest title word
        best_uses: dict[str, int] = {}
        for word, uses in title_words.items():
            term = stem(word)
            if len(word) > 1 and term in english:
                counts[term] = english[term]
                keyed.append((word, term, uses))
                if uses > best_uses.get(term, 0):
                    best_uses[term], self.shown[term] = uses, word
        keyed.sort()
        term_ids = {term: n for n, term in enumerate(counts)}
        self.keys = [key for key, _term, _uses in keyed]
        self.terms = np.array([term_ids[term] for _key, term, _uses in keyed], dtype=np.int32)
        self.counts = np.array([counts[term] for _key, term, _uses in keyed], dtype=np.int32)
        self.uses = np.array([uses for _key, _term, uses in keyed], dtype=np.int32)

    def __len__(self) -> int:
        return len(self.keys)

    def complete(self, prefix: str, *, limit: int) -> list[tuple[str, int]]:
        """The ``limit`` words held by most articles that start with ``prefix``, one per term."""
        start = bisect.bisect_left(self.keys, prefix)
        end = bisect.bisect_left(self.keys, prefix + _LAST, lo=start)
        span, wanted = end - start, limit * 3
        while True:
            if span <= wanted:
                picked = np.arange(start, end)
            else:  # the ``wanted`` largest counts of the range, in any order
                part = np.argpartition(self.counts[start:end], span - wanted)[span - wanted :]
                picked = start + part
            # most articles first, then the commonest title word, then alphabetical
            order = picked[np.lexsort((picked, -self.uses[picked], -self.counts[picked]))]
            found, seen = [], set()
            for i in order.tolist():
                term = int(self.terms[i])
                if term not in seen:
                    seen.add(term)
                    found.append((self.keys[i], int(self.counts[i])))
                    if len(found) == limit:
                        return found
            if span <= wanted:
                return found
            wanted *= 4


class ReadingTable:
    """``pinyin.PinyinTable`` completions, with those of every key of one or two letters
    ready (the widest ranges of readings, slow to gather on each keystroke)."""

    def __init__(self, table: pinyin.PinyinTable):
        self.table = table
        letters = "abcdefghijklmnopqrstuvwxyz"
        self.short = {}
        for key in (a + b for a in letters for b in letters):
            found = table.complete(key, limit=MAX_LIMIT * 3)
            if found:
                self.short[key] = found

    def __len__(self) -> int:
        return len(self.table)

    def complete(self, key: str, *, limit: int) -> list[tuple[str, int]]:
        if len(key) == 2 and limit <= MAX_LIMIT * 3:
            return self.short.get(key, [])[:limit]
        return self.table.complete(key, limit=limit)


@dataclass(frozen=True)
class Named:
    """A topic or source as a suggestion: its names by field, article count and address."""

    names: dict  # field -> name ("zh"/"en" for topics, "name"/"name_en" for sources)
    count: int
    url: str


class NameTable:
    """Topics or sources by the start of a name, of a word of it, of the slug, or of the
    pinyin of a Chinese word of a name; each key knows the name it stands for."""

    def __init__(self, items: list[Named], keys: list[tuple[str, int, str]]):
        self.items = items
        self.entries = sorted(keys)  # (key, item index, name field[":pinyin"])
        self.keys = [key for key, _item, _field in self.entries]

    def complete(self, prefix: str, *, limit: int) -> list[tuple[Named, str]]:
        """(item, the field whose name matched) for the most-used items matching ``prefix``
        (by pinyin from MIN_PINYIN letters on)."""
        start = bisect.bisect_left(self.keys, prefix)
        end = bisect.bisect_left(self.keys, prefix + _LAST, lo=start)
        best: dict[int, str] = {}
        short = len(prefix) < MIN_PINYIN
        for _key, item, field in self.entries[start:end]:
            name, _colon, by = field.partition(":")
            if not (by == "pinyin" and short):
                best.setdefault(item, name)
        ranked = sorted(best, key=lambda item: -self.items[item].count)
        return [(self.items[item], best[item]) for item in ranked[:limit]]


def name_keys(name: str, field: str, item: int) -> list[tuple[str, int, str]]:
    """Keys of one name: the folded name from each of its words on, and the pinyin of
    each Chinese word (卫生福利部 / 疾病管制署: weishengfulibu, jibingguanzhishu)."""
    folded = fold(name).strip()
    if not folded:
        return []
    keys = [(folded, item, field)]
    words = _NOT_ALNUM.sub(" ", folded).split()
    keys += [(" ".join(words[n:]), item, field) for n in range(1, len(words))]
    for word in words:
        reading = pinyin.word_reading(word) if is_chinese(word) else ""
        if reading:
            keys.append((reading, item, f"{field}:pinyin"))
    return keys


def slug_key(slug: str, item: int) -> tuple[str, int, str]:
    """The whole slug (``rare-earths``), not its parts: slugs of Chinese names are
    pinyin syllables (``wei-sheng-fu-li-bu``), which the names' readings cover."""
    return (slug.lower(), item, "slug")


class TitleTable:
    """Article titles, newest first, folded into one string to search with ``str.find``.

    ``spaced`` is the same string with every character that is not a letter or a
    digit turned into a space and a space before each title, so `` econ`` finds
    word starts (lengths match, so both share ``starts``).
    """

    def __init__(self, rows: list[tuple[int, str, str]]):
        self.ids = [pk for pk, _title, _folded in rows]
        self.titles = [title for _pk, title, _folded in rows]
        folded = [" " + folded.replace("\n", " ") for _pk, _title, folded in rows]
        self.starts, offset = [], 0
        for text in folded:
            self.starts.append(offset)
            offset += len(text) + 1
        self.plain = "\n".join(folded)
        self.spaced = _NOT_ALNUM.sub(" ", self.plain.replace("\n", "\0")).replace("\0", "\n")

    def containing(self, prefix: str, *, limit: int) -> list[tuple[int, str]]:
        """(id, title) of the newest ``limit`` articles whose title has ``prefix``."""
        latin = prefix[:1].isascii() and prefix[:1].isalnum()
        haystack = self.spaced if latin else self.plain
        needle = " " + " ".join(_NOT_ALNUM.sub(" ", prefix).split()) if latin else prefix
        found, position = [], 0
        while len(found) < limit:
            hit = haystack.find(needle, position)
            if hit < 0:
                break
            n = bisect.bisect_right(self.starts, hit) - 1
            found.append((self.ids[n], self.titles[n]))
            position = self.starts[n + 1] if n + 1 < len(self.starts) else len(haystack)
        return found


class Tables:
    """Everything ``suggest`` reads, for one index generation."""

    def __init__(self, backend: SearchBackend, generation: tuple):
        started = time.perf_counter()
        self.generation = generation
        rows = [
            (pk, title, fold(title))
            for pk, title in Article.objects.newest_first()
            .exclude(title="")
            .values_list("id", "title")
        ]
        title_words: Counter = Counter()
        for _pk, _title, folded in rows:
            title_words.update(_LATIN_WORD.findall(folded))
        self.words = WordTable(backend.vocabulary(), title_words)
        self.pinyin = ReadingTable(pinyin.table(backend))
        self.titles = TitleTable(rows)
        every = SearchRequest(query=None, filters=Filters(), counts_only=True)
        counts = backend.search(every).counts
        self.topics = _topic_table(counts.get("topic", Counter()))
        self.sources = _source_table(counts.get("source", Counter()))
        to_traditional("台")  # load OpenCC's dictionary now, not on a reader's keystroke
        self._cache: OrderedDict = OrderedDict()
        self._cache_lock = threading.Lock()
        self.build_seconds = time.perf_counter() - started

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def suggest(self, typed: str, *, limit: int) -> list[Suggestion]:
        """Suggestions for cleaned, non-empty text (answers kept in a small LRU)."""
        key = (typed, limit, get_language())
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        found = self._compute(typed, limit)
        with self._cache_lock:
            self._cache[key] = found
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _compute(self, typed: str, limit: int) -> list[Suggestion]:
        folded = fold(typed)
        if not folded.strip():
            return []
        # Names are also found by the typed pinyin as one key (xī tǔ -> xitu).
        reading = None if has_chinese(typed) else pinyin.typed_reading(typed)
        keys = [folded] + ([reading] if reading and reading != folded else [])
        groups = {
            "word": self._words(typed, folded, limit),
            "topic": [
                Suggestion(_topic_name(item, field), "topic", item.url)
                for key in keys
                for item, field in self.topics.complete(key, limit=limit)
            ],
            "source": [
                Suggestion(item.names.get(field) or item.names["name"], "source", item.url)
                for key in keys
                for item, field in self.sources.complete(key, limit=limit)
            ],
            "title": [
                Suggestion(title, "title", reverse("article_detail", kwargs={"pk": pk}))
                for pk, title in self.titles.containing(folded, limit=limit)
            ],
        }
        return mix(groups, limit=limit)

    def _words(self, typed: str, folded: str, limit: int) -> list[Suggestion]:
        """Words completing the last word typed, and Chinese words read as typed pinyin."""
        head, _space, tail = folded.rpartition(" ")
        typed_head = typed.rpartition(" ")[0] if typed.count(" ") == folded.count(" ") else head
        lead = typed_head + " " if head else ""
        traditional = folded != normalize(typed).lower()
        found: list[tuple[str, int]] = []
        for word, count in self.words.complete(tail, limit=limit * 3) if tail else []:
            if traditional and is_chinese(word):
                word = _in_traditional(word, typed.rpartition(" ")[2])
            found.append((lead + word, count))
        reading = None if has_chinese(typed) else pinyin.typed_reading(typed)
        if reading and len(reading) >= MIN_PINYIN:
            found = fair_merge(found, self.pinyin.complete(reading, limit=limit * 3), limit * 3)
        return [Suggestion(text, "word", search_url(text)) for text in diversify(found)]


def _in_traditional(word: str, typed: str) -> str:
    """A simplified word in traditional characters, starting with the ones the reader typed."""
    converted = to_traditional(word)
    typed = normalize(typed)
    if len(converted) == len(word) and len(typed) <= len(word):
        return typed + converted[len(typed) :]
    return converted


def _topic_name(item: Named, field: str) -> str:
    """The topic's name the reader was typing, or (a slug matched) the interface language's."""
    if field in ("zh", "en") and item.names.get(field):
        return item.names[field]
    return topic_label(item.names.get("zh", ""), item.names.get("en", ""), None)


def fair_merge(a: list, b: list, limit: int) -> list:
    """Two lists of (text, articles), at most ``limit`` together, each kept to half of it
    when the other has enough; then ordered by articles (stable)."""
    keep_a = max((limit + 1) // 2, limit - len(b))
    chosen = a[:keep_a] + b[: limit - min(len(a), keep_a)]
    return sorted(chosen, key=lambda item: -item[1])


def diversify(found: list[tuple[str, int]]) -> list[str]:
    """Texts in the given order (most articles first), except that one only extending a
    text already taken (系统性 after 系统) waits until the others are in."""
    first: list[str] = []
    later: list[str] = []
    for text, _count in found:
        (later if any(text.startswith(taken) for taken in first) else first).append(text)
    return first + later


def mix(groups: dict[str, list[Suggestion]], *, limit: int) -> list[Suggestion]:
    """Words first, then topics, sources and titles; each of the last three gets a
    share (a sixth of ``limit``, at least one) before words take the rest, and any
    slot still free goes to whatever is left.

    No suggestion twice: within a kind each text appears once (folded: 臺灣 and 台湾
    are one), and no two lead to the same address. A word and a topic of the same
    name stay apart (one searches the words, the other filters by the topic).
    """
    urls: set[str] = set()
    unique: dict[str, list[Suggestion]] = {}
    for kind in KINDS:
        texts: set[str] = set()
        unique[kind] = []
        for item in groups.get(kind, []):
            text = fold(item.text)
            if text not in texts and item.url not in urls:
                texts.add(text)
                urls.add(item.url)
                unique[kind].append(item)
    share = max(1, limit // 6)
    taken = {kind: min(len(unique[kind]), share) for kind in ("topic", "source", "title")}
    taken["word"] = min(len(unique["word"]), limit - sum(taken.values()))
    free = limit - sum(taken.values())
    for kind in KINDS:
        more = min(free, len(unique[kind]) - taken[kind])
        taken[kind] += more
        free -= more
    return [item for kind in KINDS for item in unique[kind][: taken[kind]]]


def search_url(text: str) -> str:
    return f"{reverse('search')}?{urlencode({'q': text})}"


def _filtered_search(facet: str, slug: str) -> str:
    return f"{reverse('search')}?{urlencode({facet: slug})}"


def _topic_table(counts: Counter) -> NameTable:
    """Topics with articles; a merged one's names lead to the topic it was merged into."""
    return _name_table(Tag, counts, facet="topic", fields=("name_zh", "name_en"), keys=("zh", "en"))


def _source_table(counts: Counter) -> NameTable:
    """Sources with articles; a merged one's names lead to the source it was merged into."""
    return _name_table(
        Source, counts, facet="source", fields=("name", "name_en"), keys=("name", "name_en")
    )


def _name_table(model, counts: Counter, *, facet: str, fields, keys) -> NameTable:
    """Rows of ``model`` (topics or sources) with articles, by their names (``fields``,
    shown under ``keys``) and slug; a merged row leads to the one it was merged into."""
    items: list[Named] = []
    index: dict[int, int] = {}
    entries: list[tuple[str, int, str]] = []
    for row in model.objects.select_related("merged_into").order_by("pk"):
        target = row.resolved()
        count = counts.get(target.slug, 0)
        if not count:
            continue
        if target.pk not in index:
            index[target.pk] = len(items)
            names = {key: getattr(target, name) for key, name in zip(keys, fields, strict=True)}
            items.append(Named(names, count, _filtered_search(facet, target.slug)))
        n = index[target.pk]
        for key, name in zip(keys, fields, strict=True):
            entries += name_keys(getattr(row, name), key, n)
        entries.append(slug_key(row.slug, n))
    return NameTable(items, entries)


# --- The live tables ------------------------------------------------------------------
class _Live:
    """The tables of the newest generation built in this process (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tables: Tables | None = None
        self._building = False
        self._started = float("-inf")

    def get(self, backend: SearchBackend, *, wait: bool) -> Tables | None:
        """Tables of the live generation; with a large index and not ``wait``, possibly
        older ones (or None before the first) while new ones are built in the background."""
        generation = backend.generation()
        with self._lock:
            current = self._tables
            if current is not None and current.generation == generation:
                return current
        if not wait:
            slow = (
                current.build_seconds >= INLINE_BUILD_S
                if current is not None
                else backend.document_count() > INLINE_MAX_DOCUMENTS
            )
            if slow:
                self._start(backend, generation, again_after=REBUILD_EVERY_S if current else 0)
                return current
        return self._build(backend, generation)

    def _start(self, backend: SearchBackend, generation: tuple, *, again_after: float) -> None:
        with self._lock:
            if self._building or time.monotonic() - self._started < again_after:
                return
            self._building, self._started = True, time.monotonic()
        threading.Thread(
            target=self._build_in_background,
            args=(backend, generation),
            name="suggestion-tables",
            daemon=True,
        ).start()

    def _build(self, backend: SearchBackend, generation: tuple) -> Tables:
        built = Tables(backend, generation)
        with self._lock:
            self._tables = built
        long_lived.table_built()
        return built

    def _build_in_background(self, backend: SearchBackend, generation: tuple) -> None:
        try:
            self._build(backend, generation)
        except Exception:  # the next keystroke after REBUILD_EVERY_S tries again
            logger.exception("suggestion tables could not be built")
        finally:
            connections.close_all()  # this thread's own database connections
            with self._lock:
                self._building = False


_live = _Live()


def reset() -> None:
    """Forget every table built (another archive, such as a test's, comes next)."""
    global _live
    _live = _Live()


def tables(*, wait: bool = False) -> Tables | None:
    """The tables of the live index generation (SearchUnavailable without an index).

    With ``wait``, built now if they are not current; otherwise a large index's
    tables may lag (see ``_Live``), and are None until its first are ready.
    """
    return _live.get(get_backend(), wait=wait)
