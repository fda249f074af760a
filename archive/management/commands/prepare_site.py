"""Everything ``make run`` does before serving, in one process (one Django start-up)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Apply migrations, collect static files, load seeds/ (idempotent) and build the "
        "search index if it is missing or stale."
    )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load_seeds", stdout=self.stdout, stderr=self.stderr)
        call_command("ensure_index", stdout=self.stdout, stderr=self.stderr)
