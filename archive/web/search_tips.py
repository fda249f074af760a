"""The "Search tips" page's examples: one per operator, each a search a reader can run."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Tip:
    name: Promise  # what the operator is called
    query: str  # an example, exactly as typed in the search box
    finds: Promise  # what that example finds

    @property
    def url(self) -> str:
        return f"{reverse('search')}?{urlencode({'q': self.query})}"


TIPS = (
    Tip(_("All the words"), "稀土 包头", _("articles with both words, in any order")),
    Tip(
        _("Either script"),
        "臺灣",
        _("traditional and simplified characters alike: 臺灣 finds 台湾 too, and the reverse"),
    ),
    Tip(
        _("Any part of a Chinese word"),
        "永磁",
        _("every article containing these characters, also inside longer words"),
    ),
    Tip(_("An exact phrase"), '"rare earth"', _("the words together, in this order")),
    Tip(_("Leave out a word"), "稀土 -出口", _("articles about 稀土 that do not mention 出口")),
    Tip(_("Either word"), "磁铁 OR magnets", _("articles with one word or the other")),
    Tip(_("English word forms"), "magnets", _("magnet, magnets and other forms of the word")),
    Tip(
        _("Hyphenated words"),
        "shanghai",
        _("“Shanghai-based” too: a hyphenated word is found by each of its parts"),
    ),
    Tip(
        _("Words near each other"),
        '"稀土 永磁"~10',
        _("both words at most 10 characters apart (in English, 10 words), in any order"),
    ),
    Tip(
        _("Near, as an operator"),
        "interest NEAR/3 rates",
        _("“interest” within 3 words of “rates”, before or after it"),
    ),
    Tip(
        _("Beginning of an English word"),
        "econom*",
        _("economy, economic, economies…: the most frequent 50 words that start this way"),
    ),
    Tip(_("In the title"), "title:稀土", _("articles with 稀土 in their title")),
    Tip(
        _("From one source"),
        "稀土 source:中国工业报",
        _("by source name or short name; -source: leaves a source out"),
    ),
    Tip(
        _("On one topic"),
        "topic:economy",
        _("by the topic's name in Chinese or English, or its short name"),
    ),
    Tip(_("In one language"), "稀土 lang:zh-Hant", _("zh (both scripts), zh-Hans, zh-Hant or en")),
    Tip(
        _("In a period"),
        "稀土 date:2021..2024-06",
        _("a year (2024), a month (2024-05), a day, or a range of them with “..”"),
    ),
    Tip(
        _("Pinyin"),
        "xitu",
        _("Chinese words read this way (稀土), with or without tones: xī tǔ, Baotou"),
    ),
    Tip(
        _("Both languages"),
        "稀土",
        _("terms in the glossary are also searched in the other language (“rare earth”)"),
    ),
)
