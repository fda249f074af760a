"""Bytes to text: size and binary checks, then BOM, UTF-8, UTF-16, GB18030/Big5 by plausibility."""

import codecs
import re
import unicodedata
from pathlib import Path

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

_CJK = re.compile(r"[\u4e00-\u9fff]")
_ODD = re.compile(r"[\ue000-\uf8ff\ufffd\u0080-\u009f]")


class RejectedFile(Exception):
    """A file the loader will not read; the message is the one-line reason."""


def read_limited(path: Path, *, max_bytes: int) -> bytes:
    """Read a file, refusing empty or oversized ones before reading them whole."""
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile("empty file")
    if size > max_bytes:
        raise RejectedFile(f"too large: {size} bytes > limit {max_bytes}")
    with path.open("rb") as handle:
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
    cjk = _CJK.findall(text)
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


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes; returns (text, encoding). Raises RejectedFile."""
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
                return _finish(data.decode(encoding)), encoding
            except UnicodeDecodeError as error:
                raise RejectedFile(f"undecodable {encoding} after BOM: {error.reason}") from None
    utf16 = _utf16_guess(data)
    if utf16:
        try:
            return _finish(data.decode(utf16)), utf16
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise RejectedFile("binary file (NUL bytes)")
    try:
        return _finish(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    for encoding in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _common_score(text, "gb18030" if encoding == "gb18030" else "big5")
        if best is None or score > best[0]:
            best = (score, text, encoding)
    if best is None or plausibility(best[1]) < 0.6:
        raise RejectedFile("undecodable: not UTF-8, UTF-16, GB18030 or Big5 text")
    return _finish(best[1]), best[2]


def _finish(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(
        1 for char in text if unicodedata.category(char) == "Cc" and char not in "\n\t\f\v"
    )
    if "\x00" in text or controls > max(3, len(text) // 100):
        raise RejectedFile("binary file (control characters)")
    return text
