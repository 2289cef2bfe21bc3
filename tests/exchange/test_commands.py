"""The management commands: thin wrappers, clear output, every error on stderr, no traceback."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from agencies import models as m
from agencies.core import services
from agencies.exchange import dossier_dump, dossier_export
from tests.factories import UserFactory

from .conftest import FIXTURES, row_counts, small

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


def write(tmp_path, data, name="dossier.yaml") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data, sort_keys=False))
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_prints_what_it_did_and_nothing_the_second_time(tmp_path):
    path = write(tmp_path, small())
    first = run("import_dossier", str(path))
    assert "  agencies: 3 created, 0 updated" in first and "in all: 21 created, 0 updated" in first
    again = run("import_dossier", str(path))
    assert "in all: 0 created, 0 updated" in again


def test_import_dry_run_writes_nothing(tmp_path):
    before = row_counts()
    out = run("import_dossier", str(write(tmp_path, small(), "dossier.json")), "--dry-run")
    assert "Dry run: nothing was written" in out and "agencies: create 3, update 0" in out
    assert row_counts() == before


def test_import_records_the_actor(tmp_path, researcher):
    run("import_dossier", str(write(tmp_path, small())), "--actor", "researcher")
    assert {r.history_user for r in m.Claim.history.all()} == {researcher}
    with pytest.raises(CommandError, match="--actor: no user 'nobody'"):
        run("import_dossier", str(write(tmp_path, small())), "--actor", "nobody")


def test_import_errors_are_all_listed_with_their_places(tmp_path):
    data = small()
    data["claims"][0]["attributions"][0]["origin"] = "wapo-insiders"
    data["documents"][0]["publshed"] = data["documents"][0].pop("published")
    path = write(tmp_path, data)
    before = row_counts()
    with pytest.raises(CommandError) as caught:
        run("import_dossier", str(path))
    assert caught.value.returncode == 1
    assert str(caught.value).splitlines() == [
        f"{path}: 2 errors, nothing was imported:",
        "  documents[0].publshed: unknown field (did you mean 'published'?)",
        "  claims[0].attributions[0].origin: unknown source 'wapo-insiders'",
    ]
    assert row_counts() == before


def test_unreadable_file_is_a_command_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"format: oversight-dossier/1\nname: caf\xe9\n")
    with pytest.raises(CommandError, match="the file is not UTF-8"):
        run("import_dossier", str(path))


def test_export_to_stdout_is_public_yaml():
    run("import_dossier", str(FIXTURES / "foreign.yaml"))
    out = run("export_dossier")
    assert out == dossier_dump(dossier_export())
    assert "confidential_notes" not in out and "secure line" not in out
    assert json.loads(run("export_dossier", "--format", "json")) == dossier_export()


def test_export_to_files(tmp_path):
    run("import_dossier", str(FIXTURES / "foreign.yaml"))
    out = run("export_dossier", "--output", str(tmp_path / "record.json"))
    assert out == f"Exported to {tmp_path / 'record.json'} (public, json).\n"
    editor = UserFactory(username="ed")
    services.user_set_role(actor=None, user=editor, role="editor", confidential=True)
    call_command(
        "export_dossier",
        "--internal",
        "--user",
        "ed",
        "-o",
        str(tmp_path / "internal.yaml"),
        stderr=io.StringIO(),
    )
    as_json = (tmp_path / "record.json").read_text()
    assert json.loads(as_json) == dossier_export()
    internal = (tmp_path / "internal.yaml").read_text()
    assert internal == dossier_dump(dossier_export(internal=True))
    assert "confidential_notes: Both reached" in internal
    assert oct((tmp_path / "internal.yaml").stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_export_to_an_unwritable_place_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        call_command("export_dossier", "--output", str(tmp_path / "missing" / "x.yaml"), stderr=io.StringIO())


def _manage(tmp_path, *args):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "oversight.settings",
        "DJANGO_SECRET_KEY": "oversight-tests-only-not-a-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "OVERSIGHT_VAR_DIR": str(tmp_path / "var"),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_real_command_line_exit_status_and_stderr(tmp_path):
    """Through manage.py, as a researcher runs it: exit status, messages on stderr, no traceback."""
    assert _manage(tmp_path, "migrate", "-v0").returncode == 0
    data = small()
    data["claims"][1]["attributions"][0]["origin"] = "wapo-insiders"
    data["figures"][0]["period_end"] = "May 2025"
    bad = write(tmp_path, data)

    failed = _manage(tmp_path, "import_dossier", str(bad))
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert "claims[1].attributions[0].origin: unknown source 'wapo-insiders'" in failed.stderr
    assert (
        "figures[0].period_end: expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got 'May 2025'"
        in failed.stderr
    )

    good = _manage(tmp_path, "import_dossier", str(FIXTURES / "foreign.yaml"))
    assert good.returncode == 0, good.stderr
    assert "in all: 51 created, 0 updated" in good.stdout

    exported = _manage(tmp_path, "export_dossier")
    assert exported.returncode == 0
    assert yaml.safe_load(exported.stdout)["claims"][0]["id"] == "audit-rate-low-income"


def test_an_unmigrated_database_says_to_migrate(tmp_path):
    path = write(tmp_path, small())
    failed = _manage(tmp_path, "import_dossier", str(path))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert (
        "run `make migrate` (or `manage.py migrate`), then import again; nothing was written" in failed.stderr
    )
