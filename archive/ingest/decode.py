"""Bytes to text: size and binary checks, then BOM, UTF-8, UTF-16, GB18030/Big5 by plausibility."""

import codecs
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from archive.text import chinese_chars

BINARY_MAGIC = (
    b"\x89PNG",
    b"%PDF",
    b"\x7fELF",
    b"PK\x03\x04",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"MZ",
)


_ODD = re.compile(r"[\ue000-\uf8ff\ufffd\u0080-\u009f]")


class RejectedFile(Exception):
    """A file the loader will not read; the message is the one-line reason."""


@dataclass
class Decoded:
    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)
    damaged: bool = False  # bytes were lost (marked U+FFFD) while decoding


def read_limited(path: Path, *, max_bytes: int, follow_symlinks: bool = True) -> bytes:
    """Read a regular file, refusing empty or oversized ones before reading them whole."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if not follow_symlinks and path.is_symlink():
            raise RejectedFile("symbolic link: not followed") from None
        raise error from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RejectedFile("not a regular file")
        size = info.st_size
        if size == 0:
            raise RejectedFile("empty file")
        if size > max_bytes:
            raise RejectedFile(f"too large: {size} bytes > limit {max_bytes}")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RejectedFile(f"too large: more than {max_bytes} bytes")
    if not data.strip():
        raise RejectedFile("empty file")
    return data


def _utf16_guess(data: bytes) -> str | None:
    """UTF-16 without a BOM: many NULs on one side of each byte pair."""
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.3 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.3 and odd < half * 0.05:
        return "utf-16-be"
    return None


def check_binary(data: bytes) -> None:
    if data.startswith(BINARY_MAGIC):
        raise RejectedFile("binary file (magic number)")


def plausibility(text: str) -> float:
    """Share of ordinary characters: common CJK, ASCII, CJK punctuation; odd ones cost a lot."""
    if not text:
        return 0.0
    odd = len(_ODD.findall(text))
    good = 0
    for char in text:
        code = ord(char)
        if code < 0x80 or 0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F:
            good += 1
        elif 0xFF00 <= code <= 0xFFEF or 0x2010 <= code <= 0x2027:
            good += 1
    return (good - 10 * odd) / len(text)


def _common_score(text: str, encoding: str) -> float:
    """Prefer the reading whose characters are common in that script's basic set."""
    base = plausibility(text)
    basic = "gb2312" if encoding == "gb18030" else "big5"
    cjk = chinese_chars(text)
    if not cjk:
        return base
    common = 0
    for char in cjk:
        try:
            char.encode(basic)
            common += 1
        except UnicodeEncodeError:
            pass
    return base + common / len(cjk)


def _damaged_utf8(data: bytes) -> tuple[str, int, int]:
    """(text with U+FFFD for each invalid sequence, invalid sequences, valid non-ASCII chars)."""
    text = data.decode("utf-8", errors="replace")
    marks = text.count("\ufffd")
    bad = marks - data.count(b"\xef\xbf\xbd")  # U+FFFD already in the file is not damage
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore")) - marks
    return text, bad, non_ascii


def _damage_note(text: str, bad: int) -> str:
    where = text.find("\ufffd")
    context = text[max(0, where - 8) : where + 8].replace("\n", " ")
    return (
        f"invalid UTF-8: {bad} damaged byte sequence(s) shown as \ufffd, "
        f"first at character {where} (“{context}”)"
    )


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes; returns (text, encoding). Raises RejectedFile."""
    decoded = decode_text(data)
    return decoded.text, decoded.encoding


def decode_text(data: bytes) -> Decoded:
    """Decode file bytes, noting damage; raises RejectedFile.

    UTF-8 with a few invalid bytes stays UTF-8 (the damage marked and noted): reading
    it as GB18030 or Big5 would turn every character into mojibake.
    """
    check_binary(data)
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return Decoded(_finish(data.decode(encoding)), encoding)
            except UnicodeDecodeError as error:
                raise RejectedFile(f"undecodable {encoding} after BOM: {error.reason}") from None
    utf16 = _utf16_guess(data)
    if utf16:
        try:
            return Decoded(_finish(data.decode(utf16)), utf16)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise RejectedFile("binary file (NUL bytes)")
    try:
        return Decoded(_finish(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError:
        pass
    damaged, bad, non_ascii = _damaged_utf8(data)
    if non_ascii >= 4 * bad:
        # Mostly valid multi-byte UTF-8 (in GBK or Big5 text most sequences are invalid).
        return Decoded(_finish(damaged), "utf-8", [_damage_note(damaged, bad)], damaged=True)
    best: tuple[float, str, str] | None = None
    for encoding in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _common_score(text, "gb18030" if encoding == "gb18030" else "big5")
        if best is None or score > best[0]:
            best = (score, text, encoding)
    if best is not None and plausibility(best[1]) >= 0.6:
        return Decoded(_finish(best[1]), best[2])
    if bad <= max(1, len(data) // 2000):
        # Plain (ASCII) text with a stray byte or two.
        return Decoded(_finish(damaged), "utf-8", [_damage_note(damaged, bad)], damaged=True)
    raise RejectedFile("undecodable: not UTF-8, UTF-16, GB18030 or Big5 text")


def _finish(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # C0 controls only: C1 ones (U+0080-U+009F) are the mark of mojibake, which is repaired.
    controls = sum(
        1 for char in text if (char < "\x20" and char not in "\n\t\f\v") or char == "\x7f"
    )
    if "\x00" in text or controls > max(3, len(text) // 100):
        raise RejectedFile("binary file (control characters)")
    return text
