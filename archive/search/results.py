"""What a search answers: hits, facet values, how the query was understood."""

from collections import Counter
from dataclasses import dataclass, field

from archive.models import Article, Tag
from archive.search.params import SearchParams


@dataclass
class Understood:
    segments: list[str]
    folded: str
    also_searched: list[str]
    # ``word*``: (as typed, the words searched, how many more were left out)
    prefixes: list[tuple[str, list[str], int]] = field(default_factory=list)
    # pinyin: (as typed, the Chinese words also searched)
    readings: list[tuple[str, list[str]]] = field(default_factory=list)
    latin_only_q: str | None = None  # the same search without the pinyin readings
    filters: list[str] = field(default_factory=list)  # field filters as typed (source:…)


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
    other_versions: int = 0  # other versions of its story among the matches (shown collapsed)


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
    # Every match by (month or UNDATED, language): the timeline (``research.timeline``).
    months: Counter = field(default_factory=Counter)
    articles: int = 0  # matching articles, every version counted (``total`` counts results)
    stories: int = 0  # the stories they tell
