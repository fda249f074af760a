"""Offline scanners against the real site on loopback (RELIABILITY.md W8).

``manage.py security_scan`` runs this. The steps, each a plain function:

1. ``scan_venv_ensure``: wapiti and sqlmap live in their own virtualenv
   (``var/scan-venv``), built from the pinned ``deploy/scan/requirements.txt``
   and rebuilt when that file changes; they never enter the project's ``.venv``.
2. ``site_prepare``: a scratch installation in a temporary folder
   (``ARCHIVE_VAR_DIR``), set up with ``manage.py prepare_site`` (migrations,
   static files, the seeds, the index), DEBUG off and a random secret key.
3. ``gunicorn_start``: served exactly as ``make run`` serves it, with
   ``gunicorn archive.wsgi:application --config archive/gunicorn_conf.py``
   (two workers and the indexer) on 127.0.0.1 and a free port.
4. ``wapiti_run`` on the public site, then on the admin login page, and
   ``sqlmap_run`` on the search page and the JSON search API, each bounded in time.
5. ``wapiti_report_parse`` / ``sqlmap_output_parse`` turn the reports into
   ``Finding`` rows; ``findings_triage`` marks the ones reviewed before
   (``TRIAGE``, each with its reason); ``findings_summary`` counts them by
   scanner, module and severity; ``verdict`` says pass, review or incomplete.
6. ``markdown`` renders the baseline committed under ``archive/audit/baselines/``.

Every request goes to 127.0.0.1 only. The admin login page is scanned last,
because its form posts are failed logins that django-axes counts and then
locks out (expected behaviour, recorded by ``axes_state``); the lock-out lives
in the scratch database, which is deleted afterwards.
"""

import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
REQUIREMENTS = BASE_DIR / "deploy" / "scan" / "requirements.txt"
SCAN_VENV = BASE_DIR / "var" / "scan-venv"
BASELINES = Path(__file__).resolve().with_name("baselines")

# The modules W8 asks for; every one exists in wapiti 3.2.3 (``wapiti --list-modules``).
WAPITI_MODULES = (
    "xss",
    "sql",
    "exec",
    "crlf",
    "permanentxss",
    "http_headers",
    "csp",
    "cookieflags",
)
PASSIVE_MODULES = ("http_headers", "csp", "cookieflags")
SEARCH_PATH = "/search/?q=x&topic=economy&page=1"
API_SEARCH_PATH = "/api/search?q=x"
ADMIN_LOGIN_PATH = "/admin/login/"
SQLMAP_PATHS = (SEARCH_PATH, API_SEARCH_PATH)
# wapiti's severity levels (wapitiCore/language/vulnerability.py).
WAPITI_LEVELS = {4: "critical", 3: "high", 2: "medium", 1: "low", 0: "info"}
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
WAPITI_SECTIONS = ("vulnerabilities", "anomalies", "additionals")
# Variables that would point the scratch site at the caller's data or change
# how it answers on plain HTTP; the scratch site sets its own or uses defaults.
_SITE_ENV_DROP = re.compile(r"^(DJANGO_|ARCHIVE_|DATABASE_URL$|HOST$|PORT$|WEB_CONCURRENCY$)")
_ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\([A-Z0-9]|[=>])")


class ScanError(RuntimeError):
    """The scan cannot go on (the scanners do not install, the site does not start)."""


@dataclass
class Finding:
    """One thing a scanner reported, with its triage."""

    scanner: str  # wapiti | sqlmap
    target: str  # which scan found it (public, admin, sqlmap-search, ...)
    kind: str  # vulnerability | anomaly | additional | injection | heuristic
    category: str  # the scanner's own name for the class of issue
    module: str
    severity: str  # critical | high | medium | low | info
    method: str
    path: str  # path and query string, host left out (the port changes every run)
    parameter: str
    info: str  # the scanner's one-line explanation
    request: str = ""  # the request or payload that showed it
    triage: str = ""  # "" (not reviewed), "accepted" or "false positive"
    reason: str = ""

    @property
    def reviewed(self) -> bool:
        return bool(self.triage)


@dataclass
class ScannerRun:
    """One scanner invocation: what ran, how long, how it ended, what it found."""

    name: str
    scanner: str
    target_urls: list[str]
    command: list[str]
    returncode: int | None = None
    seconds: float = 0.0
    timed_out: bool = False
    report_path: str = ""
    log_path: str = ""
    error: str = ""
    notes: list[str] = field(default_factory=list)
    tested: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.error


@dataclass
class ScanConfig:
    base_dir: Path = BASE_DIR
    venv_dir: Path = SCAN_VENV
    requirements: Path = REQUIREMENTS
    artifacts_dir: Path | None = None  # raw reports and logs (default var/scan/<stamp>/)
    time_limit: int = 300  # seconds per scanner run
    skip_sqlmap: bool = False
    skip_admin: bool = False
    keep_scratch: bool = False


# --- Triage: findings reviewed before, each with its reason ----------------------------
# (scanner, module, pattern on the scanner's info text, verdict, reason). A finding
# that matches no rule is "not reviewed" and makes the verdict "review".
TRIAGE: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "wapiti",
        "cookieflags",
        r"^Secure flag is not set in the cookie : (csrftoken|django_language|sessionid)$",
        "accepted",
        "The scan is plain HTTP on loopback. Behind TLS, DJANGO_HTTPS=1 sets "
        "CSRF_COOKIE_SECURE, SESSION_COOKIE_SECURE and LANGUAGE_COOKIE_SECURE "
        "(archive/settings.py, 'Security headers'), so production cookies carry Secure.",
    ),
    (
        "wapiti",
        "cookieflags",
        r"^HttpOnly flag is not set in the cookie : csrftoken$",
        "accepted",
        "Django's CSRF cookie is HttpOnly=False by design (CSRF_COOKIE_HTTPONLY): the "
        "token is not a secret from the page, it is also in every form, and HttpOnly "
        "'offers no practical benefit' (Django docs, settings CSRF_COOKIE_HTTPONLY). "
        "The session and language cookies are HttpOnly.",
    ),
    (
        "wapiti",
        "http_headers",
        r"Strict-Transport-Security",
        "accepted",
        "HSTS is only meaningful over HTTPS; the scan is plain HTTP. DJANGO_HTTPS=1 "
        "sets SECURE_HSTS_SECONDS to one year with subdomains and preload.",
    ),
)


