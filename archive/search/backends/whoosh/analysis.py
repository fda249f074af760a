"""Whoosh analyzers over ``archive.text``: the same folding, words and n-grams.

Module-level classes, because Whoosh pickles each field's analyzer into the
index's table of contents (moving or renaming them makes old indexes unreadable,
which ``ensure_index`` answers with a rebuild).
"""

from whoosh.analysis import Token, Tokenizer

from archive.text import fold, gram_terms, segment, stem, word_terms


class _ArchiveTokenizer(Tokenizer):
    """Base: fold, then yield (text, position, start, end) terms from ``_terms``."""

    def _terms(self, folded: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def _term_positions(self, folded: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def term_positions(self, value) -> dict[str, list[int]]:
        """Every term of ``value`` with its positions, for indexing without Token objects."""
        positions: dict[str, list[int]] = {}
        for text, pos in self._term_positions(fold(value or "")):
            positions.setdefault(text, []).append(pos)
        return positions

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        folded = fold(value or "")
        for text, pos, start, end in self._terms(folded):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class WordTokenizer(_ArchiveTokenizer):
    """jieba words with consecutive positions; English words Porter-stemmed."""

    def _term_positions(self, folded: str):
        return ((term, pos) for pos, term in enumerate(word_terms(folded)))

    def _terms(self, folded: str):
        for pos, (word, start, end) in enumerate(segment(folded)):
            yield stem(word), pos, start, end


class GramTokenizer(_ArchiveTokenizer):
    """CJK unigrams and bigrams positioned at their character offset."""

    def _term_positions(self, folded: str):
        return gram_terms(folded)

    def _terms(self, folded: str):
        for text, pos in gram_terms(folded):
            yield text, pos, pos, pos + len(text)


def WordAnalyzer() -> WordTokenizer:
    return WordTokenizer()


def GramAnalyzer() -> GramTokenizer:
    return GramTokenizer()
