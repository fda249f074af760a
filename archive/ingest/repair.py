"""Repairs of known text damage: mojibake, pinyin glued into Chinese, GBK out of step."""

import re
from functools import cache

import ftfy
from pypinyin import Style, pinyin

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_PINYIN_GLUE = re.compile(
    r"(?P<char>[\u3400-\u9fff])[(（](?P<syl>[a-zA-Z" + _TONED + r"]{1,7})[)）]"
)
_PUNCT = set("“”‘’。，、；：？！（）《》〈〉「」『』【】—…·")
_FULLWIDTH = {chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)}
_TONE_STRIP = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


@cache
def readings(char: str) -> frozenset[str]:
    """Every pinyin reading of a character, with tone marks and without."""
    found = pinyin(char, style=Style.TONE, heteronym=True, errors="ignore")
    toned = {syl.lower() for group in found for syl in group}
    return frozenset(toned | {syl.translate(_TONE_STRIP) for syl in toned})


def _is_reading(char: str, syllable: str) -> bool:
    syl = syllable.lower()
    options = readings(char)
    return syl in options or syl.replace("ü", "v") in options


def remove_glued_pinyin(text: str) -> tuple[str, int]:
    """Drop `(nèi)` after `內` when it is a reading of that character; keep real parentheticals."""
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        if _is_reading(match["char"], match["syl"]):
            count += 1
            return match["char"]
        return match[0]

    return _PINYIN_GLUE.sub(replace, text), count


def ordinary(char: str) -> bool:
    """A character ordinary text is made of: common Chinese characters (GB2312 level 1 or
    Big5 common), CJK punctuation, ASCII letters and digits."""
    if char in _PUNCT or (char.isascii() and char.isalnum()):
        return True
    if "\u4e00" <= char <= "\u9fff":
        try:
            if b"\xb0\xa1" <= char.encode("gb2312") <= b"\xd7\xfe":
                return True
        except UnicodeEncodeError:
            pass
        try:
            return b"\xa4\x40" <= char.encode("big5") <= b"\xc6\x7e"
        except UnicodeEncodeError:
            return False
    return False


def _char_variants(char: str) -> list[bytes]:
    """GBK bytes a damaged character may stand for (ASCII punctuation may be a full-width form)."""
    if char.isalnum() or not char.isascii() or char not in _FULLWIDTH:
        candidates = [char]
    else:
        candidates = [_FULLWIDTH[char], char]
    out = []
    for candidate in candidates:
        if candidate == "€":  # Windows code page 936 reads the lone byte 0x80 as the euro sign
            out.append(b"\x80")
            continue
        try:
            out.append(candidate.encode("gbk"))
        except UnicodeEncodeError:
            continue
    return out


def _shift_decode(pieces: list[bytes]) -> tuple[str, int, int | None, bool] | None:
    """Decode the bytes of damaged characters one byte later.

    Returns (text, characters consumed, dangling lead byte, resynchronised), or None when
    the first character is not a split double-byte one or the result is not ordinary text.
    """
    if not pieces or len(pieces[0]) < 2:
        return None
    owner: list[tuple[int, bool]] = []
    for index, piece in enumerate(pieces):
        owner.extend((index, len(piece) == 1) for _ in piece)
    data = b"".join(pieces)
    chars: list[str] = []
    pos = 1
    while pos < len(data):
        byte = data[pos]
        if owner[pos][1]:  # a standalone byte in lead position: already in step
            return ("".join(chars), owner[pos][0], None, True) if chars else None
        if pos + 1 == len(data):
            return ("".join(chars), len(pieces), byte, False) if chars else None
        try:
            char = data[pos : pos + 2].decode("gbk")
        except UnicodeDecodeError:
            return None
        if not ordinary(char):
            return ("".join(chars), owner[pos][0] + 1, byte, False) if chars else None
        chars.append(char)
        if owner[pos + 1][1]:  # consumed a standalone byte as trail: back in step
            return "".join(chars), owner[pos + 1][0] + 1, None, True
        pos += 2
    return ("".join(chars), len(pieces), None, True) if chars else None


def _best_shift(run: str) -> tuple[str, int, int | None, bool] | None:
    options: list[list[bytes]] = [[]]
    for char in run:
        choices = _char_variants(char)
        if not choices:
            break
        options = [prefix + [choice] for prefix in options for choice in choices][:256]
    best, best_key = None, None
    for pieces in options:
        found = _shift_decode(pieces)
        if not found:
            continue
        # Prefer a run that gets back in step, read with the fewest full-width guesses.
        widened = sum(
            1
            for piece, char in zip(pieces, run, strict=False)
            if len(piece) == 2 and char.isascii()
        )
        key = (found[3], -widened, found[1])
        if best_key is None or key > best_key:
            best, best_key = found, key
    return best


