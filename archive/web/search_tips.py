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
        _("Both languages"),
        "稀土",
        _("terms in the glossary are also searched in the other language (“rare earth”)"),
    ),
)
