"""``manage.py security_scan``: wapiti and sqlmap against a scratch copy of the site.

The work is in ``archive.audit.scan``; this command only reads flags, prints
progress and the summary, and writes the baseline (Markdown plus JSON). It exits
non-zero when the verdict is not "pass", so a nightly job notices.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive.audit import scan


class Command(BaseCommand):
    help = (
        "Serve a scratch installation (seeds, DEBUG off) with gunicorn as `make run` does, "
        "on 127.0.0.1 and a free port, and scan it with wapiti (public pages, then the admin "
        "login page) and sqlmap (the search page and the JSON search API). The scanners are "
        "installed into var/scan-venv from deploy/scan/requirements.txt on first use. Writes "
        "archive/audit/baselines/<date>-scan.md and .json. Takes about 12 minutes (20 at most)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            help="Report path (.md; a .json is written beside it). Default "
            "archive/audit/baselines/<today>-scan.md.",
        )
        parser.add_argument("--skip-sqlmap", action="store_true", help="Run wapiti only.")
        parser.add_argument(
            "--skip-admin", action="store_true", help="Do not scan the admin login page."
        )
        parser.add_argument(
            "--time-limit",
            type=int,
            default=300,
            help="Seconds per scanner run (default 300; the admin login scan gets half). "
            "Four runs, so the default bounds the whole scan to about 20 minutes; it "
            "usually takes 12.",
        )
        parser.add_argument(
            "--scan-venv",
            default=str(scan.SCAN_VENV),
            help="The scanners' virtualenv (default var/scan-venv).",
        )
        parser.add_argument(
            "--keep-scratch",
            action="store_true",
            help="Keep the scratch installation's temporary folder.",
        )

    def handle(self, *args, **options):
        if options["time_limit"] < 30:
            raise CommandError("--time-limit must be at least 30 seconds")
        cfg = scan.ScanConfig(
            venv_dir=Path(options["scan_venv"]),
            time_limit=options["time_limit"],
            skip_sqlmap=options["skip_sqlmap"],
            skip_admin=options["skip_admin"],
            keep_scratch=options["keep_scratch"],
        )
        try:
            result = scan.run_scan(cfg, progress=self._progress)
        except scan.ScanError as exc:
            raise CommandError(str(exc)) from exc
        out = Path(options["out"]) if options["out"] else scan.default_out(date=result["date"])
        md_path, json_path = scan.write(result, out=out)
        self._summary(result)
        self.stdout.write(f"baseline: {md_path} (+ {json_path.name})")
        style = self.style.SUCCESS if result["verdict"] == "pass" else self.style.ERROR
        self.stdout.write(style(f"verdict: {result['verdict']}: {result['verdict_explanation']}"))
        if result["verdict"] != "pass":
            raise CommandError(f"security scan verdict: {result['verdict']}")

    def _progress(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def _summary(self, result: dict) -> None:
        self.stdout.write("")
        self.stdout.write(f"scan took {result['seconds']:.0f} s")
        for row in result["summary"]:
            self.stdout.write(
                f"  {row['scanner']:7} {row['module']:15} {row['severity']:8} "
                f"{row['count']:3}  not reviewed: {row['not_reviewed']}"
            )
        if not result["summary"]:
            self.stdout.write("  no findings")
        for run in result["runs"]:
            for finding in run["findings"]:
                if not finding["triage"]:
                    self.stdout.write(
                        self.style.WARNING(
                            f"  NOT REVIEWED [{run['name']}] {finding['module']} "
                            f"{finding['method']} {finding['path']} "
                            f"{finding['parameter']}: {finding['info']}"
                        )
                    )
