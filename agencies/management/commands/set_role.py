"""Give a user one of Oversight's roles, and the confidential grant or not (agencies/core/permissions.py)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies.core import permissions, services


class Command(BaseCommand):
    help = (
        "Give USERNAME a role: viewer (reads), researcher (edits, asks for briefings), editor (also sets "
        "verdicts and publishes), or none. --confidential adds seeing who confidential sources are. "
        "--actor names who makes the change (a superuser, or a user allowed to manage roles): it is "
        "kept in the role history with --reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=[*permissions.ROLES, "none"])
        parser.add_argument(
            "--confidential",
            action="store_true",
            help="Also see confidential notes, and ask for internal briefings and exports.",
        )
        parser.add_argument(
            "--actor",
            required=True,
            metavar="USERNAME",
            help="Who makes the change: a superuser, or a user allowed to manage roles.",
        )
        parser.add_argument("--reason", default="", help="Why, kept in the role history (100 characters).")

    def handle(self, *args, username, role, confidential, actor, reason, **options):
        users = get_user_model().objects
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"No user {username!r}: create it first (manage.py createsuperuser, or the admin)."
            )
        acting = users.filter(username=actor).first()
        if acting is None:
            raise CommandError(f"No user {actor!r} to act as (--actor).")
        try:
            services.user_set_role(
                actor=acting,
                user=user,
                role=None if role == "none" else role,
                confidential=confidential,
                reason=reason,
            )
        except PermissionDenied as exc:
            raise CommandError(f"{actor}: {exc}") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        grant = " with the confidential grant" if confidential else ""
        self.stdout.write(f"{username}: {role}{grant}.")
