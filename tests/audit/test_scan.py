"""The scan report parsers (archive.audit.scan) on a real wapiti report; no scanner runs here.

``tests/data/wapiti-public.json`` is the JSON report of wapiti 3.2.3 from the
``manage.py security_scan`` run recorded in archive/audit/baselines/, trimmed to
the categories that had entries (and host/port left as they were).
"""

import copy
import json
import re
from pathlib import Path

import pytest

from archive.audit import scan

DATA = Path(__file__).parents[1] / "data"
WAPITI_REPORT = DATA / "wapiti-public.json"


@pytest.fixture
def report() -> dict:
    return json.loads(WAPITI_REPORT.read_text(encoding="utf-8"))


def _raw_entries(report: dict) -> list[tuple[str, str, str]]:
    return [
        (category, entry["module"], " ".join(entry["info"].split()))
        for section in scan.WAPITI_SECTIONS
        for category, entries in report.get(section, {}).items()
        for entry in entries
    ]


def test_wapiti_report_parse_keeps_every_entry(report):
    raw = _raw_entries(report)
    assert raw, "the fixture should hold the real run's findings"
    findings = scan.wapiti_report_parse(report, target="wapiti-public")
    assert sorted((f.category, f.module, f.info) for f in findings) == sorted(raw)
    summary = scan.findings_summary(findings)
    assert sum(row["count"] for row in summary) == len(raw)


def test_wapiti_report_parse_reads_fields_of_real_entry(report):
    findings = scan.wapiti_report_parse(report, target="wapiti-public")
    cookie = [f for f in findings if f.module == "cookieflags"]
    assert cookie, "the real run reported the cookie flags"
    for finding in cookie:
        assert finding.severity == "low"  # wapiti level 1
        assert finding.method == "GET"
        assert finding.path.startswith("/")
        assert "127.0.0.1:PORT" in finding.request or finding.request.startswith("GET ")


def test_unreviewed_finding_is_not_dropped_and_fails_the_verdict(report):
    """A new kind of finding (here a 500 wapiti provoked) shows up and needs review."""
    report = copy.deepcopy(report)
    report.setdefault("anomalies", {})["Internal Server Error"] = [
        {
            "method": "GET",
            "path": "/search/",
            "info": "The server responded with a 500 HTTP error code while attempting to inject a payload in the parameter q",
            "level": 3,
            "parameter": "q",
            "referer": "",
            "module": "xss",
            "http_request": "GET /search/?q=%22%3E%3C HTTP/1.1\nhost: 127.0.0.1:1",
            "curl_command": 'curl "http://127.0.0.1:1/search/?q=%22%3E%3C"',
            "wstg": [],
        }
    ]
    findings = scan.findings_triage(scan.wapiti_report_parse(report, target="wapiti-public"))
    error = [f for f in findings if f.category == "Internal Server Error"]
    assert len(error) == 1
    assert error[0].severity == "high" and error[0].kind == "anomaly"
    assert error[0].path == "/search/?q=%22%3E%3C"
    assert not error[0].reviewed
    run = scan.ScannerRun(name="wapiti-public", scanner="wapiti", target_urls=["/"], command=[])
    run.findings = findings
    state, _ = scan.verdict([run])
    assert state == "review"
    summary = scan.findings_summary(findings)
    row = [r for r in summary if r["module"] == "xss" and r["severity"] == "high"]
    assert row == [
        {"scanner": "wapiti", "module": "xss", "severity": "high", "count": 1, "not_reviewed": 1}
    ]


def test_recorded_findings_are_all_triaged(report):
    """The baseline's verdict: every finding of the real run has a reviewed reason."""
    findings = scan.findings_triage(scan.wapiti_report_parse(report, target="wapiti-public"))
    assert [f.info for f in findings if not f.reviewed] == []
    assert all(f.reason for f in findings)
    run = scan.ScannerRun(name="wapiti-public", scanner="wapiti", target_urls=["/"], command=[])
    run.findings = findings
    assert scan.verdict([run])[0] == "pass"


