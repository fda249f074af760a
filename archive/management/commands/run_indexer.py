"""The single index writer: apply queued changes every second until stopped."""

import signal
import time

from django.core.management.base import BaseCommand

from archive.search.indexer import drain_queue, ensure_index, optimize
from archive.search.storage import IndexBusy


class Command(BaseCommand):
    help = "Drain the index queue in a loop (the only process that writes the index). Stops on SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between drains.")
        parser.add_argument(
            "--optimize-every",
            type=int,
            default=500,
            help="Merge segments after this many applied changes.",
        )
        parser.add_argument("--once", action="store_true", help="Drain once and exit.")

    def handle(self, *args, **options):
        stopping = {"now": False}

        def stop(signum, frame):
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        ensure_index(stdout=self.stdout)
        since_optimize = 0
        self.stdout.write("indexer: running")
        while not stopping["now"]:
            try:
                applied = drain_queue(stdout=self.stdout)
            except IndexBusy as exc:
                self.stderr.write(f"indexer: {exc}; retrying")
                applied = 0
            since_optimize += applied
            if since_optimize >= options["optimize_every"]:
                optimize(stdout=self.stdout)
                since_optimize = 0
            if options["once"]:
                break
            deadline = time.monotonic() + options["interval"]
            while not stopping["now"] and time.monotonic() < deadline:
                time.sleep(0.1)
        self.stdout.write("indexer: stopped")
