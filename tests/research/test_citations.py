"""How to cite an article: GB/T 7714 and APA text, the page's Cite block, RIS and BibTeX."""

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from archive.models import Language, Source
from archive.research.citations import Converted, apa7, gbt7714
from archive.research.export import Record
from archive.search.indexer import drain_queue
from tests.factories import make_article
from tests.research.test_export import HOSTILE, bib_text, read_bibtex, read_ris

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = "http://testserver/articles/1/"


def record(**fields) -> Record:
    defaults = {
        "id": 1,
        "url": URL,
        "title": "内蒙古打造稀土交易中心",
        "subtitle": "",
        "source": "新华社",
        "published": "2021-12-13",
        "day": dt.date(2021, 12, 13),
        "language": Language.SIMPLIFIED,
        "authors": ["彭强"],
    }
    return Record(**{**defaults, **fields})


HANT = Converted(title="內蒙古打造稀土交易中心", lang="zh-Hant")


def test_gbt_with_author_and_date():
    assert (
        gbt7714(record()).text == f"彭强. 内蒙古打造稀土交易中心[N/OL]. 新华社, 2021-12-13. {URL}."
    )


def test_gbt_with_access_date_and_subtitle():
    cited = gbt7714(record(subtitle="包头稀土产业升级"), accessed=dt.date(2025, 1, 31))
    assert cited.text == (
        f"彭强. 内蒙古打造稀土交易中心: 包头稀土产业升级[N/OL]. 新华社, 2021-12-13[2025-01-31]. {URL}."
    )


def test_gbt_without_author_starts_with_the_title_and_without_date_leaves_it_out():
    assert gbt7714(record(authors=[])).text == (
        f"内蒙古打造稀土交易中心[N/OL]. 新华社, 2021-12-13. {URL}."
    )
    assert (
        gbt7714(record(authors=[], day=None)).text
        == f"内蒙古打造稀土交易中心[N/OL]. 新华社. {URL}."
    )


def test_gbt_names_three_authors_then_etal():
    assert gbt7714(record(authors=["甲", "乙", "丙", "丁"])).text.startswith("甲, 乙, 丙, 等. ")
    english = record(
        authors=["A Smith", "B Jones", "C Brown", "D White"],
        title="Rare earth prices rise",
        source="Reuters",
        language=Language.ENGLISH,
    )
    assert gbt7714(english).text.startswith("A Smith, B Jones, C Brown, et al. Rare earth")


def test_gbt_adds_the_title_in_the_chosen_script():
    cited = gbt7714(record(), converted=HANT)
    assert cited.text.startswith("彭强. 内蒙古打造稀土交易中心（內蒙古打造稀土交易中心）[N/OL]. ")
    assert '<span lang="zh-Hant">內蒙古打造稀土交易中心</span>' in cited.html


def test_apa_with_author_and_date():
    cited = apa7(record())
    assert cited.text == f"彭强. (2021, December 13). 内蒙古打造稀土交易中心. 新华社. {URL}"
    assert "<i>新华社</i>" in cited.html


def test_apa_without_author_puts_the_title_first_and_without_date_says_nd():
    assert apa7(record(authors=[])).text == (
        f"内蒙古打造稀土交易中心. (2021, December 13). 新华社. {URL}"
    )
    assert apa7(record(day=None)).text == f"彭强. (n.d.). 内蒙古打造稀土交易中心. 新华社. {URL}"
    assert apa7(record(authors=[], day=None, title="Is it over?")).text == (
        f"Is it over? (n.d.). 新华社. {URL}"
    )


def test_apa_joins_authors_with_an_ampersand():
    assert apa7(record(authors=["Jane Doe", "John Roe"])).text.startswith("Jane Doe & John Roe. (")
    assert apa7(record(authors=["A", "B", "C"])).text.startswith("A, B, & C. (")


def test_apa_adds_the_title_in_the_chosen_script_in_brackets():
    simplified = Converted(title="内蒙古打造稀土交易中心", lang="zh-Hans")
    cited = apa7(
        record(title="內蒙古打造稀土交易中心", language=Language.TRADITIONAL), converted=simplified
    )
    assert cited.text == (
        f"彭强. (2021, December 13). 內蒙古打造稀土交易中心 [内蒙古打造稀土交易中心]. 新华社. {URL}"
    )


def test_citation_html_escapes_the_title():
    cited = apa7(record(title="<script>alert(1)</script>", source="<b>x</b>"))
    assert "<script>" not in cited.html and "&lt;script&gt;" in cited.html
    assert "<i>&lt;b&gt;x&lt;/b&gt;</i>" in cited.html


# --- Through the site -------------------------------------------------------------------


