"""The production configuration on real responses (RELIABILITY.md §8 W2).

Settings are read once per process, so the production environment (DEBUG off,
HTTPS on, a real secret key) runs in a subprocess of its own: a separate
installation (tests.processes.Site) whose ``manage.py shell`` drives Django's
test client over "HTTPS" (``secure=True``) and prints what came back as JSON.
"""

import json
import re
import secrets
import string

import pytest

from tests.processes import Site

pytestmark = pytest.mark.slow

PASSWORD = "correct-horse-battery-staple-7"

SCRIPT = """
import json
from django.contrib.auth import get_user_model
from django.test import Client

get_user_model().objects.create_superuser("boss", "boss@example.org", PASSWORD)
client = Client()
seen = {}

def record(name, response):
    seen[name] = {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {
            key: {
                "secure": bool(morsel["secure"]),
                "httponly": bool(morsel["httponly"]),
                "samesite": morsel["samesite"],
            }
            for key, morsel in response.cookies.items()
        },
    }

record("home", client.get("/", secure=True))
record("login_page", client.get("/admin/login/", secure=True))
token = client.cookies["csrftoken"].value
record(
    "login",
    client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": PASSWORD, "csrfmiddlewaretoken": token},
        secure=True,
    ),
)
record("admin", client.get("/admin/", secure=True))
record(
    "set_language",
    client.post(
        "/i18n/setlang/",
        {"language": "en", "next": "/", "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
        secure=True,
    ),
)
record("plain_http", client.get("/"))
print("JSON:" + json.dumps(seen))
"""


def _secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(50))


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    site = Site(
        tmp_path_factory.mktemp("production") / "var",
        extra_env={
            "DJANGO_DEBUG": "0",
            "DJANGO_HTTPS": "1",
            "DJANGO_SECRET_KEY": _secret_key(),
            "DJANGO_ALLOWED_HOSTS": "testserver",
        },
    )
    # DEBUG off serves static files through the manifest storage, as in the image.
    site.manage("collectstatic", "--noinput", "-v0")
    site.manage("ensure_index")
    result = site.manage("shell", "-c", SCRIPT.replace("PASSWORD", repr(PASSWORD)))
    line = next(x for x in result.stdout.splitlines() if x.startswith("JSON:"))
    return json.loads(line.removeprefix("JSON:"))


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


def test_production_pages_answer_over_https(production):
    assert production["home"]["status"] == 200
    assert production["login_page"]["status"] == 200
    assert production["login"]["status"] == 302  # signed in
    assert production["admin"]["status"] == 200
    assert production["set_language"]["status"] == 302
    # Plain HTTP is sent to HTTPS.
    plain = production["plain_http"]
    assert plain["status"] == 301 and plain["headers"]["Location"].startswith("https://")


@pytest.mark.parametrize("page", ["home", "login_page", "login", "admin"])
def test_production_sends_hsts_and_a_strict_csp(production, page):
    headers = production[page]["headers"]
    hsts = headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31536000, hsts
    assert "includeSubDomains" in hsts
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Referrer-Policy"]


def test_production_cookies_are_secure(production):
    csrf = production["login_page"]["cookies"]["csrftoken"]
    assert csrf["secure"]
    session = production["login"]["cookies"]["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    # Every cookie the site sets over HTTPS is Secure, whichever page set it.
    for page, seen in production.items():
        for name, cookie in seen["cookies"].items():
            if page != "plain_http":
                assert cookie["secure"], (page, name)


def test_production_language_cookie_is_lax_and_secure(production):
    language = production["set_language"]["cookies"]["django_language"]
    assert language["secure"] and language["samesite"] == "Lax"
    assert language["httponly"]
