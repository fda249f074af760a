"""JSON Lines read with bounded memory: long lines skipped unread, gzip bombs stopped.

The callers pass the limits: ``ARCHIVE_MAX_FILE_BYTES`` caps one line (record),
``ARCHIVE_MAX_UNPACKED_BYTES`` what one ``.gz`` file may decompress to.
"""

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

_CHUNK = 64 * 1024


class BadLine(ValueError):
    """One line that cannot be read as text; the message says why."""


class StoppedFile(Exception):
    """The rest of a file cannot be read (damaged or decompresses past the limit)."""

    def __init__(self, message: str, *, line: int = 0):
        super().__init__(message)
        self.line = line


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as probe:
        return probe.read(2) == b"\x1f\x8b"


def _text(raw: bytes, number: int) -> str:
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        raise BadLine("NUL byte in record: not stored")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadLine(f"invalid UTF-8 at byte {error.start} of the line: not stored") from None


def read_lines(
    path: Path, *, max_line: int, max_unpacked: int
) -> Iterator[tuple[int, str | BadLine]]:
    """(line number, text or the reason it is unusable) for each non-blank line.

    A line longer than ``max_line`` bytes is skipped in chunks, never held whole. A gzip
    file that decompresses past ``max_unpacked`` bytes, or whose data is damaged, raises
    StoppedFile after the lines before that point.
    """
    try:
        gzipped = _is_gzip(path)
        handle = gzip.open(path, "rb") if gzipped else path.open("rb")
    except OSError as error:
        raise StoppedFile(f"unreadable: {error.strerror or error}") from None
    number, total = 0, 0
    with handle:
        try:
            while raw := handle.readline(max_line + 1):
                number += 1
                total += len(raw)
                too_long = len(raw) > max_line and not raw.endswith(b"\n")
                while too_long and not raw.endswith(b"\n") and raw:
                    raw = handle.readline(_CHUNK)
                    total += len(raw)
                    if gzipped and total > max_unpacked:
                        break
                if gzipped and total > max_unpacked:
                    raise StoppedFile(
                        f"decompresses to more than the limit of {max_unpacked} bytes "
                        f"(ARCHIVE_MAX_UNPACKED_BYTES): stopped at line {number}, "
                        "lines before it were imported",
                        line=number,
                    )
                if too_long:
                    yield number, BadLine(f"record longer than {max_line} bytes: skipped unread")
                    continue
                if not raw.strip():
                    continue
                try:
                    yield number, _text(raw.rstrip(b"\r\n"), number)
                except BadLine as error:
                    yield number, error
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise StoppedFile(
                f"damaged gzip data after line {number} ({error}): lines before it were imported",
                line=number + 1,
            ) from None
        except OSError as error:
            raise StoppedFile(
                f"read error after line {number}: {error.strerror or error}"
            ) from None