def findings_triage(findings: Sequence[Finding]) -> list[Finding]:
    """Mark each finding that a ``TRIAGE`` rule covers; the others stay not reviewed."""
    for finding in findings:
        for scanner, module, pattern, verdict_, reason in TRIAGE:
            if (
                finding.scanner == scanner
                and finding.module == module
                and re.search(pattern, finding.info)
            ):
                finding.triage, finding.reason = verdict_, reason
                break
    return list(findings)


# --- The scanners' own virtualenv ------------------------------------------------------
def scan_venv_ensure(
    *, venv_dir: Path, requirements: Path, progress: Callable[[str], None] = print
) -> Path:
    """Create (or refresh) the scanners' virtualenv from the pinned requirements; its bin/."""
    bin_dir = venv_dir / "bin"
    marker = venv_dir / ".requirements.sha256"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    ready = (bin_dir / "wapiti").exists() and (bin_dir / "sqlmap").exists()
    if ready and marker.exists() and marker.read_text().strip() == digest:
        return bin_dir
    if not (bin_dir / "python").exists():
        progress(f"creating the scanners' virtualenv {venv_dir}")
        _check([sys.executable, "-m", "venv", str(venv_dir)], "python -m venv", timeout=300)
    progress(f"installing {requirements.name} into {venv_dir} (a few minutes the first time)")
    _check(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(requirements),
        ],
        "pip install of the scanners",
        timeout=1800,
    )
    marker.write_text(digest + "\n")
    return bin_dir


def tool_versions(*, bin_dir: Path) -> dict:
    """Versions of the scanners and of what serves the site."""
    import django
    import gunicorn

    def first_match(command: list[str], pattern: str) -> str:
        try:
            out = subprocess.run(
                command, capture_output=True, text=True, timeout=120, check=False
            ).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unknown ({exc})"
        match = re.search(pattern, _ANSI.sub("", out))
        return match.group(1) if match else "unknown"

    return {
        "wapiti": first_match([str(bin_dir / "wapiti"), "--version"], r"Wapiti (\S+)"),
        "sqlmap": first_match([str(bin_dir / "sqlmap"), "--version"], r"^(\S+)"),
        "scanner_python": first_match([str(bin_dir / "python"), "--version"], r"Python (\S+)"),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "python": sys.version.split()[0],
    }


