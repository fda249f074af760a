"""The bilingual topic taxonomy and automatic topic assignment by keyword rules.

Rules live in `archive/ingest/data/topics.json` and are copied into each Tag's `keywords`
(one per line; a line starting with `&` is a context term, of which one must also
occur) when the tag is first created. Editors may change them in the admin; matching
always uses the database copy, on text folded to simplified (archive.text.fold).
"""

import json
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from django.db import transaction

from archive.models import Article, ArticleTag, Tag, TagExclusion, TagOrigin
from archive.search.queue import enqueue
from archive.text import fold

DATA_FILE = Path(__file__).resolve().parent / "data" / "topics.json"


@cache
def taxonomy() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def keyword_lines(topic: dict) -> str:
    return "\n".join([*topic["keywords"], *(f"&{term}" for term in topic.get("context", []))])


def ensure_taxonomy() -> None:
    """Create the data file's topics that are missing; never overwrite or resurrect anything."""
    existing = set(Tag.objects.values_list("slug", flat=True))
    Tag.objects.bulk_create(
        [
            Tag(
                slug=topic["slug"],
                name_zh=topic["name_zh"],
                name_en=topic["name_en"],
                description=topic.get("description", ""),
                keywords=keyword_lines(topic),
            )
            for topic in taxonomy()["topics"]
            if topic["slug"] not in existing
        ]
    )


_WORD = re.compile(r"[a-z0-9]+")
MIN_HITS = 2  # keyword occurrences needed in the body when none is in the title


class Terms:
    """Keywords matched on folded text: Chinese as substrings, English as whole words."""

    def __init__(self, terms: list[str]):
        folded = [fold(term).strip() for term in terms]
        self.substrings = [t for t in folded if t and not t.isascii()]
        self.ascii_substrings = [t for t in folded if t and t.isascii() and not _WORD.fullmatch(t)]
        self.words = {t for t in folded if t and t.isascii() and _WORD.fullmatch(t)}
        self.phrases = (
            re.compile(
                "|".join(rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])" for t in self.ascii_substrings)
            )
            if self.ascii_substrings
            else None
        )

    def __bool__(self) -> bool:
        return bool(self.substrings or self.words or self.ascii_substrings)

    def hits(self, text: "Folded", *, enough: int) -> int:
        """How many times the terms occur (counting stops once `enough` is reached)."""
        count = 0
        if not text.ascii:
            for term in self.substrings:
                count += text.value.count(term)
                if count >= enough:
                    return count
        for word in self.words:
            count += text.words.get(word, 0)
            if count >= enough:
                return count
        if self.phrases and any(t in text.value for t in self.ascii_substrings):
            count += len(self.phrases.findall(text.value))
        return count


class Folded:
    """Text folded once for matching, with its English word counts."""

    def __init__(self, text: str):
        self.ascii = text.isascii()
        self.value = text.lower() if self.ascii else fold(text)
        self.words = Counter(_WORD.findall(self.value))


class Rule:
    def __init__(self, tag: Tag):
        lines = [line.strip() for line in tag.keywords.splitlines() if line.strip()]
        self.target = tag.resolved()
        self.keywords = Terms([line for line in lines if not line.startswith("&")])
        self.context = Terms([line[1:] for line in lines if line.startswith("&")])

    def matches(self, title: Folded, body: Folded) -> bool:
        """Keywords in the title, or at least MIN_HITS times in the body; context anywhere."""
        if not self.keywords:
            return False
        if (
            not self.keywords.hits(title, enough=1)
            and self.keywords.hits(body, enough=MIN_HITS) < MIN_HITS
        ):
            return False
        return not self.context or bool(
            self.context.hits(title, enough=1) or self.context.hits(body, enough=1)
        )


def load_rules() -> list[Rule]:
    return [Rule(tag) for tag in Tag.objects.select_related("merged_into").exclude(keywords="")]


def corpus_tags_of(article: Article) -> list[str]:
    """Tags an imported record carried (set by the importer, or read back from raw_content)."""
    preset = getattr(article, "corpus_tags", None)
    if preset is not None:
        return preset
    raw = article.raw_content or ""
    if not raw.startswith("{"):
        return []
    try:
        tags = json.loads(raw).get("tags") or []
    except (ValueError, AttributeError):
        return []
    return [str(tag) for tag in tags if isinstance(tag, str)]


def wanted_tags(article: Article, *, rules: list[Rule], by_slug: dict[str, Tag]) -> set[int]:
    """Ids of the (resolved) topics the rules give this article."""
    title = Folded(f"{article.title}\n{article.subtitle}")
    body = Folded(article.body)
    wanted = {rule.target.pk for rule in rules if rule.matches(title, body)}
    mapping = taxonomy().get("corpus_tags", {})
    for name in corpus_tags_of(article):
        slug = mapping.get(name)
        if slug and slug in by_slug:
            wanted.add(by_slug[slug].resolved().pk)
    return wanted


def apply_auto_topics(articles: Iterable[Article], *, queue: bool = True) -> int:
    """Add missing automatic topics and remove automatic ones that no longer match.

    Editor-assigned topics are never touched, topics an editor removed (TagExclusion) are
    never re-added, and merged topics are followed to the one they were merged into.
    Returns the number of topic assignments added or removed.
    """
    articles = [a for a in articles if a.pk]
    if not articles:
        return 0
    rules = load_rules()
    all_tags = list(Tag.objects.select_related("merged_into"))
    by_slug = {tag.slug: tag for tag in all_tags}
    resolved = {tag.pk: tag.resolved().pk for tag in all_tags}
    ids = [a.pk for a in articles]
    current: dict[int, dict[int, str]] = {}
    for article_id, tag_id, origin in ArticleTag.objects.filter(article_id__in=ids).values_list(
        "article_id", "tag_id", "origin"
    ):
        current.setdefault(article_id, {})[tag_id] = origin
    excluded: dict[int, set[int]] = {}
    for article_id, tag_id in TagExclusion.objects.filter(article_id__in=ids).values_list(
        "article_id", "tag_id"
    ):
        # An exclusion of a topic that was merged later also excludes the kept topic.
        excluded.setdefault(article_id, set()).update({tag_id, resolved.get(tag_id, tag_id)})
    to_add: list[ArticleTag] = []
    touched: set[int] = set()
    with transaction.atomic():
        remove_pairs = []
        for article in articles:
            have = current.get(article.pk, {})
            wanted = wanted_tags(article, rules=rules, by_slug=by_slug) - excluded.get(
                article.pk, set()
            )
            for tag_id in wanted - have.keys():
                to_add.append(
                    ArticleTag(article_id=article.pk, tag_id=tag_id, origin=TagOrigin.AUTO)
                )
                touched.add(article.pk)
            for tag_id, origin in have.items():
                if origin == TagOrigin.AUTO and tag_id not in wanted:
                    remove_pairs.append((article.pk, tag_id))
                    touched.add(article.pk)
        if to_add:
            ArticleTag.objects.bulk_create(to_add, batch_size=1000, ignore_conflicts=True)
        for article_id, tag_id in remove_pairs:
            ArticleTag.objects.filter(
                article_id=article_id, tag_id=tag_id, origin=TagOrigin.AUTO
            ).delete()
        if queue and touched:
            enqueue(touched)
    return len(to_add) + len(remove_pairs)
