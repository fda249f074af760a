"""Site furniture: boilerplate and trailing lists removed from plain paragraphs."""

import re
from dataclasses import dataclass, field

from archive.ingest.markup import html_to_lines
from archive.text import fold

__all__ = ["Cleaned", "clean_lines", "html_to_lines", "looks_like_html"]

# Headings after which a page only lists other articles ("related", "hot news" …), folded.
TRAILING_HEADINGS = {
    fold(h)
    for h in (
        "相关内容",
        "相关阅读",
        "相关新闻",
        "相关文章",
        "相关推荐",
        "延伸阅读",
        "推荐阅读",
        "热门资讯",
        "热门推荐",
        "热门文章",
        "热点新闻",
        "热点视频",
        "热点舆情",
        "猜你喜欢",
        "更多精彩",
        "精彩推荐",
        "Related articles",
        "Related stories",
        "Read more",
        "More on this story",
    )
}
_COPYRIGHT = re.compile(
    r"(版权(所有|声明|及免责声明)|免责声明|ICP[备証证]|公网安备|copyright\s*(©|\(c\))|all rights reserved)",
    re.IGNORECASE,
)
_EDITOR = re.compile(
    r"^[\[【(（]?\s*(责任编辑|编辑|责编|审核|校对)\s*[:：]\s*(?P<names>[^\]】)）]{1,30})[\]】)）]?$"
)
_PROMO = re.compile(
    r"(扫描?(下方|上方|左侧|右侧)?二维码|扫码(关注|下载|阅读|收听|观看|加入)|关注.{0,8}(公众号|微信号|官方微信)"
    r"|尽在.{0,12}app|下载.{0,8}客户端)",
    re.IGNORECASE,
)
_JUNK = re.compile(r"^[\s?？.。·•*\-—_|]*$")
_REPRINT = re.compile(r"^(转自|转载自|来源|稿源|文章来源)\s*[:：]\s*(?P<name>.{2,40})$")


def quick_fold(text: str) -> str:
    """archive.text.fold, with a fast path for plain ASCII text (nothing to convert)."""
    return text.lower() if text.isascii() else fold(text)


@dataclass
class Cleaned:
    paragraphs: list[str]
    editors: list[str] = field(default_factory=list)
    original_source: str = ""
    removed: list[str] = field(default_factory=list)


_HTML = re.compile(
    r"</(p|div|span|a|font|b|i|em|strong|li|ul|ol|h[1-6]|table|tr|td|blockquote|figure|section)>"
    r"|<br\s*/?>|<!--|<(script|style|iframe)\b"
    r"|<(p|div|span|a|img|font|section|figure|table)\s+[a-z-]+\s*=",
    re.IGNORECASE,
)


# Bare lower-case tags (`<h2>`); newswire tickers such as `<P>` or `<SRD>` are upper case.
_BARE_TAG = re.compile(r"<(h[1-6]|p|div|br|li|ul|ol|blockquote|strong|em|b|i|hr)>")


def looks_like_html(text: str) -> bool:
    """Real markup (closing tags, attributes, comments), not `<Company Inc>` in newswire."""
    return bool(_HTML.search(text) or _BARE_TAG.search(text))


def clean_lines(lines: list[str]) -> Cleaned:
    """Paragraphs from text lines, with furniture removed and its metadata kept."""
    result = Cleaned(paragraphs=[])
    for raw in lines:
        line = raw.replace("\u00a0", " ").replace("\u3000", " ").strip()
        if not line:
            continue
        folded = quick_fold(line).strip()
        if folded.rstrip(":：") in TRAILING_HEADINGS:
            result.removed.append(f"cut trailing list from “{line}” on")
            break
        if match := _EDITOR.match(folded):
            names = line[match.start("names") : match.end("names")]
            result.editors.extend(n for n in re.split(r"[\s,，、/]+", names.strip()) if n)
            result.removed.append(f"editor credit “{line}”")
            continue
        if len(line) <= 200 and _COPYRIGHT.search(folded):
            result.removed.append(f"copyright/licence line “{line[:40]}”")
            continue
        if len(line) <= 60 and _PROMO.search(folded):
            result.removed.append(f"promotion “{line}”")
            continue
        if (match := _REPRINT.match(folded)) and len(line) <= 50:
            result.original_source = line[match.start("name") : match.end("name")].strip()
            result.removed.append(f"reprint line “{line}”")
            continue
        if _JUNK.match(line):
            continue
        result.paragraphs.append(re.sub(r"[ \t]+", " ", line))
    return result
