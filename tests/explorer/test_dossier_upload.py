"""Dossier upload in the admin: a dry run first (what would change, or every error with its place),
then a confirmation that imports exactly the checked file, all or nothing."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies import models as m
from agencies.admin import dossier_upload
from agencies.core import permissions
from tests.factories import user_with

pytestmark = pytest.mark.django_db

SEED = Path(__file__).resolve().parents[2] / "seeds" / "postal-inspection-2025.yaml"
URL = "/admin/dossier/import/"

SMALL = b"""format: oversight-dossier/1
agencies:
  - id: usps
    name: United States Postal Service
    kind: independent_agency
outlets:
  - id: beast
    name: The Daily Beast
    kind: news
documents:
  - id: article
    kind: article
    title: An article
    outlet: beast
sources:
  - id: insiders
    kind: anonymous
    description: two insiders
claims:
  - id: a-claim
    kind: role
    text: USPS helps.
    agencies: [usps]
    status: %(status)s
    attributions:
      - document: article
        origin: insiders
        stance: supports
"""

BROKEN = b"""format: oversight-dossier/1
agencies:
  - id: usps
    name: United States Postal Service
    kind: postal
claims:
  - id: a-claim
    kind: role
    text: USPS helps.
    agencies: [usps]
    status: unverified
    made: May 2025
    attributions:
      - document: article
        origin: insiders
        stance: supports
"""

UNKNOWN_REFERENCES = b"""format: oversight-dossier/1
agencies:
  - id: usps
    name: United States Postal Service
    kind: independent_agency
claims:
  - id: a-claim
    kind: role
    text: USPS helps.
    agencies: [usps, uspis]
    status: unverified
    attributions:
      - document: nowhere
        origin: wapo-insiders
        stance: supports
