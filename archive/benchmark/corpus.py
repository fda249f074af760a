"""Benchmark corpora: the shared JSON Lines corpus, scaled copies, or synthetic articles."""

import gzip
import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

CORPUS_SIZE = 61_301


@dataclass
class CorpusInfo:
    """The JSON Lines files one benchmark size reads, and what they hold."""

    files: list[Path]
    articles: int
    text_bytes: int  # UTF-8 bytes of title + body, the figure MB/s are computed on
    zh_bytes: int
    synthetic: bool
    copies: int = 1
    languages: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["files"] = [str(p) for p in self.files]
        return data


def corpus_files(*, corpus_dir: Path | None) -> list[Path]:
    """The corpus's ``*.jsonl.gz`` / ``*.jsonl`` files, sorted; empty when absent."""
    if corpus_dir is None or not corpus_dir.is_dir():
        return []
    return sorted([*corpus_dir.glob("*.jsonl.gz"), *corpus_dir.glob("*.jsonl")])


def read_records(paths: list[Path]) -> Iterator[dict]:
    """Every well-formed record of the files, in order; bad lines are skipped."""
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and record.get("id") and record.get("body"):
                    yield record


def is_chinese(record: dict) -> bool:
    return str(record.get("lang", "")).startswith("zh")


def record_bytes(record: dict) -> int:
    return len((record.get("title") or "").encode()) + len((record.get("body") or "").encode())


# --- synthetic fallback -------------------------------------------------------------
_ZH_WORDS = (
    "经济 发展 稀土 包头 内蒙古 永磁 电机 产业 新能源 汽车 高质量 改革 开放 创新 科技 "
    "企业 市场 投资 项目 人才 政策 国家 地区 城市 乡村 振兴 生态 环境 保护 能源 储氢 "
    "材料 冶炼 分离 交易 价格 研发 合作 建设 数字 人工智能 港口 疫情 医疗 卫生 福利 "
    "教育 文化 旅游 交通 铁路 农业 粮食 工业 制造 出口 增长 百分之 会议 强调 推动"
).split()
_ZH_HANT_WORDS = (
    "經濟 發展 臺灣 衛生 福利部 健保署 疫情 醫療 藥局 民眾 防疫 疫苗 社會 照顧 長照 "
    "政策 補助 計畫 服務 家庭 兒童 婦女 高齡 健康 醫院 公佈 檢驗 確診 統計"
).split()
_EN_WORDS = (
    "economy growth city housing market oil prices rare earth magnets policy government "
    "minister bank interest rates climate change public transport trade export company "
    "shares profit quarter workers union council planning development investment energy "
    "water river bridge railway station mayor residents report said year percent million"
).split()
_SOURCES = {
    "zh-Hans": ["新闻联播", "新华社", "人民日报"],
    "zh-Hant": ["衛生福利部"],
    "en": ["The Guardian", "Reuters", "South China Morning Post"],
}


def synthetic_record(*, rng: random.Random, index: int) -> dict:
    """One generated article (about 1-3 KB) in simplified, traditional or English."""
    lang = rng.choices(["zh-Hans", "zh-Hant", "en"], weights=[45, 10, 45])[0]
    words = {"zh-Hans": _ZH_WORDS, "zh-Hant": _ZH_HANT_WORDS, "en": _EN_WORDS}[lang]
    joiner = " " if lang == "en" else ""
    end = ". " if lang == "en" else "。"

    def sentence() -> str:
        return joiner.join(rng.choices(words, k=rng.randint(6, 18))) + end

    paragraphs = ["".join(sentence() for _ in range(rng.randint(2, 5))) for _ in range(4)]
    year, month, day = rng.randint(2007, 2026), rng.randint(1, 12), rng.randint(1, 28)
    return {
        "id": f"synthetic-{index}",
        "title": joiner.join(rng.choices(words, k=rng.randint(3, 7))),
        "body": "\n".join(paragraphs),
        "date": f"{year:04d}-{month:02d}-{day:02d}",
        "source": rng.choice(_SOURCES[lang]),
        "lang": lang,
        "url": f"https://example.org/synthetic/{index}",
        "tags": rng.sample(["economy", "industry", "health", "cities"], k=rng.randint(0, 2)),
    }


# --- writing a benchmark size ----------------------------------------------------------
def _stride_sample(records: list[dict], size: int) -> list[dict]:
    """``size`` records spread evenly over the list, so every file is represented."""
    if size >= len(records):
        return records
    step = len(records) / size
    return [records[int(i * step)] for i in range(size)]


def _copy_of(record: dict, copy: int) -> dict:
    """Another article made from ``record``: a new id, and a body line that makes its text
    its own (the importer rightly refuses the same text twice as a duplicate)."""
    body = f"{record.get('body') or ''}\n（副本 {copy}）"
    return {**record, "id": f"{record['id']}~x{copy}", "body": body}


def build_corpus(*, size: int, corpus_dir: Path | None, work_dir: Path) -> CorpusInfo:
    """Write (or reference) the JSON Lines for ``size`` articles.

    The full corpus is used as is; a smaller size is an even sample of it; a
    larger size adds copies under new ids (``<id>~x2``...) with a line added to the body,
    so the importer does not take them for duplicates. Without a corpus,
    synthetic articles stand in.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    sources = corpus_files(corpus_dir=corpus_dir)
    synthetic = not sources
    if synthetic:
        rng = random.Random(20260101)
        base = [synthetic_record(rng=rng, index=i) for i in range(size)]
    else:
        base = list(read_records(sources))
    if not synthetic and size == len(base):
        files, records, copies = sources, base, 1
    else:
        copies = max(1, -(-size // len(base)))
        records = _stride_sample(base, size) if size <= len(base) else base
        files = [work_dir / f"bench-{size}.jsonl"]
        with open(files[0], "w", encoding="utf-8") as fh:
            written = 0
            for copy in range(1, copies + 1):
                for record in records:
                    if written >= size:
                        break
                    out = record if copy == 1 else _copy_of(record, copy)
                    fh.write(json.dumps(out, ensure_ascii=False) + "\n")
                    written += 1
    total = min(size, len(records) * copies)
    per_copy_bytes = sum(record_bytes(r) for r in records)
    per_copy_zh = sum(record_bytes(r) for r in records if is_chinese(r))
    factor = total / len(records)
    languages: dict[str, int] = {}
    for record in records:
        languages[record.get("lang", "?")] = languages.get(record.get("lang", "?"), 0) + 1
    return CorpusInfo(
        files=files,
        articles=total,
        text_bytes=int(per_copy_bytes * factor),
        zh_bytes=int(per_copy_zh * factor),
        synthetic=synthetic,
        copies=copies,
        languages={k: int(v * factor) for k, v in languages.items()},
    )


def peer_records(*, info: CorpusInfo) -> Iterator[dict]:
    """The articles of one size exactly as the importer sees them (for the peers)."""
    yield from read_records(info.files)
