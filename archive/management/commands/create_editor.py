"""Create or update an editor: a staff user in the "Editors" group."""

import getpass
import os
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from archive.editorial import EDITORS_GROUP, ensure_editors_group

PASSWORD_VARIABLE = "ARCHIVE_EDITOR_PASSWORD"


class Command(BaseCommand):
    help = (
        f'Create or update a user in the "{EDITORS_GROUP}" group (staff, not superuser). '
        f"The password is asked for, or read from ${PASSWORD_VARIABLE} with --noinput."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the editor's login name")
        parser.add_argument("--email", default="", help="the editor's e-mail address")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"do not prompt; take the password from ${PASSWORD_VARIABLE} if set",
        )

    def handle(self, *args, username: str, email: str, interactive: bool, **options):
        username = username.strip()
        if not username:
            raise CommandError("The username must not be empty.")
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username)
        password = os.environ.get(PASSWORD_VARIABLE) or None
        if password is None and interactive and sys.stdin.isatty():
            password = self._ask_password(user)
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error

        with transaction.atomic():
            created = user.pk is None
            user.is_staff = True
            user.is_active = True
            if email:
                user.email = email
            if password is not None:
                user.set_password(password)
            elif created:
                user.set_unusable_password()
            user.save()
            user.groups.add(ensure_editors_group())

        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} editor {username!r}."))
        if password is None and not user.has_usable_password():
            self.stdout.write(
                f"No password set: run `manage.py changepassword {username}` "
                f"or set ${PASSWORD_VARIABLE}."
            )

    def _ask_password(self, user) -> str:
        while True:
            first = getpass.getpass("Password: ")
            if first != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords do not match.")
                continue
            try:
                validate_password(first, user)
            except ValidationError as error:
                self.stderr.write(" ".join(error.messages))
                continue
            return first