@pytest.fixture
def article(db):
    source = Source.objects.create(name="新华社", name_en="Xinhua", slug="xinhua")
    article = make_article(
        "内蒙古打造稀土交易中心",
        "包头市发布稀土产业规划。",
        source=source,
        published=dt.date(2021, 12, 13),
        authors=["彭强"],
    )
    drain_queue()
    return article


def cite_block(response) -> str:
    assert response.status_code == 200
    page = response.content.decode()
    match = re.search(r'<section class="cite".*?</section>', page, re.S)
    assert match, "no Cite block"
    return match[0]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.mark.parametrize(
    ("headers", "heading"), [({}, 'id="cite-title"'), (EN, "Cite this article")]
)
def test_the_article_page_has_the_cite_block_in_both_languages(client, article, headers, heading):
    block = cite_block(client.get(article.get_absolute_url(), **headers))
    url = f"http://testserver/articles/{article.pk}/"
    assert heading in block
    assert f'href="{url}"' in block
    gbt = f"彭强. 内蒙古打造稀土交易中心[N/OL]. 新华社, 2021-12-13. {url}."
    assert gbt in text_of(block)
    assert f"彭强. (2021, December 13). 内蒙古打造稀土交易中心. 新华社. {url}" in text_of(block)
    assert f'href="/articles/{article.pk}/cite.ris"' in block
    assert f'href="/articles/{article.pk}/cite.bib"' in block
    assert not re.search(r"\]\[\d{4}-\d\d-\d\d\]", block), "no access date in a cached page"


def test_the_cite_block_follows_the_chosen_script(client, article):
    block = text_of(cite_block(client.get(article.get_absolute_url(), {"script": "hant"})))
    assert "内蒙古打造稀土交易中心（內蒙古打造稀土交易中心）[N/OL]" in block
    assert "内蒙古打造稀土交易中心 [內蒙古打造稀土交易中心]. 新华社." in block
    plain = text_of(cite_block(client.get(article.get_absolute_url())))
    assert "內蒙古" not in plain


def test_the_cite_block_is_cached_with_the_page(client, article):
    first = cite_block(client.get(article.get_absolute_url(), {"utm_source": "x"}))
    second = cite_block(client.get(article.get_absolute_url(), {"utm_source": "y"}))
    assert first == second


def test_the_cite_block_escapes_a_hostile_title(client, db):
    hostile = make_article(f"稀土 {HOSTILE}", "稀土。")
    block = cite_block(client.get(hostile.get_absolute_url()))
    assert "<script>" not in block
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block


def test_cite_ris_downloads_one_record_accessed_today(client, article):
    response = client.get(f"/articles/{article.pk}/cite.ris")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="archive{article.pk}.ris"'
    (entry,), preamble = read_ris(response.content.decode())
    assert preamble == []
    assert entry["TY"] == ["NEWS"]
    assert entry["TI"] == ["内蒙古打造稀土交易中心"]
    assert entry["AU"] == ["彭强"] and entry["T2"] == ["新华社"]
    assert entry["UR"] == [f"http://testserver/articles/{article.pk}/"]
    assert entry["Y2"] == [timezone.localdate().strftime("%Y/%m/%d/")]


def test_cite_bib_downloads_one_entry_accessed_today(client, article):
    response = client.get(f"/articles/{article.pk}/cite.bib")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="archive{article.pk}.bib"'
    (entry,), outside = read_bibtex(response.content.decode())
    assert outside.strip() == ""
    assert entry["_type"] == "article" and entry["_key"] == f"archive{article.pk}"
    assert entry["title"] == "{内蒙古打造稀土交易中心}" and entry["journal"] == "新华社"
    assert entry["urldate"] == timezone.localdate().isoformat()


def test_cite_downloads_of_a_hostile_title_still_parse(client, db):
    hostile = make_article(
        f"稀土 {HOSTILE}", "稀土。", source=Source.objects.create(name="}{%", slug="x")
    )
    (entry,), _ = read_ris(client.get(f"/articles/{hostile.pk}/cite.ris").content.decode())
    assert entry["TI"] == [" ".join(f"稀土 {HOSTILE}".split())]
    (bib,), _ = read_bibtex(client.get(f"/articles/{hostile.pk}/cite.bib").content.decode())
    assert bib_text(bib["title"][1:-1]) == " ".join(f"稀土 {HOSTILE}".split())
    assert bib_text(bib["journal"]) == "}{%"


@pytest.mark.parametrize("path", ["cite.ris", "cite.bib"])
def test_cite_downloads_of_a_missing_article_are_404(client, db, path):
    assert client.get(f"/articles/999999/{path}").status_code == 404
    assert client.get(f"/articles/{2**64}/{path}").status_code == 404
