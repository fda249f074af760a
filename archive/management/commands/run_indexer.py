"""The single index writer: apply queued changes every second until stopped."""

import signal

from django.core.management.base import BaseCommand, CommandError

from archive.search import indexer_loop


class Command(BaseCommand):
    help = (
        "Drain the index queue in a loop (the only process that writes the index). "
        "Errors are logged and retried; stops on SIGTERM/SIGINT."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between drains.")
        parser.add_argument(
            "--optimize-every",
            type=int,
            default=500,
            help="Merge segments after this many applied changes.",
        )
        parser.add_argument(
            "--once", action="store_true", help="One cycle (drain, merge if due), then exit."
        )

    def handle(self, *args, **options):
        stopping = {"now": False}

        def stop(signum, frame):
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        ok = indexer_loop.run(
            interval=options["interval"],
            optimize_every=options["optimize_every"],
            once=options["once"],
            should_stop=lambda: stopping["now"],
            stdout=self.stdout,
        )
        if options["once"] and not ok:
            raise CommandError("a step failed; see the log above")
