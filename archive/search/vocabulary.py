"""The index's words in sorted order with their article counts, whatever the engine."""

import bisect

import numpy as np

_LAST = "\U0010ffff"


class Vocabulary:
    """Words sorted, with the articles holding each (the larger of title and body)."""

    def __init__(self, counts: dict[str, int]):
        self.words = sorted(counts)
        self.counts = np.fromiter((counts[w] for w in self.words), np.int64, len(self.words))

    def items(self):
        return zip(self.words, self.counts.tolist(), strict=True)

    def count(self, word: str) -> int:
        """The articles holding ``word`` (0 for a word not in the index)."""
        at = bisect.bisect_left(self.words, word)
        return int(self.counts[at]) if at < len(self.words) and self.words[at] == word else 0

    def with_prefix(self, prefix: str, *, limit: int) -> tuple[list[tuple[str, int]], int]:
        """The ``limit`` words starting with ``prefix`` held by most articles, and how many."""
        start = bisect.bisect_left(self.words, prefix)
        end = bisect.bisect_left(self.words, prefix + _LAST, lo=start)
        counts = self.counts[start:end]
        best = np.lexsort((np.arange(len(counts)), -counts))[:limit]  # ties: alphabetical
        return [(self.words[start + i], int(counts[i])) for i in best.tolist()], end - start
