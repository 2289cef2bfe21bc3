"""Two imports of the same dossier at once, on PostgreSQL, in two real processes.

The finding of issue 10: one succeeded, the other died with a raw psycopg UniqueViolation traceback
from bulk._copy (COPY's errors bypassed the importer's database-error handler). Imports that write
now take an advisory lock for their transaction: the second waits for the first, then finds the
record already holds the file and changes nothing.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection

from agencies import models as m
from agencies.exchange import dossier_dump, dossier_export, dossier_load

from .conftest import history_counts, row_counts, wipe_record

BASE_DIR = Path(__file__).resolve().parents[2]
SEED = BASE_DIR / "seeds" / "postal-inspection-2025.yaml"
EXTRA_CLAIMS = 400


def big_dossier(path: Path) -> Path:
    """The seed case and a few hundred more claims: long enough for the two runs to overlap."""
    data = dossier_load(SEED)
    for n in range(EXTRA_CLAIMS):
        data["claims"].append(
            {
                "id": f"extra-{n}",
                "kind": "statement",
                "text": f"Statement {n} about mail covers.",
                "agencies": ["uspis", "dhs"],
                "status": "unverified",
                "attributions": [
                    {"document": "db-postal-deportations", "origin": "wapo-two-people", "stance": "supports"}
                ],
            }
        )
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _env() -> dict:
    db = connection.settings_dict
    where = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER']}@{where}/{db['NAME']}"
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "oversight.test_settings", "DATABASE_URL": url}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_end_as_one(postgres, tmp_path):
    path = big_dossier(tmp_path / "dossier.yaml")
    args = [sys.executable, "manage.py", "import_dossier", str(path)]
    children = [
        subprocess.Popen(
            args, cwd=BASE_DIR, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [(child.wait(timeout=300), *child.communicate()) for child in children]
    for returncode, out, err in results:
        assert "Traceback" not in err, err
        assert returncode == 0, err
    # One import wrote the file; the other waited, found it all there and changed nothing.
    first, second = sorted(out.strip().splitlines()[-1] for _code, out, _err in results)
    assert first == "  in all: 0 created, 0 updated"
    assert second.startswith("  in all: ") and second.endswith(" created, 0 updated") and second != first
    assert m.Claim.objects.count() == len(dossier_load(SEED)["claims"]) + EXTRA_CLAIMS

    # The record is what one import makes, history included.
    exported, rows, history = dossier_dump(dossier_export(internal=True)), row_counts(), history_counts()
    wipe_record()
    call_command("import_dossier", str(path), stdout=io.StringIO())
    assert dossier_dump(dossier_export(internal=True)) == exported
    assert row_counts() == rows and history_counts() == history
