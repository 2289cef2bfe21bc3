"""A canary in a source's confidential note shows only to those allowed to see it, and nowhere else:
not in a public export, a copy of the database, the admin without the permission, logs, SQL or error
reports."""

import io
import logging
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.debug import ExceptionReporter

from agencies.exchange import dossier_dump, dossier_export
from agencies.models import Source, SourceConfidentialNote
from tests.admin.form_data import form_data
from tests.trust.conftest import CANARY, ROLE_CASES, case_id

SECRET_BITS = ("CANARY-7f3a9c", "Jane Roe", "555 0100")


def assert_no_canary(text: str | bytes, where: str) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    for bit in SECRET_BITS:
        assert bit not in text, f"{bit!r} found in {where}"


def test_public_export_never_holds_the_note(canary_source):
    assert_no_canary(dossier_dump(dossier_export()), "the public YAML export")
    assert_no_canary(dossier_dump(dossier_export(), "json"), "the public JSON export")
    out = io.StringIO()
    call_command("export_dossier", stdout=out)
    assert "wapo-two-people" in out.getvalue()
    assert_no_canary(out.getvalue(), "export_dossier's output")
    assert CANARY in dossier_dump(dossier_export(internal=True))  # the test can see it when it is there


def _database_copy(tmp_path) -> bytes:
    """A copy of the database as a backup would take it: the SQLite file, or a pg_dump."""
    if connection.vendor == "sqlite":
        copy = tmp_path / "copy.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(copy)])
        return copy.read_bytes()
    assert connection.vendor == "postgresql"
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed (apt-get install postgresql-client)"
    params = connection.get_connection_params()
    command = [pg_dump, "--no-owner", "--dbname", params.get("dbname") or connection.settings_dict["NAME"]]
    for flag, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if params.get(key):
            command += [flag, str(params[key])]
    env = {"PGPASSWORD": str(params.get("password") or ""), "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, check=True, capture_output=True, env=env, timeout=120).stdout  # noqa: S603


@pytest.mark.django_db(transaction=True)
def test_a_copy_of_the_database_never_holds_the_note(canary_source, tmp_path):
    note = SourceConfidentialNote.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT notes FROM {SourceConfidentialNote._meta.db_table}")  # noqa: S608
        (ciphertext,) = cursor.fetchone()
    dump = _database_copy(tmp_path)
    # The copy holds the note's row and its history (ciphertext), and the record around it...
    assert ciphertext.encode() in dump
    assert b"wapo-two-people" in dump and b"historicalsourceconfidentialnote" in dump.lower()
    assert note.history.count() == 2
    # ...but never the note in clear.
    assert_no_canary(dump, f"a {connection.vendor} copy of the database")


def _admin_urls(source: Source) -> list[str]:
    note = source.confidential_note
    urls = [reverse("admin:index"), reverse("admin:findings")]
    for name, obj in (("source", source), ("sourceconfidentialnote", note)):
        base = f"admin:agencies_{name}"
        record = obj.history.order_by("history_id").last()
        urls += [
            reverse(f"{base}_changelist"),
            reverse(f"{base}_changelist") + "?q=Jane",
            reverse(f"{base}_change", args=[obj.pk]),
            reverse(f"{base}_history", args=[obj.pk]),
            reverse(f"{base}_simple_history", args=[obj.pk, record.history_id]),
            reverse(f"{base}_delete", args=[obj.pk]),
        ]
    claim = source.attributions.get().claim
    urls += [
        reverse("admin:agencies_claim_change", args=[claim.pk]),
        reverse("admin:agencies_attribution_change", args=[source.attributions.get().pk]),
        reverse("admin:autocomplete")
        + "?app_label=agencies&model_name=attribution&field_name=origin&term=Jane",
    ]
    return urls


@pytest.mark.parametrize("case", [c for c in ROLE_CASES if not c[1]], ids=case_id)
def test_the_admin_never_shows_the_note_without_the_permission(client, make_user, canary_source, case):
    client.force_login(make_user(*case))
    for url in _admin_urls(canary_source):
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url
        assert_no_canary(response.content, url)
    listing = client.get(reverse("admin:agencies_source_changelist"), {"q": "Jane"})
    if listing.status_code == 200:
        assert listing.context["cl"].result_count == 0


@pytest.mark.parametrize("case", [c for c in ROLE_CASES if c[1] and c[0]], ids=case_id)
def test_the_note_shows_to_a_permitted_user(client, make_user, canary_source, case):
    client.force_login(make_user(*case))
    note = canary_source.confidential_note
    for url in (
        reverse("admin:agencies_source_change", args=[canary_source.pk]),
        reverse("admin:agencies_sourceconfidentialnote_change", args=[note.pk]),
        reverse(
            "admin:agencies_sourceconfidentialnote_simple_history",
            args=[note.pk, note.history.order_by("history_id").first().history_id],
        ),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert CANARY in response.content.decode(), url
    # History shows what changed, decrypted for those who may read it.
    history = client.get(reverse("admin:agencies_sourceconfidentialnote_history", args=[note.pk]))
    assert f"First draft. {CANARY}" in history.content.decode()


def test_saving_and_importing_notes_logs_and_sends_only_ciphertext(client, make_user, canary_source, caplog):
    client.force_login(make_user("researcher", True))
    url = reverse("admin:agencies_source_change", args=[canary_source.pk])
    data = form_data(client.get(url))
    data["confidential_note-0-notes"] = f"{CANARY} (third meeting)"
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.db.backends", "django.request", "agencies", "axes"):
        caplog.set_level(logging.DEBUG, logger=name)
    with CaptureQueriesContext(connection) as queries:  # also makes django.db.backends log each query
        assert client.post(url, data).status_code == 302
        internal = dossier_export(internal=True)
        (entry,) = [s for s in internal["sources"] if s["id"] == "wapo-two-people"]
        entry["confidential_notes"] = f"{CANARY} (imported)"
        from agencies.exchange import dossier_import

        dossier_import(data=internal)
        call_command("export_dossier", stdout=io.StringIO())
    assert SourceConfidentialNote.objects.get().notes == f"{CANARY} (imported)"
    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    assert "agencies_sourceconfidentialnote" in sql
    assert any(r.name == "django.db.backends" for r in caplog.records)
    assert_no_canary(sql, "the SQL sent to the database")
    assert_no_canary(caplog.text, "the logs")
    for record in caplog.records:
        assert_no_canary(repr(record.args), f"the arguments of log record {record.name}")


def _refuse_note_updates() -> None:
    """Make the database itself refuse the next write of a note, so that the save fails deep down with
    the note in the variables of the frames that were saving it."""
    table = SourceConfidentialNote._meta.db_table
    refuse = "RAISE(ABORT, 'refused')" if connection.vendor == "sqlite" else "refuse_notes()"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"CREATE TRIGGER refuse_notes BEFORE UPDATE ON {table} BEGIN SELECT {refuse}; END")
        else:
            cursor.execute(
                "CREATE FUNCTION refuse_notes() RETURNS trigger "
                "AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_notes BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {refuse}"
            )


@pytest.mark.parametrize("failure", ["database refuses the write", "broken key"])
def test_an_error_report_never_holds_the_note(client, make_user, canary_source, settings, caplog, failure):
    """A 500 while saving a note reports neither the posted note nor any variable that held it."""
    settings.DEBUG = False
    client.force_login(make_user("researcher", True))
    client.raise_request_exception = False
    url = reverse("admin:agencies_source_change", args=[canary_source.pk])
    data = form_data(client.get(url))
    data["confidential_note-0-notes"] = f"{CANARY} (new)"
    if failure == "broken key":
        settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    else:
        _refuse_note_updates()
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(url, data)
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    report = ExceptionReporter(record.request, *record.exc_info)
    text, html = report.get_traceback_text(), report.get_traceback_html()
    assert "confidential_note-0-notes" in text  # the report lists the field...
    assert ("ImproperlyConfigured" if failure == "broken key" else "refused") in text
    assert_no_canary(text, "the error report (text, as e-mailed)")  # ...but never its value
    assert_no_canary(html, "the error report (HTML)")
    assert "not-a-key" not in text  # nor a key
    assert_no_canary(caplog.text, "the logged error")
    assert_no_canary(response.content, "the 500 page")


def test_the_error_filter_hides_note_fields_from_any_form(rf, settings):
    from oversight.error_reports import ConfidentialExceptionReporterFilter

    settings.DEBUG = False
    request = rf.post("/anything/", {"confidential_notes": CANARY, "notes": CANARY, "title": "kept"})
    cleaned = ConfidentialExceptionReporterFilter().get_post_parameters(request)
    assert cleaned["title"] == "kept"
    assert_no_canary(repr(dict(cleaned)), "filtered POST parameters")
