from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agencies.dossier import DossierError, dossier_import, dossier_load


class Command(BaseCommand):
    help = (
        "Import a dossier (YAML or JSON), all or nothing: entities it names are created or updated "
        "from the file, others are left alone. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="The dossier file (.yaml, .yml or .json; otherwise read by content)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")
        parser.add_argument("--actor", metavar="USERNAME", help="The user the history records as the author.")

    def handle(self, *args, path, dry_run, actor, **options):
        user = None
        if actor:
            user = (
                get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: actor}).first()
            )
            if user is None:
                raise CommandError(f"--actor: no user {actor!r}")
        try:
            report = dossier_import(data=dossier_load(path), actor=user, dry_run=dry_run)
        except DossierError as exc:
            count = len(exc.errors)
            lines = [f"{path}: {count} error{'s' if count != 1 else ''}, nothing was imported:"]
            lines += [f"  {error}" for error in exc.errors]
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(report.summary())