def _lead_with_hint(lead: int, syllable: str) -> str | None:
    """The character with this GBK lead byte whose reading is the glued pinyin after it."""
    for trail in range(0x40, 0xFF):
        try:
            char = bytes([lead, trail]).decode("gbk")
        except UnicodeDecodeError:
            continue
        if ordinary(char) and _is_reading(char, syllable):
            return char
    return None


_HINT = re.compile(r"\ufffd(?=[(（](?P<syl>[a-zA-Z" + _TONED + r"]{1,7})[)）])")
_HALFWIDTH = {ord(full): half for half, full in _FULLWIDTH.items()}


def repair_gbk_shift(text: str) -> tuple[str, list[str]]:
    """Repair runs after U+FFFD that are GBK text decoded one byte out of step.

    Each U+FFFD marks where a byte was lost; the characters after it are re-encoded as
    GBK and decoded one byte later. A repair is kept only where the result is ordinary
    text; what cannot be repaired is left as it is. Returns the text and notes on both.
    """
    if "\ufffd" not in text:
        return text, []
    halfwidth = not re.search(r"[\uff01-\uff5e]", text)
    notes: list[str] = []
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("\ufffd", pos)
        if start < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:start])
        run = []
        for char in text[start + 1 : start + 25]:
            if char == "\ufffd" or char.isspace():
                break
            run.append(char)
            if char.isascii() and char.isalnum() or char == "€":
                break
        found = _best_shift("".join(run))
        if not found:
            out.append("\ufffd")
            context = text[max(0, start - 6) : start + 6].replace("\n", " ")
            notes.append(f"left unrepaired encoding damage: “{context}”")
            pos = start + 1
            continue
        repaired, consumed, dangling, _ = found
        after = start + 1 + consumed
        lost = False
        if dangling is not None:
            hint = _HINT.match(text, after)
            char = _lead_with_hint(dangling, hint["syl"]) if hint else None
            if char:
                repaired += char
                after += 1
            else:
                lost = True
                repaired += "…"
                nxt = text[after : after + 1]
                if nxt and nxt.isascii() and not nxt.isalnum() and nxt not in "()（）,.:;!?\"'":
                    after += 1
        if halfwidth:
            repaired = repaired.translate(_HALFWIDTH)
        note = f"repaired GBK text decoded out of step: “{text[start:after]}” → “{repaired}”"
        notes.append(note + (" (a character was lost)" if lost else ""))
        out.append(repaired)
        pos = after
    return "".join(out), notes


# UTF-8 lead bytes (Â..ô) read as Windows-1252/Latin-1, followed by a continuation byte read
# the same way: the mark of UTF-8 mojibake. Text without it is left alone (and fast).
_CP1252_HIGH = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
_CP1252_PUNCT = "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_CP1252_HIGH}{_CP1252_PUNCT}]")
_ENCODING_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)


def fix_mojibake(text: str) -> tuple[str, list[str]]:
    """Repair UTF-8 that was decoded as Windows-1252 (`â€™` → `’`, `ä¸­æ–‡` → `中文`).

    ftfy does the repair, line by line, and only where its badness heuristic is sure;
    its other fixes (quotes, widths, normalisation) are off. Running it twice changes
    nothing more. Returns the text and a note when something was repaired.
    """
    if not _MOJIBAKE.search(text):
        return text, []
    fixed = ftfy.fix_text(text, _ENCODING_ONLY)
    if fixed == text:
        return text, []
    before, after = text.split("\n"), fixed.split("\n")
    changed = sum(1 for old, new in zip(before, after, strict=False) if old != new)
    return fixed, [f"repaired UTF-8 text read as Windows-1252 (mojibake) in {changed} line(s)"]


# U+FFFD saved as UTF-8 (EF BF BD) and then read as GBK: 锟斤拷. The original text was
# already lost when the replacement characters were written; nothing can bring it back.
REPLACEMENT_READ_AS_GBK = "锟斤拷"


def lost_text_marks(text: str) -> tuple[int, str]:
    """(characters of `锟斤拷` in the text, context of the first one)."""
    count = text.count(REPLACEMENT_READ_AS_GBK)
    if not count:
        return 0, ""
    where = text.find(REPLACEMENT_READ_AS_GBK)
    context = text[max(0, where - 6) : where + 9].replace("\n", " ")
    return count * len(REPLACEMENT_READ_AS_GBK), context
