"""The importer refuses what its actor may not write, on the command line as through the upload.

The finding of issue 10: who may import a verdict was decided in an admin module only, so that
`import_dossier --actor viewer` recorded a viewer confirming a claim.
"""

import io
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from agencies import models as m
from agencies.exchange import dossier_import

from .conftest import import_errors, row_counts, small

pytestmark = pytest.mark.django_db


def user(django_user_model, name: str, *groups: str):
    person = django_user_model.objects.create_user(name, password="pw-for-tests-only", is_staff=True)
    person.groups.add(*Group.objects.filter(name__in=groups))
    return django_user_model.objects.get(pk=person.pk)


def write(tmp_path, data) -> str:
    path = tmp_path / "dossier.json"
    path.write_text(json.dumps(data))
    return str(path)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def without_notes() -> dict:
    data = small()
    for source in data["sources"]:
        source.pop("confidential_notes", None)
    return data


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_viewer_imports_nothing_from_the_command_line(tmp_path, django_user_model, dry_run):
    user(django_user_model, "vera", "viewer")
    data = without_notes()
    data["claims"][0]["status"] = "confirmed"
    before = row_counts()
    args = ["import_dossier", write(tmp_path, data), "--actor", "vera"] + (["--dry-run"] if dry_run else [])
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert "vera may not import a dossier: importing edits the record" in str(caught.value)
    assert row_counts() == before


def test_a_researcher_may_not_give_or_take_back_a_verdict(tmp_path, django_user_model):
    researcher = user(django_user_model, "rita", "researcher")
    user(django_user_model, "ed", "editor")
    data = without_notes()
    data["claims"][0]["status"] = "confirmed"
    path = write(tmp_path, data)
    before = row_counts()
    with pytest.raises(CommandError) as caught:
        run("import_dossier", path, "--actor", "rita")
    assert "claims[0].status: Only editors may set a claim's status to confirmed, refuted, retracted" in str(
        caught.value
    )
    assert "This file changes it to confirmed." in str(caught.value)
    assert row_counts() == before

    run("import_dossier", path, "--actor", "ed")
    assert m.Claim.objects.get(slug="uspis-enlisted").status == "confirmed"
    # Taking the verdict back is an editor's too; the rest of the record a researcher may change.
    data["claims"][0]["status"] = "unverified"
    errors = import_errors(data, actor=researcher)
    assert errors == [
        "claims[0].status: Only editors may set a claim's status to confirmed, refuted, retracted, or change "
        "it from one. This file changes it from confirmed to unverified."
    ]
    data["claims"][0]["status"] = "confirmed"
    data["claims"][0]["text"] = "Reworded by a researcher."
    assert dossier_import(data=data, actor=researcher).updated == 1


def test_confidential_notes_need_the_grant_even_to_clear_them(django_user_model):
    researcher = user(django_user_model, "rita", "researcher")
    insider = user(django_user_model, "ines", "researcher", "confidential")
    data = small()
    errors = import_errors(data, actor=researcher)
    assert errors == [
        "sources[0].confidential_notes: only people allowed to see confidential notes may import (or clear) "
        "them; remove the field or ask someone who may"
    ]
    dossier_import(data=data, actor=insider)
    data["sources"][0]["confidential_notes"] = None
    # The refusal is the same whether or not a note exists: it tells nothing about the record.
    data["sources"][1]["confidential_notes"] = None
    errors = import_errors(data, actor=researcher)
    assert [e.split(":")[0] for e in errors] == [
        "sources[0].confidential_notes",
        "sources[1].confidential_notes",
    ]
    assert m.SourceConfidentialNote.objects.count() == 1


def test_every_kind_of_row_written_needs_its_permission(django_user_model):
    """A role may carry fewer model permissions than the importer writes: the import is refused whole."""
    partial = user(django_user_model, "pat")
    partial.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="agencies",
            codename__in=[
                f"{a}_{model}"
                for model in ("claim", "agency", "outlet", "document", "source")
                for a in ("view", "add", "change")
            ],
        )
    )
    partial = django_user_model.objects.get(pk=partial.pk)
    before = row_counts()
    errors = import_errors(without_notes(), actor=partial)
    assert len(errors) == 1 and errors[0].startswith("(permissions): pat's role does not allow this import:")
    assert "add attributions" in errors[0] and "add citations" in errors[0]
    assert row_counts() == before


@pytest.mark.parametrize(
    "groups, imports",
    [
        (("viewer",), False),
        (("viewer", "confidential"), False),
        (("researcher",), False),  # the verdict and the notes
        (("researcher", "confidential"), False),  # the verdict
        (("editor",), False),  # the notes
        (("editor", "confidential"), True),
    ],
)
def test_each_role_on_the_command_line(tmp_path, django_user_model, groups, imports):
    user(django_user_model, "someone", *groups)
    data = small()
    data["claims"][0]["status"] = "refuted"
    path = write(tmp_path, data)
    before = row_counts()
    if imports:
        run("import_dossier", path, "--actor", "someone")
        assert m.Claim.objects.get(slug="uspis-enlisted").status == "refuted"
        assert {r.history_user.username for r in m.Claim.history.all()} == {"someone"}
    else:
        with pytest.raises(CommandError):
            run("import_dossier", path, "--actor", "someone")
        assert row_counts() == before


def test_a_system_import_without_an_actor_may_write_anything(tmp_path):
    data = small()
    data["claims"][0]["status"] = "retracted"
    run("import_dossier", write(tmp_path, data))
    assert m.Claim.objects.get(slug="uspis-enlisted").status == "retracted"
