"""Load the seed dossier(s) from seeds/: the demo case, idempotently."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agencies.exchange import DossierError, dossier_import, dossier_load

SEEDS_DIR = settings.BASE_DIR / "seeds"


class Command(BaseCommand):
    help = "Import every dossier in seeds/ (all or nothing per file; a second run changes nothing)."

    def handle(self, *args, **options):
        paths = sorted(p for p in SEEDS_DIR.iterdir() if p.suffix in {".yaml", ".yml", ".json"})
        if not paths:
            raise CommandError(f"No dossier in {SEEDS_DIR}")
        for path in paths:
            try:
                report = dossier_import(data=dossier_load(path), actor=None)
            except DossierError as exc:
                raise CommandError(
                    f"{path.name}: the seed dossier is invalid:\n" + "\n".join(exc.lines())
                ) from None
            self.stdout.write(f"{path.name}: {report.summary()}")
