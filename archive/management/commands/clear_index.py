"""Empty the search index safely (replaces haystack's, which deletes the index folder)."""

from django.core.management.base import BaseCommand

from archive.search.indexer import clear


class Command(BaseCommand):
    help = (
        "Make an empty search index live. The previous generation is kept until the "
        "next rebuild; rebuild_index fills the index again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        parser.add_argument("--using", action="append", help="Accepted for compatibility.")

    def handle(self, *args, interactive: bool = True, **options):
        if interactive:
            answer = input(
                "Empty the search index? Searches find nothing until rebuild_index. [y/N] "
            )
            if not answer.lower().startswith("y"):
                self.stdout.write("Nothing done.")
                return
        clear(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("search index emptied; run rebuild_index to fill it"))
