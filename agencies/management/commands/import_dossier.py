from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from agencies.exchange import DossierError, dossier_import, dossier_load


class Command(BaseCommand):
    help = (
        "Import a dossier (YAML or JSON; docs/dossier-format.md), all or nothing: entities it names are "
        "created, or updated with the fields it gives (a field left out keeps its stored value, null "
        "clears it); others are left alone. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="The dossier file (.yaml, .yml or .json; otherwise read by content)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check, and list every field and row the import would change, write nothing.",
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="The user importing: the history records them, and what their role may not write is "
            "refused (a viewer imports nothing, a verdict needs an editor). Without it: a system import.",
        )

    def handle(self, *args, path, dry_run, actor, **options):
        user = None
        if actor:
            try:
                user = (
                    get_user_model()
                    ._default_manager.filter(**{get_user_model().USERNAME_FIELD: actor})
                    .first()
                )
            except DatabaseError as exc:
                raise CommandError(
                    f"--actor: cannot look up {actor!r} ({exc}): run `make migrate`?"
                ) from None
            if user is None:
                raise CommandError(f"--actor: no user {actor!r}")
        try:
            report = dossier_import(data=dossier_load(path), actor=user, dry_run=dry_run)
        except DossierError as exc:
            count = exc.total
            lines = [f"{path}: {count:,} error{'s' if count != 1 else ''}, nothing was imported:"]
            lines += [f"  {line}" for line in exc.lines()]
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(report.summary())
        details = report.details() if dry_run else ""
        if details:
            self.stdout.write(details)
