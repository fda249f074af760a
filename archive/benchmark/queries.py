"""The fixed query set: every class a reader types, in both scripts and English."""

QUERY_SET: dict[str, list[str]] = {
    "zh_common": ["经济", "发展", "习近平"],
    "zh_rare": ["稀土", "包头", "钕铁硼"],
    "zh_single_char": ["港", "疫", "稀"],
    "zh_compound": ["新能源汽车", "高质量发展", "乡村振兴"],
    "zh_phrase": ['"人工智能"', '"一带一路"', '"生态环境"'],
    "zh_traditional": ["臺灣", "衛生福利部", "經濟"],
    "en_word": ["economy", "housing", "oil"],
    "en_phrase": ['"climate change"', '"interest rates"', '"public transport"'],
}

# Modes measured for every query: plain results, all four facets, highlighted
# snippets, and the reader's default page (facets + highlighting).
MODES = ("plain", "facets", "highlight", "faceted_highlighted")
DEEP_PAGE = 10  # "a deep page": results 181-200 at 20 per page
PAGE_SIZE = 20


def all_queries() -> list[tuple[str, str]]:
    """(class, query) pairs in a stable order."""
    return [(cls, q) for cls, queries in QUERY_SET.items() for q in queries]


def query_terms(query: str) -> tuple[list[str], bool]:
    """A query without quotes, and whether it was a quoted phrase."""
    phrase = query.startswith('"') and query.endswith('"')
    return query.strip('"').split(), phrase
