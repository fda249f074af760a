"""Raw segmentation throughput (jieba and rjieba) and pre-segmented text for peers."""

import time

from archive.text import fold

_KEEP_MAX_LEN = 40


def _keep(token: str) -> bool:
    return 0 < len(token) <= _KEEP_MAX_LEN and any(ch.isalnum() for ch in token)


def segment_text(text: str) -> str:
    """Folded text as space-separated words (rjieba, accurate mode), punctuation dropped."""
    import rjieba

    return " ".join(t for t in rjieba.cut(fold(text)) if _keep(t.strip()))


def segment_query(query: str) -> list[str]:
    """The query words the peers search for, segmented exactly like their documents."""
    return segment_text(query).split()


def throughput(*, texts: list[str], max_seconds: float) -> dict:
    """MB/s of jieba and rjieba (accurate mode) over the same Chinese texts, one core.

    Each stops after ``max_seconds``; both are measured on the texts jieba
    reached so the ratio compares like with like.
    """
    import jieba
    import rjieba

    jieba.initialize()
    rjieba.cut("预热")
    done, nbytes, start = 0, 0, time.perf_counter()
    for text in texts:
        for _ in jieba.cut(text):
            pass
        done += 1
        nbytes += len(text.encode())
        if time.perf_counter() - start > max_seconds:
            break
    jieba_s = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts[:done]:
        rjieba.cut(text)
    rjieba_s = time.perf_counter() - start
    mb = nbytes / 1e6
    result = {
        "texts": done,
        "mb": round(mb, 2),
        "jieba_mb_s": round(mb / jieba_s, 3) if jieba_s else None,
        "rjieba_mb_s": round(mb / rjieba_s, 3) if rjieba_s else None,
    }
    if result["jieba_mb_s"] and result["rjieba_mb_s"]:
        result["rjieba_speedup"] = round(result["rjieba_mb_s"] / result["jieba_mb_s"], 1)
    return result
