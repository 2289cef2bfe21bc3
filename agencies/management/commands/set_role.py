"""Give a user one of Oversight's roles, and the confidential grant or not (agencies/permissions.py)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies import permissions, services


class Command(BaseCommand):
    help = (
        "Give USERNAME a role: viewer (reads), researcher (edits, asks for briefings), editor (also sets "
        "verdicts and publishes), or none. --confidential adds seeing who confidential sources are."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=[*permissions.ROLES, "none"])
        parser.add_argument(
            "--confidential",
            action="store_true",
            help="Also see confidential notes, and ask for internal briefings and exports.",
        )

    def handle(self, *args, username, role, confidential, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"No user {username!r}: create it first (manage.py createsuperuser, or the admin)."
            )
        try:
            services.user_set_role(
                user=user, role=None if role == "none" else role, confidential=confidential
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        grant = " with the confidential grant" if confidential else ""
        self.stdout.write(f"{username}: {role}{grant}.")
