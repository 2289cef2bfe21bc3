from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies.exchange.synthetic import RecordNotEmpty, record_load


class Command(BaseCommand):
    help = (
        "Load a synthetic record for measuring Oversight at scale: agencies in a hierarchy, outlets, "
        "documents citing documents, sources of every kind, N claims with one to five attribution "
        "lines, figures, roles, data systems and comment requests. The same seed gives the same record. "
        "Rows go in by COPY on PostgreSQL (then ANALYZE) and by bulk_create elsewhere, all or nothing. "
        "No history rows are written: synthetic data is not an edit anyone made. Slugs start with "
        "--prefix; a database that already holds a record is refused unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, required=True, metavar="N", help="How many claims.")
        parser.add_argument("--seed", type=int, default=1, help="The random seed (default 1).")
        parser.add_argument(
            "--prefix", default="syn", help="Start of every slug the record gets (default 'syn')."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add the synthetic record to a database that already holds one (under an unused --prefix).",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, claims, seed, prefix, force, quiet, **options):
        if claims < 1:
            raise CommandError("--claims must be at least 1.")
        try:
            report = record_load(
                claims=claims,
                seed=seed,
                prefix=prefix,
                force=force,
                progress_stream=None if quiet else self.stderr._out,
            )
        except RecordNotEmpty as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:  # a prefix that is not a slug
            raise CommandError(f"--prefix: {' '.join(exc.messages)}") from None
        self.stdout.write(
            f"Synthetic record (seed {seed}, prefix {prefix!r}): {report.rows:,} rows in "
            f"{report.seconds:.1f} s by {report.method}, {report.statements:,} statements, no history rows."
        )
        for label, count in report.counts.items():
            self.stdout.write(f"  {label}: {count:,}")
