"""Our escaping highlighter: marks matches in the ORIGINAL text, escapes everything else.

Matching happens on folded text (so 苏权 finds 蘇權); the folded spans are mapped
back to the original characters, and only our own ``<mark>`` tags are live HTML.
"""

import re
from functools import lru_cache
from html import escape

from archive.text import fold_with_map, stem

SNIPPET_CHARS = 180
# The words jieba makes of Latin text (runs of letters and digits), found directly:
# segmenting a whole article just to find its English words costs far more.
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=256)
def _words_starting_with(initials: str) -> re.Pattern:
    """Whole Latin words whose first character is one of ``initials``."""
    return re.compile(f"(?<![A-Za-z0-9])[{re.escape(initials)}][A-Za-z0-9]*")


def _word_spans(folded: str, stems: set[str]) -> list[tuple[int, int]]:
    """Spans of the Latin words whose stem is one of ``stems``.

    Porter keeps a word's first character (only "s" stems to nothing), so only
    the words that begin as some stem does are stemmed: a long article has
    thousands of words and a query a few stems.
    """
    if "" in stems:
        candidates = _ASCII_WORD
    else:
        initials = "".join(sorted({s[0] for s in stems if s[0].isascii() and s[0].isalnum()}))
        if not initials:
            return []
        candidates = _words_starting_with(initials)
    return [match.span() for match in candidates.finditer(folded) if stem(match[0]) in stems]


def _spans(folded: str, runs: set[str], words: set[str]) -> list[tuple[int, int]]:
    spans = []
    for run in runs:
        if not run:
            continue
        start = folded.find(run)
        while start != -1:
            spans.append((start, start + len(run)))
            start = folded.find(run, start + 1)
    if words:
        spans.extend(_word_spans(folded, words))
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _to_original(spans, mapping, length: int) -> list[tuple[int, int]]:
    if mapping is None:
        return spans
    out = []
    for start, end in spans:
        o_start = mapping[start] if start < len(mapping) else length
        o_end = mapping[end - 1] + 1 if end - 1 < len(mapping) else length
        if out and o_start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], o_end))
        else:
            out.append((o_start, o_end))
    return out


def match_spans(text: str, runs: set[str], words: set[str]) -> list[tuple[int, int]]:
    """Character spans of ``text`` (original) that match the query terms."""
    folded, mapping = fold_with_map(text)
    return _to_original(_spans(folded, runs, words), mapping, len(text))


def render(text: str, spans, start: int = 0, end: int | None = None) -> str:
    """Escape ``text[start:end]`` and wrap the spans in <mark>."""
    end = len(text) if end is None else end
    out, cursor = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(text[cursor:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        cursor = e
    out.append(escape(text[cursor:end]))
    return "".join(out)


def highlight(text: str, runs: set[str], words: set[str]) -> str:
    """The whole text, escaped, with matches marked."""
    return render(text, match_spans(text, runs, words))


def snippet(text: str, runs: set[str], words: set[str], *, size: int = SNIPPET_CHARS) -> str:
    """The passage of ``text`` with the most matches, escaped and marked."""
    text = text or ""
    if not text:
        return ""
    spans = match_spans(text, runs, words) if (runs or words) else []
    if not spans:
        cut = text[:size]
        return escape(cut) + ("…" if len(text) > size else "")
    # Window starting at each match; keep the one covering the most distinct matches.
    best_start, best_score = spans[0][0], -1
    j = 0
    for i, (s, _e) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] <= s + size:
            j += 1
        distinct = len({text[a:b].lower() for a, b in spans[i : j + 1]})
        score = distinct * 10 + (j - i + 1)
        if score > best_score:
            best_start, best_score = s, score
    start = max(0, best_start - size // 4)
    # Start at a paragraph or sentence boundary when one is close.
    for k in range(best_start - 1, start - 1, -1):
        if text[k] in "\n。！？.!?":
            start = k + 1
            break
    end = min(len(text), start + size)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + render(text, spans, start, end).replace("\n", " ") + suffix
