"""Confidential notes are ciphertext in the database, history included; keys rotate; plaintext migrates."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from agencies.core.fields import DecryptionError, EncryptedTextField, decrypt_text, encrypted_fields
from agencies.models import SourceConfidentialNote
from tests import factories as f
from tests.trust.conftest import CANARY

NOTE = SourceConfidentialNote._meta.db_table
HISTORY = SourceConfidentialNote.history.model._meta.db_table


def stored(table: str) -> list[str]:
    """What the database holds in a notes column, read without the model."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT notes FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def test_the_note_and_its_history_are_stored_encrypted(canary_source):
    note = canary_source.confidential_note
    assert note.notes == f"{CANARY} (met twice)"
    assert [row.notes for row in note.history.order_by("history_id")] == [
        f"First draft. {CANARY}",
        f"{CANARY} (met twice)",
    ]
    raw = stored(NOTE) + stored(HISTORY)
    assert len(raw) == 3
    for value in raw:
        assert "CANARY" not in value and "Jane" not in value
        assert value.startswith("gAAAAA")  # a Fernet token
        assert CANARY in decrypt_text(value)


def test_the_history_model_keeps_the_encrypted_field():
    assert isinstance(SourceConfidentialNote.history.model._meta.get_field("notes"), EncryptedTextField)
    tables = {model._meta.db_table for model, _field in encrypted_fields()}
    assert tables == {NOTE, HISTORY}


def test_the_same_text_encrypts_differently_each_time(canary_source):
    other = SourceConfidentialNote.objects.create(source=f.SourceFactory(), notes=f"{CANARY} (met twice)")
    assert other.notes == canary_source.confidential_note.notes
    first, second = stored(NOTE)
    assert first != second


def test_notes_cannot_be_searched_in_sql(canary_source):
    with pytest.raises(FieldError):
        list(SourceConfidentialNote.objects.filter(notes__icontains="Jane"))
    with pytest.raises(FieldError):
        list(SourceConfidentialNote.objects.filter(notes=CANARY))
    assert SourceConfidentialNote.objects.filter(notes__isnull=False).count() == 1


def test_rotation_new_key_first_reencrypt_then_drop_the_old(canary_source, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    before = stored(NOTE) + stored(HISTORY)

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    # Old ciphertext still opens; new writes use the new key.
    assert SourceConfidentialNote.objects.get().notes == f"{CANARY} (met twice)"
    out = io.StringIO()
    call_command("reencrypt_fields", stdout=out)
    assert out.getvalue().strip() == "Re-encrypted 3 values with the newest key."
    after = stored(NOTE) + stored(HISTORY)
    assert set(after).isdisjoint(before)
    history_count = canary_source.confidential_note.history.count()

    settings.FIELD_ENCRYPTION_KEYS = [new]
    note = SourceConfidentialNote.objects.get()
    assert note.notes == f"{CANARY} (met twice)"
    assert [r.notes for r in note.history.order_by("history_id")][0] == f"First draft. {CANARY}"
    assert note.history.count() == history_count  # a rotation is not a change of the record

    settings.FIELD_ENCRYPTION_KEYS = [old]
    with pytest.raises(DecryptionError) as excinfo:
        SourceConfidentialNote.objects.get()
    assert CANARY not in str(excinfo.value) and old not in str(excinfo.value)


def test_the_dossier_round_trip_goes_through_the_field(canary_source):
    from agencies.exchange import dossier_export, dossier_import

    internal = dossier_export(internal=True)
    (entry,) = [s for s in internal["sources"] if s["id"] == "wapo-two-people"]
    assert entry["confidential_notes"] == f"{CANARY} (met twice)"
    entry["confidential_notes"] = f"{CANARY} (met three times)"
    dossier_import(data=internal)
    assert SourceConfidentialNote.objects.get().notes == f"{CANARY} (met three times)"
    assert all("CANARY" not in value for value in stored(NOTE) + stored(HISTORY))


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_plaintext_left_from_before(roles):
    """Rows written in the clear before 0003 are encrypted by it, history included, and back."""
    executor = MigrationExecutor(connection)
    before, after = [("agencies", "0002_briefing")], [("agencies", "0003_trust")]
    try:
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        Source = old_apps.get_model("agencies", "Source")
        Note = old_apps.get_model("agencies", "SourceConfidentialNote")
        HistoricalNote = old_apps.get_model("agencies", "HistoricalSourceConfidentialNote")
        source = Source.objects.create(slug="old-source", kind="anonymous", count=2)
        note = Note.objects.create(source=source, notes=f"Before encryption: {CANARY}")
        HistoricalNote.objects.create(
            id=note.pk,
            source_id=source.pk,
            notes=f"Before encryption: {CANARY}",
            created_at=note.created_at,
            updated_at=note.updated_at,
            history_date=note.updated_at,
            history_type="+",
        )
        assert stored(NOTE) == [f"Before encryption: {CANARY}"]

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert all(CANARY not in value for value in stored(NOTE) + stored(HISTORY))
        note = SourceConfidentialNote.objects.get(source__slug="old-source")
        assert note.notes == f"Before encryption: {CANARY}"
        assert note.history.get().notes == f"Before encryption: {CANARY}"

        # Running it again (e.g. on a database restored half-way) leaves ciphertext alone.
        encrypted = stored(NOTE) + stored(HISTORY)
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        assert stored(NOTE) == [f"Before encryption: {CANARY}"]
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert len(stored(NOTE) + stored(HISTORY)) == len(encrypted)
        assert all(CANARY not in value for value in stored(NOTE) + stored(HISTORY))
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