# --- The site under scan ---------------------------------------------------------------
def free_port() -> int:
    """A free TCP port on loopback (bind to port 0 and let the OS choose)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(*, var_dir: Path, port: int, secret_key: str) -> dict:
    """The environment ``make run`` would give the site, pointed at the scratch folder."""
    env = {k: v for k, v in os.environ.items() if not _SITE_ENV_DROP.match(k)}
    env.update(
        {
            "ARCHIVE_VAR_DIR": str(var_dir),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secret_key,
            "DJANGO_SETTINGS_MODULE": "archive.settings",
            "DJANGO_LOG_LEVEL": "WARNING",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
            # gunicorn's access log (archive/gunicorn_conf.py) into the run's log, so the
            # responses the scanners provoked are counted by status (access_log_run).
            "ARCHIVE_ACCESS_LOG": "1",
        }
    )
    return env


def site_prepare(*, base_dir: Path, env: dict, log_path: Path) -> float:
    """``manage.py prepare_site`` in the scratch installation; the seconds it took."""
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.run(
            [sys.executable, "manage.py", "prepare_site"],
            cwd=base_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=900,
            check=False,
        )
    if proc.returncode != 0:
        raise ScanError(f"prepare_site exited {proc.returncode}; see {log_path}")
    return round(time.monotonic() - start, 1)


def site_first_article_path(*, base_dir: Path, env: dict) -> str:
    """The URL of the first article of the scratch installation."""
    code = (
        "from django.urls import reverse; from archive.models import Article; "
        "pk = Article.objects.order_by('pk').values_list('pk', flat=True).first(); "
        "print(reverse('article_detail', kwargs={'pk': pk}) if pk else '')"
    )
    out = _check(
        [sys.executable, "manage.py", "shell", "-c", code],
        "manage.py shell",
        cwd=base_dir,
        env=env,
        timeout=120,
    )
    path = out.strip().splitlines()[-1] if out.strip() else ""
    if not path.startswith("/"):
        raise ScanError("the scratch installation has no article (were the seeds loaded?)")
    return path


def gunicorn_start(*, base_dir: Path, env: dict, log_path: Path) -> subprocess.Popen:
    """gunicorn as ``make run`` starts it, in its own process group."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    command += ["archive.wsgi:application", "--config", "archive/gunicorn_conf.py"]
    log = open(log_path, "wb")  # closed by gunicorn_stop
    proc = subprocess.Popen(
        command,
        cwd=base_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc._scan_log = log  # type: ignore[attr-defined]
    return proc


def site_wait(*, proc: subprocess.Popen, base_url: str, timeout: float = 90.0) -> float:
    """Seconds until the home page answers 200; ScanError if it never does."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise ScanError(f"gunicorn exited {proc.returncode} before serving")
        try:
            with urllib.request.urlopen(base_url + "/", timeout=10) as response:
                if response.status == 200:
                    return round(time.monotonic() - start, 1)
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.3)
    raise ScanError(f"the site did not answer 200 on {base_url}/ within {timeout:.0f} s")


def gunicorn_stop(proc: subprocess.Popen) -> None:
    """SIGTERM the master we started (it stops its workers and the indexer); then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    log = getattr(proc, "_scan_log", None)
    if log is not None:
        log.close()


# --- wapiti ----------------------------------------------------------------------------
def wapiti_command(
    *,
    bin_dir: Path,
    base_url: str,
    start_paths: Sequence[str],
    scope: str,
    report_path: Path,
    session_dir: Path,
    time_limit: int,
    excludes: Sequence[str] = (),
    skip_parameters: Sequence[str] = (),
    modules: Sequence[str] = WAPITI_MODULES,
) -> list[str]:
    """The wapiti command line: loopback only, bounded crawl and attack time, JSON report."""
    # --max-attack-time is per module. The passive ones (headers, CSP, cookies) take
    # seconds; share the budget among the others and leave a fifth to the crawl.
    active = [m for m in modules if m not in PASSIVE_MODULES] or list(modules)
    attack = max(15, int(time_limit * 0.8 / len(active)))
    command = [
        str(bin_dir / "wapiti"),
        "-u",
        base_url + start_paths[0],
        "--scope",
        scope,
        "-m",
        ",".join(modules),
        "-d",
        "2",
        "--max-links-per-page",
        "40",
        # A few pages per folder: the 27 topic pages, the search's facet links and the
        # language form on every page are each one template; attacking each copy
        # spends the time budget on duplicates (an earlier run: 43 copies of the
        # language form, 40 feed-search links, and xss never reached the search page).
        "--max-files-per-dir",
        "6",
        "--max-scan-time",
        str(time_limit),
        "--max-attack-time",
        str(attack),
        "--tasks",
        "8",
        "-t",
        "20",
        # Every module is loaded even when not run, and log4shell resolves its DNS
        # endpoint (dns.wapiti3.ovh) at load; keep that lookup on this machine.
        "--dns-endpoint",
        "localhost",
        # No crash reports to wapiti's server (and no network beyond loopback at all).
        "--no-bugreport",
        "--flush-session",
        "--store-session",
        str(session_dir),
        "-f",
        "json",
        "-o",
        str(report_path),
        "-v",
        "1",
    ]
    for path in start_paths[1:]:
        command += ["-s", base_url + path]
    for pattern in excludes:
        command += ["-x", base_url + pattern]
    for name in skip_parameters:
        command += ["--skip", name]
    return command


def wapiti_run(
    *,
    name: str,
    command: list[str],
    target_urls: list[str],
    report_path: Path,
    log_path: Path,
    time_limit: int,
    progress: Callable[[str], None] = print,
) -> ScannerRun:
    """Run wapiti and parse its JSON report into findings."""
    run = ScannerRun(
        name=name,
        scanner="wapiti",
        target_urls=target_urls,
        command=command,
        report_path=str(report_path),
        log_path=str(log_path),
    )
    run.returncode, run.seconds, run.timed_out = _run_logged(
        command,
        log_path=log_path,
        timeout=time_limit + 180,
        echo=lambda line: line.startswith("[*] Launching module"),
        progress=lambda line: progress(f"  {name}: {line.removeprefix('[*] ').strip()}"),
    )
    if not report_path.exists():
        run.error = f"no report (exit {run.returncode}, timed out: {run.timed_out})"
        return run
    report = json.loads(report_path.read_text(encoding="utf-8"))
    run.findings = wapiti_report_parse(report, target=name)
    infos = report.get("infos", {})
    run.notes.append(f"crawled {infos.get('crawled_pages_nbr', '?')} URLs and forms")
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    coverage = wapiti_log_coverage(log_text)
    run.tested = [f"{module} ({count})" for module, count in coverage["attacked"].items()]
    for module in coverage["stopped"]:
        run.notes.append(f"{module} stopped at --max-attack-time")
    missing = sorted(set(WAPITI_MODULES) - set(coverage["attacked"]))
    if missing:
        run.notes.append(f"modules not launched (time budget): {', '.join(missing)}")
    if re.search(r"max scan time", log_text, re.I):
        run.notes.append("wapiti stopped at --max-scan-time")
    if run.returncode not in (0, None):
        run.notes.append(f"wapiti exited {run.returncode}")
    return run


def wapiti_log_coverage(log_text: str) -> dict:
    """How many crawled resources each module attacked, and which ran out of time.

    wapiti logs ``[+] METHOD URL`` for each resource a module attacks, after that
    module's ``[*] Launching module NAME`` line.
    """
    attacked: dict[str, int] = {}
    stopped: list[str] = []
    module = None
    for line in _ANSI.sub("", log_text).splitlines():
        launch = re.match(r"\[\*\] Launching module (\S+)", line)
        if launch:
            module = launch.group(1)
            attacked.setdefault(module, 0)
        elif module and re.match(r"\[\+\] (GET|POST|PUT|DELETE|HEAD|OPTIONS) ", line):
            attacked[module] += 1
        stop = re.match(r"Max attack time was reached for module (\S+?),", line)
        if stop:
            stopped.append(stop.group(1))
    return {"attacked": attacked, "stopped": stopped}


def _request_target(http_request: str) -> str:
    """Path and query from the request line of wapiti's ``http_request``."""
    first = http_request.splitlines()[0] if http_request else ""
    parts = first.split(" ")
    return parts[1] if len(parts) >= 3 else ""


def _path_only(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    if not parsed.scheme:
        return url
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


def wapiti_report_parse(report: dict, *, target: str) -> list[Finding]:
    """Every entry of every category of a wapiti JSON report, as a ``Finding``.

    Nothing is dropped: vulnerabilities, anomalies (e.g. a 500 a payload caused)
    and additionals all become findings, whatever their level.
    """
    findings = []
    kinds = {"vulnerabilities": "vulnerability", "anomalies": "anomaly"}
    for section in WAPITI_SECTIONS:
        for category, entries in (report.get(section) or {}).items():
            for entry in entries or []:
                request = entry.get("http_request", "") or ""
                path = _request_target(request) or _path_only(entry.get("path", ""))
                findings.append(
                    Finding(
                        scanner="wapiti",
                        target=target,
                        kind=kinds.get(section, "additional"),
                        category=category,
                        module=entry.get("module", "") or "",
                        severity=WAPITI_LEVELS.get(entry.get("level"), "unknown"),
                        method=entry.get("method", "") or "",
                        path=path,
                        parameter=entry.get("parameter", "") or "",
                        info=" ".join(str(entry.get("info", "")).split()),
                        request=_strip_host(entry.get("curl_command", "") or request),
                    )
                )
    return findings


def _strip_host(text: str) -> str:
    return re.sub(r"https?://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", text)


# --- sqlmap ----------------------------------------------------------------------------
def sqlmap_command(
    *, bin_dir: Path, url: str, output_dir: Path, report_path: Path, time_limit: int
) -> list[str]:
    """sqlmap --batch --level 3 on one URL, its session flushed, bounded in time."""
    return [
        str(bin_dir / "sqlmap"),
        "-u",
        url,
        "--batch",
        "--level",
        "3",
        # Time-based payloads wait this long per probe (default 5 s).
        "--time-sec",
        "2",
        "--time-limit",
        str(time_limit),
        "--output-dir",
        str(output_dir),
        "--flush-session",
        "--disable-coloring",
        "--report-json",
        str(report_path),
    ]


def sqlmap_run(
    *,
    name: str,
    command: list[str],
    target_url: str,
    log_path: Path,
    report_path: Path,
    time_limit: int,
    progress: Callable[[str], None] = print,
) -> ScannerRun:
    """Run sqlmap and parse what it printed (and its JSON report)."""
    run = ScannerRun(
        name=name,
        scanner="sqlmap",
        target_urls=[target_url],
        command=command,
        log_path=str(log_path),
        report_path=str(report_path),
    )
    run.returncode, run.seconds, run.timed_out = _run_logged(
        command,
        log_path=log_path,
        timeout=time_limit + 120,
        echo=lambda line: (
            "testing for SQL injection on" in line
            or "appears to be" in line
            or "false positive" in line
        ),
        progress=lambda line: progress(f"  {name}: {line.strip()}"),
    )
    parsed = sqlmap_output_parse(log_path.read_text(encoding="utf-8", errors="replace"))
    run.tested = parsed["tested"]
    run.notes = parsed["notes"]
    run.findings = [Finding(scanner="sqlmap", target=name, **item) for item in parsed["findings"]]
    if not parsed["finished"]:
        run.error = "sqlmap did not finish (see its log)"
    if report_path.exists():
        # The JSON report (--report-json) is a cross-check: an injection point it holds
        # that the printed output did not show still becomes a finding.
        known = {(f.parameter, f.info) for f in run.findings}
        for item in sqlmap_report_injections(json.loads(report_path.read_text("utf-8"))):
            if (item["parameter"], item["info"]) not in known:
                run.findings.append(Finding(scanner="sqlmap", target=name, **item))
    return run


def sqlmap_report_injections(report: dict) -> list[dict]:
    """Injection points (CONTENT_TYPE.TECHNIQUES rows) in a sqlmap ``--report-json`` file."""
    items = []
    targets = report.get("targets") or [report]
    for target in targets:
        for row in target.get("data") or []:
            if row.get("type") != 1:
                continue
            for point in row.get("value") or []:
                for technique in (point.get("data") or {}).values():
                    items.append(
                        {
                            "kind": "injection",
                            "category": "SQL Injection",
                            "module": "sqli",
                            "severity": "critical",
                            "method": str(point.get("place", "")),
                            "path": "",
                            "parameter": str(point.get("parameter", "")),
                            "info": str(technique.get("title", "")),
                            "request": str(technique.get("payload", "")),
                        }
                    )
    return items


_SQLMAP_PARAM = r"(?:(GET|POST|Cookie|URI|\(custom\) \w+) )?parameter '([^']+)'"


def sqlmap_output_parse(text: str) -> dict:
    """Injection points, heuristic hints, tested parameters and notes from sqlmap's output."""
    text = _ANSI.sub("", text)
    findings: list[dict] = []
    tested: list[str] = []
    notes: list[str] = []
    for place, name in re.findall(r"testing if " + _SQLMAP_PARAM + " is dynamic", text):
        label = f"{place or 'header'} {name}"
        if label not in tested:
            tested.append(label)
    for place, name in re.findall(r"testing for SQL injection on " + _SQLMAP_PARAM, text):
        label = f"{place or 'header'} {name}"
        if label not in tested:
            tested.append(label)
    rejected = {
        f"{place or 'header'} {name}"
        for place, name in re.findall(_SQLMAP_PARAM + " does not seem to be injectable", text)
    }
    # Confirmed injection points: the block after "identified the following injection point(s)".
    for block in re.findall(
        r"identified the following injection point\(s\).*?:\n---\n(.*?)\n---", text, re.S
    ):
        current = ("", "")
        for line in block.splitlines():
            head = re.match(r"Parameter: (.+?) \((.+?)\)", line.strip())
            if head:
                current = (head.group(1), head.group(2))
                continue
            if line.strip().startswith("Type:"):
                findings.append(
                    {
                        "kind": "injection",
                        "category": "SQL Injection",
                        "module": "sqli",
                        "severity": "critical",
                        "method": current[1],
                        "path": "",
                        "parameter": current[0],
                        "info": line.strip().removeprefix("Type:").strip(),
                        "request": "",
                    }
                )
            elif line.strip().startswith(("Title:", "Payload:")) and findings:
                key, _, value = line.strip().partition(":")
                last = findings[-1]
                if key == "Title":
                    last["info"] = f"{last['info']}: {value.strip()}"
                else:
                    last["request"] = value.strip()
    # Heuristic hints sqlmap prints on the way (not injections): keep them as findings
    # so that a reviewer sees them, e.g. unescaped reflection of <'"> (XSS heuristic).
    for place, name in re.findall(
        r"heuristic \(XSS\) test shows that " + _SQLMAP_PARAM + " might be vulnerable", text
    ):
        findings.append(
            {
                "kind": "heuristic",
                "category": "Cross Site Scripting (heuristic)",
                "module": "xss-heuristic",
                "severity": "medium",
                "method": place or "header",
                "path": "",
                "parameter": name,
                "info": "sqlmap's XSS heuristic: characters <'\"> came back unescaped",
                "request": "",
            }
        )
    for place, name in re.findall(
        r"heuristic \(basic\) test shows that " + _SQLMAP_PARAM + " might be injectable", text
    ):
        label = f"{place or 'header'} {name}"
        if label in rejected:
            notes.append(f"{label}: basic heuristic hinted at injection; full tests rejected it")
            continue
        findings.append(
            {
                "kind": "heuristic",
                "category": "SQL Injection (heuristic)",
                "module": "sqli-heuristic",
                "severity": "low",
                "method": place or "header",
                "path": "",
                "parameter": name,
                "info": "sqlmap's basic heuristic hinted at SQL injection (not confirmed)",
                "request": "",
            }
        )
    false_positives = re.findall(
        r"checking if the injection point on " + _SQLMAP_PARAM + " is a false positive", text
    )
    for place, name in false_positives:
        label = f"{place or 'header'} {name}"
        if label in rejected:
            notes.append(
                f"{label}: a technique first looked positive; sqlmap's false-positive "
                "check rejected it"
            )
    if re.search(r"all tested parameters do not appear to be injectable", text):
        notes.append("sqlmap: all tested parameters do not appear to be injectable")
    for line in re.findall(r"\[CRITICAL\] (.+)", text):
        if "do not appear to be injectable" not in line:
            notes.append(f"sqlmap CRITICAL: {line.strip()}")
    for code, reason, count in re.findall(r"^(\d{3}) \(([^)]+)\) - (\d+) times", text, re.M):
        notes.append(f"answers {code} ({reason}): {count}")
    finished = bool(re.search(r"\[\*\] ending @", text))
    # sqlmap's --time-limit exits without a word: a parameter it began testing but
    # neither rejected nor reported injectable was cut short.
    injectable = {f"{f['method']} {f['parameter']}" for f in findings if f["kind"] == "injection"}
    injectable |= {f"header {f['parameter']}" for f in findings if f["kind"] == "injection"}
    unfinished = [t for t in tested if t not in rejected and t not in injectable]
    if unfinished:
        notes.append(f"not finished (time limit?): {', '.join(unfinished)}")
    return {
        "findings": findings,
        "tested": tested,
        "rejected": sorted(rejected),
        "notes": notes,
        "finished": finished,
        "unfinished": unfinished,
    }


# --- What the site answered ------------------------------------------------------------
_ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) [^"]*" (?P<status>\d{3}) ')


def access_log_run(*, log_path: Path) -> ScannerRun:
    """Responses in gunicorn's access log by status; each 5xx becomes a finding.

    A check of its own beside the scanners: a payload that makes the site fail
    is worth a look even when no scanner module calls it a vulnerability.
    """
    run = ScannerRun(
        name="gunicorn-access-log",
        scanner="gunicorn",
        target_urls=["(every request of the runs above)"],
        command=[],
        log_path=str(log_path),
    )
    text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    statuses: Counter = Counter()
    seen: set[tuple[str, str, str]] = set()
    for match in _ACCESS_LINE.finditer(text):
        status = match.group("status")
        statuses[status] += 1
        if status.startswith("5"):
            key = (match.group("method"), match.group("target"), status)
            if key in seen:
                continue
            seen.add(key)
            run.findings.append(
                Finding(
                    scanner="gunicorn",
                    target=run.name,
                    kind="anomaly",
                    category="Server error",
                    module="server-error",
                    severity="medium",
                    method=key[0],
                    path=key[1],
                    parameter="",
                    info=f"the site answered HTTP {status} to this request during the scan",
                )
            )
    run.tested = [f"{status}: {count}" for status, count in sorted(statuses.items())]
    run.notes.append(f"{sum(statuses.values())} requests served")
    if not statuses:
        run.error = "no access log lines (ARCHIVE_ACCESS_LOG not honoured?)"
    return run


# --- Admin lock-out (django-axes) ------------------------------------------------------
def axes_state(*, base_dir: Path, env: dict) -> dict:
    """What django-axes recorded in the scratch database after the admin scan."""
    code = (
        "import json; from django.conf import settings; "
        "from axes.models import AccessAttempt, AccessFailureLog; "
        "from django.db.models import Sum; "
        "print(json.dumps({"
        "'failure_limit': settings.AXES_FAILURE_LIMIT, "
        "'address_failure_limit': settings.ARCHIVE_LOGIN_ADDRESS_FAILURE_LIMIT, "
        "'cooloff_minutes': settings.AXES_COOLOFF_TIME.total_seconds() / 60, "
        "'failed_logins': AccessAttempt.objects.aggregate(n=Sum('failures_since_start'))['n'] or 0, "
        "'user_names_tried': AccessAttempt.objects.count(), "
        "'user_names_at_limit': AccessAttempt.objects.filter("
        "failures_since_start__gte=settings.AXES_FAILURE_LIMIT).count(), "
        "'lockouts_logged': AccessFailureLog.objects.filter(locked_out=True).count(), "
        "'usernames': sorted({a.username or '' for a in AccessAttempt.objects.all()})[:10]}))"
    )
    try:
        out = _check(
            [sys.executable, "manage.py", "shell", "-c", code],
            "manage.py shell",
            cwd=base_dir,
            env=env,
            timeout=120,
        )
        return json.loads(out.strip().splitlines()[-1])
    except (ScanError, ValueError, IndexError) as exc:
        return {"error": str(exc)}


def admin_login_probe(*, base_url: str) -> dict:
    """GET the login page, then post one wrong password with a valid CSRF token.

    After the scan this shows whether the address is locked out (axes answers
    429) and that the page itself still loads (the lock-out covers logins only).
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = base_url + ADMIN_LOGIN_PATH
    result: dict = {}
    try:
        with opener.open(url, timeout=20) as response:
            result["get_status"] = response.status
            page = response.read().decode("utf-8", errors="replace")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": "scan-probe",
                "password": secrets.token_urlsafe(12),
                "next": "/admin/",
            }
        ).encode()
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        try:
            with opener.open(request, timeout=20) as response:
                result["post_status"] = response.status
        except urllib.error.HTTPError as exc:
            result["post_status"] = exc.code
    except (OSError, urllib.error.URLError) as exc:
        result["error"] = str(exc)
    return result


# --- Summary, verdict, report ----------------------------------------------------------
def findings_summary(findings: Sequence[Finding]) -> list[dict]:
    """Counts by scanner, module and severity (and how many of them are not reviewed)."""
    total: Counter = Counter()
    open_: Counter = Counter()
    for f in findings:
        key = (f.scanner, f.module, f.severity)
        total[key] += 1
        open_[key] += not f.reviewed
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return [
        {
            "scanner": scanner,
            "module": module,
            "severity": severity,
            "count": count,
            "not_reviewed": open_[(scanner, module, severity)],
        }
        for (scanner, module, severity), count in sorted(
            total.items(), key=lambda kv: (rank.get(kv[0][2], 9), kv[0][0], kv[0][1])
        )
    ]


def verdict(runs: Sequence[ScannerRun]) -> tuple[str, str]:
    """("pass" | "review" | "incomplete", one sentence)."""
    findings = [f for run in runs for f in run.findings]
    open_ = [f for f in findings if not f.reviewed]
    injections = [f for f in findings if f.kind == "injection"]
    broken = [run.name for run in runs if not run.complete]
    if injections or open_:
        return (
            "review",
            f"{len(open_)} finding(s) not reviewed yet"
            + (f", {len(injections)} SQL injection point(s) confirmed" if injections else "")
            + ": read them below and fix the site or add a TRIAGE rule with its reason.",
        )
    if broken:
        return "incomplete", f"no open finding, but these runs did not finish: {', '.join(broken)}"
    return (
        "pass",
        f"no vulnerability: {len(findings)} finding(s), each reviewed as accepted or "
        "false positive (reasons below); sqlmap found no injectable parameter.",
    )


def run_scan(cfg: ScanConfig, *, progress: Callable[[str], None] = print) -> dict:
    """The whole scan: scanners' venv, scratch site, gunicorn, each scanner, summary."""
    started = time.monotonic()
    stamp = datetime.now(UTC)
    artifacts = cfg.artifacts_dir or (
        cfg.base_dir / "var" / "scan" / stamp.strftime("%Y%m%dT%H%M%SZ")
    )
    artifacts.mkdir(parents=True, exist_ok=True)
    bin_dir = scan_venv_ensure(
        venv_dir=cfg.venv_dir, requirements=cfg.requirements, progress=progress
    )
    versions = tool_versions(bin_dir=bin_dir)
    progress(
        f"wapiti {versions['wapiti']}, sqlmap {versions['sqlmap']}, "
        f"Django {versions['django']}, gunicorn {versions['gunicorn']}"
    )
    scratch = Path(tempfile.mkdtemp(prefix="archive-scan-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = site_env(var_dir=scratch, port=port, secret_key=secrets.token_urlsafe(50))
    runs: list[ScannerRun] = []
    site: dict = {"scratch": str(scratch), "base_url": "http://127.0.0.1:PORT"}
    admin: dict = {}
    proc = None
    try:
        progress(f"preparing the scratch site in {scratch} (manage.py prepare_site)")
        site["prepare_seconds"] = site_prepare(
            base_dir=cfg.base_dir, env=env, log_path=artifacts / "prepare_site.log"
        )
        article_path = site_first_article_path(base_dir=cfg.base_dir, env=env)
        progress(f"starting gunicorn on {base_url} (archive/gunicorn_conf.py)")
        proc = gunicorn_start(base_dir=cfg.base_dir, env=env, log_path=artifacts / "gunicorn.log")
        site["start_seconds"] = site_wait(proc=proc, base_url=base_url)
        public_paths = ["/", SEARCH_PATH, article_path, API_SEARCH_PATH]
        budget = cfg.time_limit
        progress(f"wapiti on the public site ({budget} s at most)")
        runs.append(
            wapiti_run(
                name="wapiti-public",
                command=wapiti_command(
                    bin_dir=bin_dir,
                    base_url=base_url,
                    start_paths=public_paths,
                    scope="folder",
                    excludes=["/admin/*"],
                    report_path=artifacts / "wapiti-public.json",
                    session_dir=artifacts / "wapiti-session",
                    time_limit=budget,
                ),
                target_urls=public_paths + ["(everything linked under / except /admin/)"],
                report_path=artifacts / "wapiti-public.json",
                log_path=artifacts / "wapiti-public.log",
                time_limit=budget,
                progress=progress,
            )
        )
        _progress_run(runs[-1], progress)
        if not cfg.skip_sqlmap:
            for name, path in (("sqlmap-search", SEARCH_PATH), ("sqlmap-api", API_SEARCH_PATH)):
                progress(f"sqlmap on {path} ({budget} s at most)")
                runs.append(
                    sqlmap_run(
                        name=name,
                        command=sqlmap_command(
                            bin_dir=bin_dir,
                            url=base_url + path,
                            output_dir=artifacts / f"{name}-output",
                            report_path=artifacts / f"{name}.json",
                            time_limit=budget,
                        ),
                        target_url=path,
                        log_path=artifacts / f"{name}.log",
                        report_path=artifacts / f"{name}.json",
                        time_limit=budget,
                        progress=progress,
                    )
                )
                _progress_run(runs[-1], progress)
        if not cfg.skip_admin:
            admin_budget = max(60, budget // 2)
            progress(f"wapiti on {ADMIN_LOGIN_PATH} ({admin_budget} s at most; axes will lock out)")
            runs.append(
                wapiti_run(
                    name="wapiti-admin-login",
                    command=wapiti_command(
                        bin_dir=bin_dir,
                        base_url=base_url,
                        start_paths=[ADMIN_LOGIN_PATH],
                        scope="page",
                        # Checked by CsrfViewMiddleware before any view code: a
                        # payload there only earns a 403 and costs attack time.
                        skip_parameters=["csrfmiddlewaretoken"],
                        report_path=artifacts / "wapiti-admin-login.json",
                        session_dir=artifacts / "wapiti-session",
                        time_limit=admin_budget,
                    ),
                    target_urls=[ADMIN_LOGIN_PATH],
                    report_path=artifacts / "wapiti-admin-login.json",
                    log_path=artifacts / "wapiti-admin-login.log",
                    time_limit=admin_budget,
                    progress=progress,
                )
            )
            _progress_run(runs[-1], progress)
            admin = {
                "axes": axes_state(base_dir=cfg.base_dir, env=env),
                "probe_after_scan": admin_login_probe(base_url=base_url),
            }
            progress(f"admin lock-out after the scan: {json.dumps(admin, ensure_ascii=False)}")
    finally:
        if proc is not None:
            gunicorn_stop(proc)
            site["gunicorn_exit"] = proc.returncode
        if not cfg.keep_scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if proc is not None:
        runs.append(access_log_run(log_path=artifacts / "gunicorn.log"))
        _progress_run(runs[-1], progress)
    for run in runs:
        findings_triage(run.findings)
    findings = [f for run in runs for f in run.findings]
    state, explanation = verdict(runs)
    return {
        "date": stamp.strftime("%Y-%m-%d"),
        "started_at": stamp.isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "time_limit_per_scanner": cfg.time_limit,
        "versions": versions,
        "requirements": str(cfg.requirements.relative_to(cfg.base_dir)),
        "site": site,
        "modules": list(WAPITI_MODULES),
        "runs": [_run_dict(run) for run in runs],
        "summary": findings_summary(findings),
        "admin_login": admin,
        "artifacts": str(artifacts),
        "verdict": state,
        "verdict_explanation": explanation,
    }


def _progress_run(run: ScannerRun, progress: Callable[[str], None]) -> None:
    open_ = sum(not f.reviewed for f in findings_triage(run.findings))
    status = f"error: {run.error}" if run.error else "done"
    progress(
        f"  {run.name}: {status} in {run.seconds:.0f} s, {len(run.findings)} finding(s), "
        f"{open_} not reviewed"
    )


def _run_dict(run: ScannerRun) -> dict:
    data = asdict(run)
    data["command"] = [_strip_host(part) for part in run.command]
    data["complete"] = run.complete
    return data


def markdown(result: dict) -> str:
    """The baseline as Markdown (the JSON beside it holds the same data)."""
    v = result["versions"]
    lines = [
        f"# Security scan baseline, {result['date']}",
        "",
        "Written by `manage.py security_scan` (archive/audit/scan.py); RELIABILITY.md W8.",
        "",
        f"**Verdict: {result['verdict'].upper()}.** {result['verdict_explanation']}",
        "",
        "## Versions",
        "",
        f"- wapiti {v['wapiti']}, sqlmap {v['sqlmap']} (Python {v['scanner_python']}, "
        f"var/scan-venv from `{result['requirements']}`)",
        f"- site: Django {v['django']}, gunicorn {v['gunicorn']}, Python {v['python']}",
        "",
        "## The site under scan",
        "",
        "A scratch installation in a temporary folder (`ARCHIVE_VAR_DIR`), DEBUG off, a "
        "random secret key, SQLite and Whoosh, set up with `manage.py prepare_site` "
        f"({result['site'].get('prepare_seconds', '?')} s: migrations, static files, the "
        "seeds, the index) and served by `gunicorn archive.wsgi:application --config "
        "archive/gunicorn_conf.py` (two workers and the indexer) on 127.0.0.1 and a free "
        "port. Only loopback was contacted.",
        "",
        f"Total time {result['seconds']:.0f} s; at most {result['time_limit_per_scanner']} s "
        "per scanner run (wapiti `--max-scan-time`, `--max-attack-time` per module; sqlmap "
        "`--time-limit`, `--time-sec 2`).",
        "",
        "## Runs",
        "",
        "| Run | URLs | Tested | Time | Findings | Notes |",
        "|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        urls = "<br>".join(f"`{u}`" if u.startswith("/") else u for u in run["target_urls"])
        tested = ", ".join(run["tested"]) or "-"
        notes = "; ".join(run["notes"] + ([f"ERROR: {run['error']}"] if run["error"] else []))
        lines.append(
            f"| {run['name']} | {urls} | {tested} | {run['seconds']:.0f} s "
            f"| {len(run['findings'])} | {_cell(notes) or '-'} |"
        )
    lines += ["", f"wapiti modules: `{','.join(result['modules'])}`.", ""]
    lines += ["Commands (port shown as PORT):", ""]
    for run in result["runs"]:
        lines.append(f"- {run['name']}: `{' '.join(_short_command(run['command']))}`")
    lines += ["", "## Summary by module and severity", ""]
    if result["summary"]:
        lines += ["| Scanner | Module | Severity | Count | Not reviewed |", "|---|---|---|---|---|"]
        for row in result["summary"]:
            lines.append(
                f"| {row['scanner']} | {row['module']} | {row['severity']} | {row['count']} "
                f"| {row['not_reviewed']} |"
            )
    else:
        lines.append("No findings.")
    lines += ["", "## Findings", ""]
    findings = [f for run in result["runs"] for f in run["findings"]]
    if findings:
        lines += [
            "| # | Run | Module | Severity | Method | URL | Parameter | Scanner says | Verdict |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for i, f in enumerate(findings, 1):
            verdict_ = f"**{f['triage']}**: {f['reason']}" if f["triage"] else "**NOT REVIEWED**"
            lines.append(
                f"| {i} | {f['target']} | {f['module']} | {f['severity']} | {f['method']} "
                f"| `{_cell(f['path']) or '-'}` | {_cell(f['parameter']) or '-'} "
                f"| {_cell(f['info'])} | {_cell(verdict_)} |"
            )
    else:
        lines.append("No findings.")
    admin = result.get("admin_login") or {}
    if admin:
        axes = admin.get("axes", {})
        probe = admin.get("probe_after_scan", {})
        lines += [
            "",
            "## Admin login and the django-axes lock-out",
            "",
            "wapiti's attacks on the login form are failed logins, so django-axes locks "
            "them out: that is the expected behaviour, not a finding. The scan runs last, "
            "so the lock-out cannot hide anything from the other runs, and it lives in the "
            "scratch database, which is deleted at the end (on a real site it expires after "
            "the cool-off, or `manage.py axes_reset` clears it).",
            "",
            f"- failed logins counted by axes: {axes.get('failed_logins', '?')} over "
            f"{axes.get('user_names_tried', '?')} user names (wapiti's payloads); user names "
            f"at the limit: {axes.get('user_names_at_limit', '?')}",
            f"- limits: {axes.get('failure_limit', '?')} failures per user name and "
            f"address, {axes.get('address_failure_limit', '?')} per address; cool-off "
            f"{axes.get('cooloff_minutes', '?')} min",
            f"- after the scan: GET {ADMIN_LOGIN_PATH} answered "
            f"{probe.get('get_status', '?')}; one more wrong password answered "
            f"{probe.get('post_status', '?')}"
            + (" (locked out)" if probe.get("post_status") == 429 else ""),
        ]
        if axes.get("error") or probe.get("error"):
            lines.append(f"- errors: {axes.get('error', '')} {probe.get('error', '')}")
    short = [
        f"{run['name']}: {note.split(' stopped')[0]}"
        for run in result["runs"]
        for note in run["notes"]
        if "stopped at --max-attack-time" in note
    ]
    lines += ["", "## Limits of this run", ""]
    if short:
        lines.append(
            "- Out of attack time before the last crawled resources (numbers in 'Tested' "
            f"are resources attacked per module): {', '.join(short)}. A longer "
            "`--time-limit` (e.g. 600, nightly) covers the rest."
        )
    if admin:
        lines.append(
            "- Admin login: once axes locks the address (the 20th failure), the remaining "
            "payloads meet the 429 lock-out page, not the login form; the form's first "
            "attempts are what was tested."
        )
    lines.append(
        "- sqlmap tests GET parameters, User-Agent and Referer at level 3; the cookies the "
        "site sets are not injected (sqlmap tests only cookies given with `--cookie`)."
    )
    lines += [
        "",
        "## How to read and update this file",
        "",
        "Each finding is either reviewed (a `TRIAGE` rule in archive/audit/scan.py says "
        "accepted or false positive, and why) or NOT REVIEWED, which makes the verdict "
        "`review`. A real vulnerability is fixed in the site, not triaged away. Raw "
        f"reports and logs of this run: `{_rel(result['artifacts'])}` (not committed).",
        "",
    ]
    return "\n".join(lines)


def write(result: dict, *, out: Path) -> tuple[Path, Path]:
    """Write the baseline as ``<out>.md`` and ``<out>.json``; both paths."""
    stem = out.with_suffix("") if out.suffix in (".md", ".json") else out
    md_path, json_path = stem.with_suffix(".md"), stem.with_suffix(".json")
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text(markdown(result), encoding="utf-8")
    json_path.write_text(
        json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return md_path, json_path


def default_out(*, date: str) -> Path:
    return BASELINES / f"{date}-scan.md"


# --- helpers ---------------------------------------------------------------------------
def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _rel(path: str) -> str:
    try:
        return str(Path(path).relative_to(BASE_DIR))
    except ValueError:
        return path


def _short_command(command: list[str]) -> list[str]:
    """The command with the venv and artifact paths shortened, for the report."""
    out = []
    for part in command:
        if part.startswith("/"):
            part = Path(part).name if "/bin/" in part else "<artifacts>/" + Path(part).name
        out.append(part)
    return out


def _check(command: list[str], what: str, *, timeout: float, **kwargs) -> str:
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScanError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise ScanError(f"{what} exited {proc.returncode}: {tail}")
    return proc.stdout


def _run_logged(
    command: list[str],
    *,
    log_path: Path,
    timeout: float,
    echo: Callable[[str], bool],
    progress: Callable[[str], None],
) -> tuple[int | None, float, bool]:
    """Run a scanner with its output to a log; echo selected lines; kill it at the timeout."""
    start = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
            env={**os.environ, "TERM": "dumb", "NO_COLOR": "1"},
        )

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                clean = _ANSI.sub("", line)
                if echo(clean):
                    progress(clean)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        reader.join(timeout=10)
    return proc.returncode, round(time.monotonic() - start, 1), timed_out
