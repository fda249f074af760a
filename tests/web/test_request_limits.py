"""Over-long addresses: a friendly, translated 414 page, in Django and behind gunicorn."""

import http.client
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.conf import settings

from archive.web.request_limits import MAX_REQUEST_LINE
from tests.processes import Site, free_port, wait_for

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
# "GET " + target + " HTTP/1.1": the longest target gunicorn used to accept.
LONGEST_TARGET = MAX_REQUEST_LINE - len("GET  HTTP/1.1")


def search_target(length: int) -> str:
    """A /search/ address of exactly ``length`` characters."""
    prefix = "/search/?q="
    return prefix + "a" * (length - len(prefix))


def assert_friendly_414(html: str) -> None:
    assert 'class="site-header"' in html and 'role="search"' in html
    assert 'href="/search/"' in html
    assert "Traceback" not in html


@pytest.mark.django_db
def test_long_search_address_is_a_friendly_414_in_both_languages(client):
    q = "经济" * 3000  # 6,000 characters, 54,000 once percent-encoded
    en = client.get("/search/", {"q": q}, **EN)
    assert en.status_code == 414
    html = en.content.decode()
    assert_friendly_414(html)
    assert "The address is too long" in html and "4,094 characters" in html
    assert f'name="q" value="{"经济" * 100}"' in html  # the start of the query, to retry
    assert "script-src 'self'" in en["Content-Security-Policy"]
    zh = client.get("/search/", {"q": q}, **ZH).content.decode()
    assert_friendly_414(zh)
    assert "<title>网址太长 · 新闻档案</title>" in zh and "返回搜索" in zh


@pytest.mark.django_db
def test_address_at_the_limit_is_served_and_one_more_character_is_not(client):
    assert client.get(search_target(LONGEST_TARGET), **EN).status_code != 414
    refused = client.get(search_target(LONGEST_TARGET + 1), **EN)
    assert refused.status_code == 414
    assert "The address is too long" in refused.content.decode()


@pytest.mark.django_db
def test_long_path_and_many_filters_are_414_not_404_or_400(client):
    response = client.get("/articles/1/" + "x" * 5000, **EN)
    assert response.status_code == 414
    assert_friendly_414(response.content.decode())
    filters = "&".join(f"topic=t{n}" for n in range(1200))
    assert client.get(f"/search/?{filters}", **EN).status_code == 414


def test_gunicorn_serves_the_friendly_414(tmp_path):
    port = free_port()
    site = Site(
        tmp_path / "site",
        extra_env={
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "ARCHIVE_START_INDEXER": "0",
            "WEB_CONCURRENCY": "1",
        },
    )
    server = site.start(
        program=[
            sys.executable,
            "-m",
            "gunicorn",
            "archive.wsgi:application",
            "--config",
            str(settings.BASE_DIR / "archive" / "gunicorn_conf.py"),
        ]
    )
    try:
        wait_for(lambda: _get(port, "/healthz")[0] in (200, 503), timeout=60, what="gunicorn")
        status, body = _get(port, "/search/?q=" + quote("a" * 6000))
        assert status == 414
        assert "The address is too long" in body and 'class="site-header"' in body
        status, _body = _get(port, search_target(LONGEST_TARGET))
        assert status != 414
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _get(port: int, target: str) -> tuple[int, str]:
    """(status, body) of a GET, or (0, "") when nothing answers yet."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", target, headers={"Accept-Language": "en"})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""
    finally:
        connection.close()