"""


def small(status: str = "unverified", notes: str | None = None) -> bytes:
    text = SMALL % {b"status": status.encode()}
    if notes:
        text = text.replace(
            b"    description: two insiders\n",
            b"    description: two insiders\n    confidential_notes: " + notes.encode() + b"\n",
        )
    return text


def upload(client, content: bytes, name: str = "dossier.yaml"):
    return client.post(URL, {"dossier": SimpleUploadedFile(name, content)})


@pytest.fixture
def editor(django_user_model):
    return user_with(
        django_user_model,
        "editor",
        *[
            f"{action}_{model}"
            for model in permissions.RECORD_MODELS
            for action in ("view", "add", "change", "delete")
        ],
        "set_verdict",
    )


@pytest.fixture
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def kept_files(storage) -> list[Path]:
    folder = storage / dossier_upload.UPLOAD_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_page_is_in_the_admin_for_those_who_edit_the_record(client, django_user_model, storage):
    assert reverse("admin:dossier_upload") == URL
    assert client.get(URL).status_code == 302  # to the admin's login
    client.force_login(user_with(django_user_model, "viewer", "view_claim"))
    assert client.get(URL).status_code == 403


def test_a_dry_run_reports_what_would_change_and_writes_nothing(client, researcher, storage):
    client.force_login(researcher)
    response = upload(client, SEED.read_bytes(), "postal-inspection-2025.yaml")
    assert response.status_code == 200
    report = response.context["report"]
    assert report.dry_run and report.created == 53 and report.updated == 0
    rows = {row["section"]: (row["created"], row["updated"]) for row in response.context["rows"]}
    assert rows["claims"] == (10, 0) and rows["agencies"] == (5, 0)
    assert not m.Claim.objects.exists()
    html = response.content.decode()
    assert "the import would create 53 and update 0" in html
    assert 'id="dossier-confirm"' in html


def test_confirming_imports_the_checked_file(client, researcher, storage):
    client.force_login(researcher)
    token = upload(client, SEED.read_bytes(), "seed.yaml").context["token"]
    assert len(kept_files(storage)) == 1
    response = client.post(URL, {"token": token})
    assert response.status_code == 302
    assert [str(x) for x in get_messages(response.wsgi_request)] == [
        "seed.yaml imported: 53 created, 0 updated. Each change is in the history with your name."
    ]
    assert m.Claim.objects.count() == 10
    assert m.Claim.history.filter(history_user=researcher).count() == 10
    assert kept_files(storage) == []
    # The token is spent.
    response = client.post(URL, {"token": token})
    assert "expired or was already imported" in str(list(get_messages(response.wsgi_request))[-1])
    # The same file again changes nothing: there is nothing to confirm, and nothing is kept.
    again = upload(client, SEED.read_bytes(), "seed.yaml")
    assert again.context["report"].created == again.context["report"].updated == 0
    assert "token" not in again.context and kept_files(storage) == []
    assert "nothing to import" in again.content.decode()


def test_every_error_is_reported_with_its_place_and_nothing_is_kept(client, researcher, storage):
    client.force_login(researcher)
    response = upload(client, BROKEN)
    assert [error["place"] for error in response.context["errors"]] == ["agencies[0].kind", "claims[0].made"]
    assert response.context.get("report") is None and "token" not in response.context
    errors = upload(client, UNKNOWN_REFERENCES).context["errors"]
    assert {error["place"]: error["problem"] for error in errors} == {
        "claims[0].agencies[1]": "unknown agency 'uspis'",
        "claims[0].attributions[0].document": "unknown document 'nowhere'",
        "claims[0].attributions[0].origin": "unknown source 'wapo-insiders'",
    }
    assert kept_files(storage) == []
    assert not m.Agency.objects.exists()
    html = upload(client, UNKNOWN_REFERENCES).content.decode()
    assert "nothing would be imported" in html and "<code>claims[0].attributions[0].origin</code>" in html


def test_unreadable_files_are_errors_too(client, researcher, storage):
    client.force_login(researcher)
    errors = upload(client, b"\xff\xfe not text").context["errors"]
    assert errors[0]["problem"].startswith("the file is not UTF-8")
    errors = upload(client, b'{"format": "oversight-dossier/1", "agencies": [}', "d.json").context["errors"]
    assert len(errors) == 1
    assert upload(client, b"").status_code == 200  # an empty upload: the form says so
    assert not m.Agency.objects.exists()


def test_the_kept_file_is_encrypted_and_bound_to_the_uploaders_session(
    client, researcher, storage, django_user_model
):
    canary = "CANARY-upload-51d Jane Roe"
    client.force_login(researcher)
    token = upload(client, small(notes=canary)).context["token"]
    (kept,) = kept_files(storage)
    assert canary.encode() not in kept.read_bytes() and b"a-claim" not in kept.read_bytes()
    # Another user, with their own session, cannot use the token.
    other = Client()
    other.force_login(
        django_user_model.objects.create_superuser("other", "o@example.org", "pw-for-tests-only")
    )
    response = other.post(URL, {"token": token})
    assert response.status_code == 302 and not m.Claim.objects.exists()
    # Nor can anyone by guessing one.
    client.post(URL, {"token": "made-up"})
    assert not m.Claim.objects.exists()
    client.post(URL, {"token": token})
    assert m.SourceConfidentialNote.objects.get().notes == canary


def test_a_kept_file_changed_on_the_server_is_refused(client, researcher, storage):
    client.force_login(researcher)
    token = upload(client, small()).context["token"]
    (kept,) = kept_files(storage)
    kept.write_bytes(b"garbage")
    client.post(URL, {"token": token})
    assert not m.Claim.objects.exists()


def test_kept_files_expire(client, researcher, storage, monkeypatch):
    client.force_login(researcher)
    token = upload(client, small()).context["token"]
    later = timezone.now() + dossier_upload.UPLOAD_TTL + timedelta(minutes=1)
    monkeypatch.setattr(dossier_upload.timezone, "now", lambda: later)
    client.post(URL, {"token": token})
    assert not m.Claim.objects.exists()
    assert dossier_upload.dossier_uploads_sweep(now=later) == 0  # the expired one is already gone
    upload(client, small())
    assert dossier_upload.dossier_uploads_sweep(now=later + timedelta(hours=2)) == 1
    assert default_storage.listdir(dossier_upload.UPLOAD_DIR)[1] == []


def test_beat_deletes_kept_files_nobody_confirmed(client, researcher, storage, settings, monkeypatch):
    from oversight.celery import app

    client.force_login(researcher)
    upload(client, small())
    app.loader.import_default_modules()  # the worker's autodiscovery, which finds agencies/admin/tasks.py
    sweep = app.tasks[settings.CELERY_BEAT_SCHEDULE["dossier-uploads-sweep"]["task"]]
    assert sweep.apply().get() == 0  # within the hour: kept for its confirmation
    assert len(kept_files(storage)) == 1
    later = timezone.now() + dossier_upload.UPLOAD_TTL + timedelta(minutes=1)
    monkeypatch.setattr(dossier_upload.timezone, "now", lambda: later)
    assert sweep.apply().get() == 1
    assert kept_files(storage) == []


def test_confidential_notes_only_from_those_who_may_see_them(client, editor, django_user_model, storage):
    client.force_login(editor)
    response = upload(client, small(notes="who they are"))
    assert [e["place"] for e in response.context["errors"]] == ["sources[0].confidential_notes"]
    assert kept_files(storage) == []


def test_a_verdict_only_from_an_editor(client, django_user_model, editor, storage):
    researcher = user_with(
        django_user_model,
        "plain-researcher",
        *[
            f"{action}_{model}"
            for model in permissions.RECORD_MODELS
            for action in ("view", "add", "change", "delete")
        ],
    )
    client.force_login(researcher)
    response = upload(client, small(status="confirmed"))
    (error,) = response.context["errors"]
    assert error["place"] == "claims[0].status" and "to confirmed" in error["problem"]
    client.force_login(editor)
    client.post(URL, {"token": upload(client, small(status="confirmed")).context["token"]})
    assert m.Claim.objects.get().status == "confirmed"
    # Taking a verdict back is an editor's too.
    client.force_login(researcher)
    (error,) = upload(client, small(status="unverified")).context["errors"]
    assert "from confirmed to unverified" in error["problem"]


def test_the_confirmation_checks_again(client, editor, storage):
    """Between the dry run and the confirmation, permissions (or the record) may change."""
    client.force_login(editor)
    token = upload(client, small(status="confirmed")).context["token"]
    editor.user_permissions.remove(*editor.user_permissions.filter(codename="set_verdict"))
    response = client.post(URL, {"token": token})
    assert response.status_code == 200 and response.context["confirming"]
    assert [e["place"] for e in response.context["errors"]] == ["claims[0].status"]
    assert "nothing was imported" in response.content.decode()
    assert not m.Claim.objects.exists() and not m.Source.objects.exists()
    assert kept_files(storage) == []


def test_a_partial_dossier_shows_each_field_and_row_it_would_change(client, researcher, storage):
    """The page's dry run of the partial USPIS dossier of issue 10: old and new, field by field."""
    client.force_login(researcher)
    client.post(URL, {"token": upload(client, SEED.read_bytes(), "seed.yaml").context["token"]})
    before = m.Agency.objects.values().get(slug="uspis")
    partial = b"""format: oversight-dossier/1
agencies:
  - id: uspis
    name: U.S. Postal Inspection Service
    kind: law_enforcement
    missions: null
"""
    response = upload(client, partial, "partial.yaml")
    html = response.content.decode()
    assert "the import would create 0 and update 1" in html
    (change,) = response.context["changes"]
    assert [(f.field, f.old, f.new) for f in change.fields] == [
        ("name", "'United States Postal Inspection Service'", "'U.S. Postal Inspection Service'")
    ]
    (missions,) = change.lists
    assert missions.field == "missions" and len(missions.removed) == 1
    assert "1 stored row would go" in html
    table = html[html.index('id="dossier-changes"') :]
    table = table[: table.index("</table>")]
    assert "(removed)" in table and "U.S. Postal Inspection Service" in table
    assert "acronym" not in table and "<td>website</td>" not in table and "<td>parent</td>" not in table
    assert m.Agency.objects.values().get(slug="uspis") == before  # nothing written before the confirmation
    client.post(URL, {"token": response.context["token"]})
    after = m.Agency.objects.values().get(slug="uspis")
    assert after["name"] == "U.S. Postal Inspection Service"
    assert {k: v for k, v in after.items() if k not in ("name", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("name", "updated_at")
    }
    assert not m.StatedMission.objects.filter(agency__slug="uspis").exists()


def test_the_page_lists_at_most_a_hundred_errors(client, researcher, storage):
    client.force_login(researcher)
    flood = b'{"format": "oversight-dossier/1", "claims": [' + b", ".join([b"{}"] * 5000) + b"]}"
    response = upload(client, flood, "flood.json")
    assert len(response.context["errors"]) == 100 and response.context["error_total"] == 5000
    html = response.content.decode()
    assert "flood.json: 5000 errors, nothing would be imported" in html
    assert "and 4900 more errors, not listed" in html
    assert html.count("required field is missing") == 100


def test_the_page_links_the_format_reference(client, django_user_model, researcher, storage):
    client.force_login(researcher)
    html = client.get(URL).content.decode()
    assert f'href="{reverse("admin:dossier_format")}"' in html
    page = client.get(reverse("admin:dossier_format"))
    assert page.status_code == 200
    assert "A field the entry leaves out keeps its stored value" in page.content.decode().replace(
        "a field the entry leaves out keeps its stored value",
        "A field the entry leaves out keeps its stored value",
    )
    assert client.post(reverse("admin:dossier_format")).status_code == 405
    client.force_login(user_with(django_user_model, "no-role"))
    assert client.get(reverse("admin:dossier_format")).status_code == 403


def test_a_viewer_posting_an_upload_or_a_confirmation_changes_nothing(
    client, django_user_model, researcher, storage
):
    client.force_login(researcher)
    token = upload(client, SEED.read_bytes(), "seed.yaml").context["token"]
    viewer = user_with(django_user_model, "viewer", "view_claim")
    client.force_login(viewer)
    assert upload(client, SEED.read_bytes(), "seed.yaml").status_code == 403
    assert client.post(URL, {"token": token}).status_code == 403
    assert not m.Claim.objects.exists() and not m.Agency.objects.exists()
