"""Damaged posting data (not only missing files): a 503 page, never a 500; a rebuild recovers."""

from io import StringIO

import pytest
from django.core.management import call_command

from archive.search.backends.whoosh import storage
from archive.search.indexer import drain_queue
from tests.factories import make_article

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_search_state")]


def _postings_file():
    (path,) = storage.current_dir().glob("*.pst")
    return path


def _garble(data: bytes) -> bytes:
    """Every packed record's header and arrays overwritten (a disk or copy gone wrong)."""
    return bytes((b ^ 0x5A) for b in data)


DAMAGE = {
    "garbled records": lambda data: _garble(data),
    "cut in half": lambda data: data[: len(data) // 2],
    "zeroed": lambda data: bytes(len(data)),
}


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_damaged_postings_answer_503_and_rebuild_recovers(client, how):
    articles = [make_article(f"稀土交易中心{n}", f"包头稀土交易所第{n}次升级。") for n in range(30)]
    drain_queue()
    postings = _postings_file()
    postings.write_bytes(DAMAGE[how](postings.read_bytes()))
    storage._reader.clear()  # as a worker that opens the damaged files

    for url in ("/search/", "/api/search", "/feeds/search/"):
        response = client.get(url, {"q": "稀土"}, **EN)
        assert response.status_code == 503, (url, response.status_code)
        assert "Traceback" not in response.content.decode()
    page = client.get("/search/", {"q": "稀土 交易"}, **EN).content.decode()
    assert "Search temporarily unavailable" in page
    # The article page still works: its related list is left out, not a crash.
    assert client.get(articles[0].get_absolute_url(), **EN).status_code == 200

    call_command("rebuild_index", stdout=StringIO())
    response = client.get("/search/", {"q": "稀土"}, **EN)
    assert response.status_code == 200
    assert response.context["results"].total == 30
