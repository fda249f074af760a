"""deploy/nginx in front of a real gunicorn on loopback, and gunicorn losing a worker.

docker-compose cannot run here, so this module runs the committed nginx
templates (deploy/nginx/templates/, plus the TLS server in deploy/nginx/tls/)
the way the nginx image does: ``${NAME}`` replaced for each variable set, the
result in ``conf.d/`` beside a main ``nginx.conf`` that includes
``conf.d/*.conf``. Only that main file is the test's own: pid, log and temp
paths under tmp_path, so nginx runs without root. Behind it runs gunicorn as
``make run`` starts it (archive/gunicorn_conf.py) on a separate installation
(tests.processes.Site).

nginx missing: these tests skip, unless ARCHIVE_REQUIRE_NGINX=1 (CI), where they fail.
RELIABILITY.md W2 (Server header), K5 (a worker killed mid-request).
"""

import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from django.conf import settings

from tests.processes import Site, free_port, kill_hard, wait_for

pytestmark = pytest.mark.slow

DEPLOY = settings.BASE_DIR / "deploy" / "nginx"
TEMPLATES = sorted((DEPLOY / "templates").glob("*.template"))
TLS_TEMPLATE = DEPLOY / "tls" / "archive-tls.conf.template"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
NGINX = shutil.which("nginx") or (
    "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
)
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
MARKER = "served from nginx's static root, unknown to gunicorn\n"

MAIN_CONF = """\
{user}worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {root}/access.log;
    client_body_temp_path {root}/temp/body;
    proxy_temp_path {root}/temp/proxy;
    fastcgi_temp_path {root}/temp/fastcgi;
    uwsgi_temp_path {root}/temp/uwsgi;
    scgi_temp_path {root}/temp/scgi;
    include conf.d/*.conf;
}}
"""


def require(program: str | None, name: str) -> str:
    if program:
        return program
    message = f"{name} is not installed (apt-get install {name})"
    if os.environ.get("ARCHIVE_REQUIRE_NGINX") == "1":
        pytest.fail(f"{message}; ARCHIVE_REQUIRE_NGINX=1 makes this a failure")
    pytest.skip(message)


def render(template: Path, values: dict[str, str]) -> str:
    """The nginx image's envsubst step: ``${NAME}`` -> value, for the names we set."""
    text = template.read_text(encoding="utf-8")
    unset = set(PLACEHOLDER.findall(text)) - values.keys()
    assert not unset, f"{template.name} needs {sorted(unset)}"
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


