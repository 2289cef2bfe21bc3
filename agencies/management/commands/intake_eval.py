import json
from pathlib import Path

from django.core.management.base import BaseCommand

from agencies.intake import evaluate


class Command(BaseCommand):
    help = (
        "Measure the article proposer on the gold set (tests/intake/gold/): precision and recall per "
        "kind, tuned and held-out articles apart. Reads and writes nothing in the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", metavar="PATH", help="Also write the figures as JSON.")
        parser.add_argument(
            "--misses", action="store_true", help="List what was missed or extra (tuned articles only)."
        )
        parser.add_argument(
            "--tuned-only", action="store_true", help="Run the tuned articles only (while tuning)."
        )
        parser.add_argument("--gold", metavar="DIR", help="Another gold set (a folder with a manifest.yaml).")

    def handle(
        self,
        *args,
        json: str | None = None,
        misses: bool = False,
        gold: str | None = None,
        tuned_only: bool = False,
        **options,
    ):
        result = evaluate.run(Path(gold) if gold else evaluate.GOLD, tuned_only=tuned_only)
        self.stdout.write(evaluate.report(result, misses=misses))
        if json:
            Path(json).write_text(_json.dumps(evaluate.figures(result), indent=2) + "\n", encoding="utf-8")


_json = json