def test_markdown_lists_every_finding(report):
    findings = scan.findings_triage(scan.wapiti_report_parse(report, target="wapiti-public"))
    run = scan.ScannerRun(name="wapiti-public", scanner="wapiti", target_urls=["/"], command=[])
    run.findings = findings
    result = {
        "date": "2026-01-01",
        "seconds": 1.0,
        "time_limit_per_scanner": 240,
        "versions": {
            "wapiti": "3.2.3",
            "sqlmap": "1.10.10",
            "scanner_python": "3.11",
            "django": "5.2",
            "gunicorn": "27",
            "python": "3.11",
        },
        "requirements": "deploy/scan/requirements.txt",
        "site": {},
        "modules": list(scan.WAPITI_MODULES),
        "runs": [scan._run_dict(run)],
        "summary": scan.findings_summary(findings),
        "admin_login": {},
        "artifacts": "var/scan/x",
        "verdict": "pass",
        "verdict_explanation": "",
    }
    text = scan.markdown(result)
    rows = [line for line in text.splitlines() if re.match(r"\| \d+ \| wapiti-public \|", line)]
    assert len(rows) == len(findings)


SQLMAP_CLEAN = """\
[22:57:41] [INFO] testing if GET parameter 'q' is dynamic
[22:57:41] [INFO] testing for SQL injection on GET parameter 'q'
[22:57:42] [INFO] GET parameter 'q' appears to be 'AND boolean-based blind - WHERE or HAVING clause' injectable
[22:58:32] [INFO] checking if the injection point on GET parameter 'q' is a false positive
[22:58:32] [WARNING] false positive or unexploitable injection point detected
[22:58:32] [WARNING] GET parameter 'q' does not seem to be injectable
[22:58:49] [INFO] testing if parameter 'User-Agent' is dynamic
[22:59:07] [INFO] testing for SQL injection on parameter 'User-Agent'
[22:59:37] [WARNING] parameter 'User-Agent' does not seem to be injectable
[23:00:20] [CRITICAL] all tested parameters do not appear to be injectable. Try to increase values
[*] ending @ 23:00:20 /2026-12-01/
"""

SQLMAP_INJECTABLE = """\
[10:00:00] [INFO] testing for SQL injection on GET parameter 'id'
sqlmap identified the following injection point(s) with a total of 52 HTTP(s) requests:
---
Parameter: id (GET)
    Type: boolean-based blind
    Title: AND boolean-based blind - WHERE or HAVING clause
    Payload: id=1 AND 4021=4021
---
[*] ending @ 10:00:09 /2026-12-01/
"""


def test_sqlmap_output_parse_clean_run_has_no_finding():
    parsed = scan.sqlmap_output_parse(SQLMAP_CLEAN)
    assert parsed["findings"] == []
    assert parsed["tested"] == ["GET q", "header User-Agent"]
    assert parsed["unfinished"] == []
    assert parsed["finished"]
    assert any("false-positive check rejected it" in note for note in parsed["notes"])


def test_sqlmap_output_parse_keeps_an_injection_point():
    parsed = scan.sqlmap_output_parse(SQLMAP_INJECTABLE)
    assert len(parsed["findings"]) == 1
    finding = parsed["findings"][0]
    assert finding["parameter"] == "id" and finding["severity"] == "critical"
    assert finding["request"] == "id=1 AND 4021=4021"
    run = scan.ScannerRun(name="sqlmap-search", scanner="sqlmap", target_urls=["/"], command=[])
    run.findings = [scan.Finding(scanner="sqlmap", target="sqlmap-search", **finding)]
    assert scan.verdict([run])[0] == "review"


def test_sqlmap_output_parse_reports_a_parameter_cut_short():
    cut = "[INFO] testing for SQL injection on GET parameter 'page'\n"
    parsed = scan.sqlmap_output_parse(cut)
    assert parsed["unfinished"] == ["GET page"]
    assert not parsed["finished"]