class Nginx:
    """nginx with the committed templates, in a prefix of its own."""

    def __init__(self, root: Path, values: dict[str, str], *, tls: bool = False):
        self.root = root
        (root / "conf.d").mkdir(parents=True)
        (root / "temp").mkdir()
        # Started by root, nginx's workers would run as "nobody", locked out of tmp_path.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (root / "nginx.conf").write_text(MAIN_CONF.format(root=root, user=user))
        for template in [*TEMPLATES, *([TLS_TEMPLATE] if tls else [])]:
            (root / "conf.d" / template.name.removesuffix(".template")).write_text(
                render(template, values)
            )
        self.proc: subprocess.Popen | None = None

    def command(self, *args: str) -> list[str]:
        conf = str(self.root / "nginx.conf")
        return [NGINX, "-p", str(self.root), "-c", conf, "-e", str(self.root / "error.log"), *args]

    def test_config(self) -> subprocess.CompletedProcess:
        return subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=30)

    def start(self, port: int) -> "Nginx":
        checked = self.test_config()
        assert checked.returncode == 0, checked.stderr
        log = open(self.root / "nginx.out", "ab")
        self.proc = subprocess.Popen(self.command("-g", "daemon off;"), stdout=log, stderr=log)
        wait_for(lambda: _connects(port) or self.proc.poll() is not None, what="nginx to listen")
        assert self.proc.poll() is None, (self.root / "error.log").read_text()
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kill_hard(self.proc)


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def get(
    port: int, target: str, *, https: bool = False, method: str = "GET", client: str = "127.0.0.1"
):
    """(status, headers, body) of one request on loopback, sent from the address ``client``.

    nginx rate-limits by client address, so the tests that use up a budget send from an
    address of their own (any of 127.0.0.0/8) and leave 127.0.0.1's budget to the others.
    """
    source = (client, 0)
    if https:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
        connection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=30, context=context, source_address=source
        )
    else:
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=30, source_address=source
        )
    try:
        connection.request(method, target, headers={"Accept-Language": "en"})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (gunicorn's workers), from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


# --- The installation, gunicorn and nginx (shared by the module) ------------------------
@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn with 2 workers (no indexer beside it) on a migrated, indexed site."""
    port = free_port()
    site = Site(
        tmp_path_factory.mktemp("deploy") / "var",
        extra_env={
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "ARCHIVE_START_INDEXER": "0",
            "WEB_CONCURRENCY": "2",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_BEHIND_PROXY": "1",
        },
    )
    site.manage("ensure_index")
    master = site.start(
        program=[GUNICORN, "archive.wsgi:application", "--config", "archive/gunicorn_conf.py"]
    )
    try:
        wait_for(lambda: _answers(port, "/"), timeout=60, what="gunicorn")
        yield port, master
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_hard(master)


def _answers(port: int, target: str) -> bool:
    try:
        return get(port, target)[0] == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    openssl = require(shutil.which("openssl"), "openssl")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture(scope="module")
def nginx(gunicorn, certificate, tmp_path_factory):
    """nginx on HTTP and HTTPS in front of gunicorn: (http port, https port, static root)."""
    require(NGINX, "nginx")
    upstream, _master = gunicorn
    root = tmp_path_factory.mktemp("nginx")
    static = root / "static"
    (static / "css").mkdir(parents=True)
    (static / "nginx-only.txt").write_text(MARKER)
    shutil.copy(settings.BASE_DIR / "static" / "css" / "site.css", static / "css" / "site.css")
    http_port, https_port = free_port(), free_port()
    values = {
        "ARCHIVE_UPSTREAM": f"127.0.0.1:{upstream}",
        "ARCHIVE_LISTEN": f"127.0.0.1:{http_port}",
        "ARCHIVE_STATIC_ROOT": str(static),
        "ARCHIVE_ERROR_ROOT": str(DEPLOY / "errors"),
        "ARCHIVE_TLS_LISTEN": f"127.0.0.1:{https_port}",
        "ARCHIVE_TLS_CERT": str(certificate[0]),
        "ARCHIVE_TLS_KEY": str(certificate[1]),
    }
    server = Nginx(root / "prefix", values, tls=True).start(http_port)
    yield http_port, https_port, static
    server.stop()


# --- The config itself ----------------------------------------------------------------------
def test_compose_sets_every_variable_the_templates_use():
    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    tls = yaml.safe_load((settings.BASE_DIR / "deploy" / "docker-compose.tls.yml").read_text())
    nginx_env = compose["services"]["nginx"]["environment"]
    used = {name for t in TEMPLATES for name in PLACEHOLDER.findall(t.read_text())}
    assert used and used <= set(nginx_env)
    tls_used = set(PLACEHOLDER.findall(TLS_TEMPLATE.read_text())) - used
    assert tls_used <= set(tls["services"]["nginx"]["environment"])
    # gunicorn is reachable only through nginx; every long-running service comes back.
    services = compose["services"]
    assert "ports" not in services["web"] and services["nginx"]["ports"]
    for name in ("db", "web", "indexer", "nginx"):
        assert services[name]["restart"] == "unless-stopped", name
    for name, service in services.items():
        for volume in service.get("volumes", []):
            assert not volume.startswith((".", "/")), f"{name} mounts a host folder: {volume}"
    assert "POSTGRES_PASSWORD:?" in services["db"]["environment"]["POSTGRES_PASSWORD"]


def test_nginx_accepts_the_committed_config(nginx, tmp_path, certificate):
    # The fixture's nginx already passed `nginx -t`; show it, and that a typo would not.
    values = {name: "x" for t in TEMPLATES for name in PLACEHOLDER.findall(t.read_text())}
    values.update(ARCHIVE_UPSTREAM="127.0.0.1:9", ARCHIVE_LISTEN=f"127.0.0.1:{free_port()}")
    good = Nginx(tmp_path / "good", values).test_config()
    assert good.returncode == 0 and "test is successful" in good.stderr, good.stderr
    values["ARCHIVE_LISTEN"] = "127.0.0.1:notaport"
    assert Nginx(tmp_path / "bad", values).test_config().returncode != 0


# --- Proxying, static files, headers -----------------------------------------------------
def test_pages_and_healthz_come_through_nginx(nginx, gunicorn):
    http_port, https_port, _static = nginx
    status, headers, body = get(http_port, "/")
    assert status == 200 and 'class="site-header"' in body
    assert "content-security-policy" in headers  # Django's own headers pass through
    direct = get(gunicorn[0], "/healthz")
    proxied = get(http_port, "/healthz")
    assert proxied[0] == direct[0] and proxied[2] == direct[2]
    assert '"database": "ok"' in proxied[2]
    status, _headers, body = get(https_port, "/", https=True)
    assert status == 200 and 'class="site-header"' in body


def test_no_server_version_from_nginx_or_gunicorn(nginx, gunicorn):
    http_port, https_port, _static = nginx
    for port, https in [(http_port, False), (https_port, True)]:
        for target in ["/", "/static/nginx-only.txt", "/no/such/page/"]:
            headers = get(port, target, https=https)[1]
            assert headers["server"] == "nginx", (target, headers["server"])
    # Straight from gunicorn (as in front of any proxy): its name, no version.
    server = get(gunicorn[0], "/")[1]["server"]
    assert not re.search(r"\d", server), server


def test_static_files_are_served_by_nginx(nginx, gunicorn):
    http_port, _https_port, static = nginx
    status, headers, body = get(http_port, "/static/nginx-only.txt")
    assert status == 200 and body == MARKER
    assert get(gunicorn[0], "/static/nginx-only.txt")[0] == 404  # gunicorn has no such file
    assert "max-age=" in headers.get("cache-control", "")
    status, headers, body = get(http_port, "/static/css/site.css")
    assert status == 200 and headers["content-type"].startswith("text/css")
    assert body == (static / "css" / "site.css").read_text()
    assert get(http_port, "/static/../nginx.conf")[0] in {400, 404}
    assert get(http_port, "/static/missing.css")[0] == 404


# --- Limits and friendly error pages -------------------------------------------------------
def test_request_line_over_8k_gets_nginx_friendly_414(nginx):
    http_port, _https_port, _static = nginx
    status, headers, body = get(http_port, "/search/?q=" + quote("经济" * 1000))  # ~18 KB
    assert status == 414
    assert "The address is too long" in body and "网址太长" in body
    assert headers["content-type"].startswith("text/html")
    assert 'class="site-header"' not in body  # nginx's own page: gunicorn never saw it
    assert get(http_port, "/search/?q=" + quote("经济"))[0] == 200


def test_unreachable_gunicorn_gets_friendly_502(tmp_path):
    require(NGINX, "nginx")
    port = free_port()
    values = {
        "ARCHIVE_UPSTREAM": f"127.0.0.1:{free_port()}",  # nothing listens there
        "ARCHIVE_LISTEN": f"127.0.0.1:{port}",
        "ARCHIVE_STATIC_ROOT": str(tmp_path),
        "ARCHIVE_ERROR_ROOT": str(DEPLOY / "errors"),
    }
    server = Nginx(tmp_path / "prefix", values).start(port)
    try:
        status, _headers, body = get(port, "/articles/1/")
        assert status == 502
        assert "The archive is briefly unavailable" in body and "网站暂时无法访问" in body
    finally:
        server.stop()


THROTTLED = "127.0.0.2"  # the address the rate-limit tests use up


def test_search_rate_limit_answers_429_with_a_friendly_page(nginx):
    http_port, _https_port, _static = nginx
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(
            pool.map(lambda n: get(http_port, f"/search/?q=x{n}", client=THROTTLED), range(40))
        )
    statuses = [status for status, _headers, _body in answers]
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(429) >= 1 and statuses.count(200) >= 1, statuses
    refused = next(body for status, _headers, body in answers if status == 429)
    assert "Too many requests" in refused and "请求太频繁" in refused
    assert get(http_port, "/", client=THROTTLED)[0] == 200  # pages are not rate-limited
    assert get(http_port, "/search/?q=x")[0] == 200  # other readers keep their own budget


def test_admin_login_rate_limit_answers_429(nginx):
    http_port, _https_port, _static = nginx
    statuses = [get(http_port, "/admin/login/", client=THROTTLED)[0] for _ in range(12)]
    assert statuses[0] == 200 and 429 in statuses, statuses
    assert get(http_port, "/admin/", client=THROTTLED)[0] == 302  # only the login page
    assert get(http_port, "/admin/login/")[0] == 200  # another address is not locked out


# --- K5: a worker killed with SIGKILL in the middle of a request ---------------------------
def _server_side_inode(port: int, client_port: int) -> str | None:
    """The socket inode gunicorn holds for our connection, from /proc/net/tcp."""
    local, remote = f"0100007F:{port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote and fields[9] != "0":
            return fields[9]
    return None


def _worker_holding(inode: str | None, workers: set[int]) -> int | None:
    for pid in workers:
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue
        if inode and f"socket:[{inode}]" in links:
            return pid
    return None


def _workers(master: int, *, without: int | None = None) -> set[int] | None:
    """The master's two workers, once it has two (and ``without`` is not one of them)."""
    workers = children(master)
    return workers if len(workers) == 2 and without not in workers else None


def test_worker_killed_mid_request_is_replaced_and_the_others_keep_serving(gunicorn):
    port, master = gunicorn
    workers = wait_for(lambda: _workers(master.pid), what="two workers")
    # A login whose body is still on its way: the worker sits in Django's CSRF check,
    # reading request.POST, until the rest arrives. It never will.
    request = socket.create_connection(("127.0.0.1", port), timeout=30)
    request.sendall(
        b"POST /admin/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Cookie: csrftoken=" + b"a" * 32 + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        b"username=boss&pass"
    )
    client_port = request.getsockname()[1]
    busy = wait_for(
        lambda: _worker_holding(_server_side_inode(port, client_port), workers),
        what="the worker serving the request",
    )
    idle = (workers - {busy}).pop()
    os.kill(busy, signal.SIGKILL)

    try:
        assert request.recv(1024) == b""  # no answer: the connection just ends
    except ConnectionResetError:
        pass
    finally:
        request.close()
    now = wait_for(lambda: _workers(master.pid, without=busy), what="a replacement worker")
    assert master.poll() is None and idle in now  # the master, and the other worker, live on
    statuses = [
        get(port, target)[0] for _ in range(10) for target in ["/", "/search/?q=" + quote("经济")]
    ]
    assert statuses == [200] * 20


# --- K5 through nginx: the reader of the killed request gets the friendly 502 -------------
WRITER_LOCK_FILES = {"indexer.lock", "indexer.running", "MAIN_WRITELOCK"}

SIGNED_IN = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
user = get_user_model().objects.create_superuser("k5", "k5@example.org", "k5-" + "x" * 20)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print("SESSION", session.session_key)
"""


def _upstream_inodes(port: int) -> set[str]:
    """Inodes of the established connections gunicorn has accepted on ``port``."""
    local = f"0100007F:{port:04X}"
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == "01" and fields[9] != "0":
            found.add(fields[9])
    return found


def _worker_serving(port: int, workers: set[int]) -> int | None:
    for inode in _upstream_inodes(port):
        pid = _worker_holding(inode, workers)
        if pid:
            return pid
    return None


def _open_files(pid: int) -> set[str]:
    names = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            names.add(os.readlink(fd).rsplit("/", 1)[-1])
        except OSError:
            continue
    return names


def test_worker_killed_mid_request_behind_nginx_gets_the_friendly_502(nginx, gunicorn):
    http_port, _https_port, _static = nginx
    port, master = gunicorn
    workers = wait_for(lambda: _workers(master.pid), what="two workers")
    database = Path(_site_env(master)["ARCHIVE_VAR_DIR"]) / "archive.sqlite3"
    # A signed-in editor: every admin request saves the session (SESSION_SAVE_EVERY_REQUEST).
    made = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "shell", "-c", SIGNED_IN],
        env=_site_env(master),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    session_key = made.stdout.split("SESSION", 1)[1].split()[0]

    # Another writer holds the database: the worker waits in the session save, mid-request.
    blocker = sqlite3.connect(database, timeout=30, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            in_flight = pool.submit(
                _get_with_cookie, http_port, "/admin/", f"sessionid={session_key}"
            )
            busy = wait_for(
                lambda: _worker_serving(port, workers), what="a worker serving the request"
            )
            assert not in_flight.done()
            os.kill(busy, signal.SIGKILL)
            status, headers, body = in_flight.result(timeout=60)
        finally:
            blocker.rollback()
            blocker.close()
    assert status == 502
    assert headers["content-type"].startswith("text/html")
    assert "The archive is briefly unavailable" in body and "网站暂时无法访问" in body
    assert 'class="site-header"' not in body  # nginx's page, not a Django one

    now = wait_for(lambda: _workers(master.pid, without=busy), what="a replacement worker")
    assert master.poll() is None and (workers - {busy}) <= now
    targets = ["/", "/search/?q=" + quote("经济"), "/topics/", "/sources/"]
    statuses = [get(http_port, targets[n % len(targets)])[0] for n in range(20)]
    assert statuses == [200] * 20
    # The web workers, the replacement too, never hold the index writer's locks.
    for pid in _workers(master.pid) or ():
        assert not _open_files(pid) & WRITER_LOCK_FILES, pid


def _site_env(master: subprocess.Popen) -> dict[str, str]:
    """The environment gunicorn's master runs with (the Site's), from /proc."""
    raw = Path(f"/proc/{master.pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _get_with_cookie(port: int, target: str, cookie: str):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", target, headers={"Accept-Language": "en", "Cookie": cookie})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def test_no_gunicorn_worker_holds_the_index_writer_locks(nginx, gunicorn):
    http_port, _https_port, _static = nginx
    port, master = gunicorn
    for _ in range(4):  # searches, through nginx and straight, open the index in the workers
        assert get(http_port, "/search/?q=" + quote("经济"))[0] == 200
        assert get(port, "/search/?q=" + quote("稀土"))[0] == 200
    workers = wait_for(lambda: _workers(master.pid), what="two workers")
    for pid in workers:
        held = _open_files(pid) & WRITER_LOCK_FILES
        assert not held, (pid, held)
