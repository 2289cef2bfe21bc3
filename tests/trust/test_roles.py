"""The roles: what each group holds, what services and the claim form let each role do."""

import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from agencies.core import permissions, services
from agencies.models import Claim, ClaimStatus, RoleChange
from tests import factories as f
from tests.admin.form_data import form_data
from tests.trust.conftest import CANARY, ROLE_CASES, case_id

VERDICTS = {ClaimStatus.CONFIRMED, ClaimStatus.REFUTED, ClaimStatus.RETRACTED}


def test_record_models_are_every_model_but_briefings_notes_and_role_changes():
    models = {
        model._meta.model_name
        for model in apps.get_app_config("agencies").get_models()
        if not model._meta.model_name.startswith("historical")
    }
    assert set(permissions.RECORD_MODELS) == models - {
        "briefing",
        "intakedraft",
        "rolechange",
        "sourceconfidentialnote",
    }


def test_the_migration_made_the_groups_with_exactly_their_permissions(db):
    held = {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }
    assert held == {name: set(perms) for name, perms in permissions.role_permissions().items()}
    viewer, researcher, editor = held["viewer"], held["researcher"], held["editor"]
    assert viewer < researcher < editor
    assert not any(p.split(".")[1].startswith(("add_", "change_", "delete_")) for p in viewer)
    assert editor - researcher == {"agencies.set_verdict", "agencies.publish", "agencies.delete_briefing"}
    assert held["confidential"] == {"agencies.view_confidential", "agencies.view_sourceconfidentialnote"}
    assert not any("view_confidential" in p for p in viewer | researcher | editor)


def test_roles_sync_is_idempotent_and_restores_a_changed_group(roles):
    editor = Group.objects.get(name="editor")
    editor.permissions.clear()
    permissions.roles_sync()
    permissions.roles_sync()
    assert editor.permissions.count() == len(permissions.role_permissions()["editor"])
    assert Group.objects.filter(name__in=["viewer", "researcher", "editor", "confidential"]).count() == 4


# What each role may do, written out rather than derived from the code under test.
EXPECTED = {
    # role:        view  edit  verdict publish request internal/confidential
    (None, False): (False, False, False, False, False, False),
    ("viewer", False): (True, False, False, False, False, False),
    ("researcher", False): (True, True, False, False, True, False),
    ("editor", False): (True, True, True, True, True, False),
    ("viewer", True): (True, False, False, False, False, True),
    ("researcher", True): (True, True, False, False, True, True),
    ("editor", True): (True, True, True, True, True, True),
}


@pytest.mark.parametrize("case", ROLE_CASES, ids=case_id)
def test_what_each_role_may_do(make_user, case):
    view, edit, verdict, publish, request, confidential = EXPECTED[case]
    user = make_user(*case)
    assert permissions.can_view_record(user) is view
    assert permissions.can_edit_record(user) is edit
    assert permissions.can_see_confidential(user) is confidential
    assert permissions.can_publish(user) is publish
    assert permissions.can_request_briefing(user) is request
    assert permissions.can_request_internal(user) is (request and confidential)
    assert permissions.can_download_briefing(user, "public") is view
    assert permissions.can_download_briefing(user, "internal") is (view and confidential)
    assert permissions.can_export(user, internal=False) is publish
    assert permissions.can_export(user, internal=True) is (publish and confidential)
    for status in ClaimStatus.values:
        expected = edit and (verdict or status not in VERDICTS)
        assert permissions.can_set_status(user, status) is expected, status
    # Taking a verdict back is a verdict too.
    assert permissions.can_set_status(user, "disputed", current="confirmed") is verdict
    assert permissions.can_set_status(user, "confirmed", current="confirmed") is verdict


def test_inactive_and_anonymous_users_may_do_nothing(make_user):
    from django.contrib.auth.models import AnonymousUser

    editor = make_user("editor", True)
    editor.is_active = False
    for user in (editor, AnonymousUser()):
        assert not permissions.can_view_record(user)
        assert not permissions.can_see_confidential(user)
        assert not permissions.can_export(user, internal=False)


def test_superuser_may_do_everything(db):
    user = f.UserFactory(is_staff=True, is_superuser=True)
    assert permissions.can_export(user, internal=True)
    assert permissions.can_set_status(user, "retracted", current="confirmed")


# Services


def _set_status(actor, claim, status, reason="Agency said so"):
    claim = Claim.objects.get(pk=claim.pk)
    claim.status = status
    return services.record_save(actor=actor, instance=claim, reason=reason)


def _new_claim(slug: str, **fields) -> Claim:
    return Claim(slug=slug, kind="statement", text="T", **fields)


@pytest.mark.parametrize("status", sorted(VERDICTS))
def test_only_editors_give_a_verdict_through_the_service(make_user, status):
    claim = f.ClaimFactory()
    researcher = make_user("researcher", True)
    with pytest.raises(PermissionDenied):
        _set_status(researcher, claim, status)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNVERIFIED
    editor = make_user("editor")
    _set_status(editor, claim, status)
    claim.refresh_from_db()
    record = claim.history.latest("history_id")
    assert (claim.status, record.history_user, record.history_change_reason) == (
        status,
        editor,
        "Agency said so",
    )


def test_researchers_set_other_statuses_but_never_undo_a_verdict(make_user):
    researcher = make_user("researcher")
    claim = f.ClaimFactory()
    _set_status(researcher, claim, "corroborated", "Second origin")
    assert Claim.objects.get(pk=claim.pk).status == "corroborated"
    confirmed = f.ClaimFactory(status="confirmed")
    with pytest.raises(PermissionDenied):
        _set_status(researcher, confirmed, "disputed", "Doubt")
    assert Claim.objects.get(pk=confirmed.pk).status == "confirmed"


def test_creating_a_claim_checks_the_role(make_user):
    with pytest.raises(PermissionDenied):
        services.record_save(actor=make_user("viewer"), instance=_new_claim("c1"))
    with pytest.raises(PermissionDenied):
        services.record_save(actor=make_user("researcher"), instance=_new_claim("c2", status="confirmed"))
    assert not Claim.objects.exists()
    claim = services.record_save(actor=make_user("editor"), instance=_new_claim("c3", status="confirmed"))
    assert claim.status == "confirmed"


def test_viewers_write_nothing_through_services(make_user):
    viewer = make_user("viewer")
    document, other = f.DocumentFactory(), f.DocumentFactory()
    attribution = f.AttributionFactory(document=document)
    agency = f.AgencyFactory()
    calls = [
        lambda: services.record_save(actor=viewer, instance=agency),
        lambda: services.record_delete(actor=viewer, instance=agency),
        lambda: services.document_set_citations(actor=viewer, document=document, cited=[other]),
        lambda: services.attribution_set_via(actor=viewer, attribution=attribution, documents=[other]),
        lambda: services.attribution_create(
            actor=viewer, claim=attribution.claim, document=other, origin=attribution.origin
        ),
        lambda: services.claim_set_agencies(
            actor=viewer, claim=attribution.claim, agencies=[f.AgencyFactory()]
        ),
        lambda: services.role_set_claims(
            actor=viewer, role=f.ReportedRoleFactory(), claims=[attribution.claim]
        ),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert document.citations.count() == 0 and attribution.hops.count() == 0


def test_a_system_action_has_no_actor_and_may(db):
    claim = f.ClaimFactory()
    _set_status(None, claim, "retracted", "Import")
    assert Claim.objects.get(pk=claim.pk).status == "retracted"


# The claim form in the admin


def test_the_claim_form_offers_a_researcher_no_verdict_and_refuses_one(client, make_user):
    claim = f.ClaimFactory(agencies=[f.AgencyFactory()])
    client.force_login(make_user("researcher"))
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    page = client.get(url)
    offered = {value for value, _label in page.context["adminform"].form.fields["status"].choices}
    assert offered == set(ClaimStatus.values) - VERDICTS
    data = form_data(page)
    data.update(status="confirmed", change_reason="The agency confirmed it")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert Claim.objects.get(pk=claim.pk).status == "unverified"


def test_an_editor_gives_a_verdict_in_the_admin_and_its_reason_is_kept(client, make_user):
    claim = f.ClaimFactory(agencies=[f.AgencyFactory()])
    editor = make_user("editor")
    client.force_login(editor)
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    data = form_data(client.get(url))
    data["status"] = "confirmed"
    without_reason = client.post(url, data)
    assert "change_reason" in without_reason.context["adminform"].form.errors
    data["change_reason"] = "Confirmed by the agency on record"
    assert client.post(url, data).status_code == 302
    record = Claim.objects.get(pk=claim.pk).history.latest("history_id")
    assert (record.status, record.history_user, record.history_change_reason) == (
        "confirmed",
        editor,
        "Confirmed by the agency on record",
    )
    history = client.get(reverse("admin:agencies_claim_history", args=[claim.pk])).content.decode()
    assert "Confirmed by the agency on record" in history and editor.username in history


def test_a_verdict_is_read_only_for_a_researcher(client, make_user):
    claim = f.ClaimFactory(agencies=[f.AgencyFactory()], status="refuted")
    client.force_login(make_user("researcher"))
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    page = client.get(url)
    assert page.context["adminform"].form.fields["status"].disabled
    data = form_data(page)
    data.update(status="unverified", change_reason="Reopened", text="Edited text.")
    assert client.post(url, data).status_code == 302  # the rest of the claim saves
    claim.refresh_from_db()
    assert (claim.status, claim.text) == ("refuted", "Edited text.")


def test_a_researcher_cannot_add_a_confirmed_claim(client, make_user):
    client.force_login(make_user("researcher"))
    page = client.get(reverse("admin:agencies_claim_add"))
    offered = {value for value, _label in page.context["adminform"].form.fields["status"].choices}
    assert offered.isdisjoint(VERDICTS)


# Commands


def test_set_role_gives_one_role_and_the_grant_and_records_who(make_user):
    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)
    user = f.UserFactory(username="alice")
    out = io.StringIO()
    call_command(
        "set_role",
        "alice",
        "researcher",
        "--confidential",
        "--actor",
        "admin",
        "--reason",
        "Joins",
        stdout=out,
    )
    assert out.getvalue().strip() == "alice: researcher with the confidential grant."
    user.refresh_from_db()
    assert user.is_staff
    assert set(user.groups.values_list("name", flat=True)) == {"researcher", "confidential"}
    call_command("set_role", "alice", "editor", "--actor", "admin", stdout=io.StringIO())
    assert set(user.groups.values_list("name", flat=True)) == {"editor"}
    kept = list(
        RoleChange.objects.order_by("id").values_list(
            "actor",
            "actor_name",
            "user",
            "user_name",
            "old_role",
            "new_role",
            "old_confidential",
            "new_confidential",
            "reason",
        )
    )
    assert kept == [
        (admin.pk, "admin", user.pk, "alice", "", "researcher", False, True, "Joins"),
        (admin.pk, "admin", user.pk, "alice", "researcher", "editor", True, False, ""),
    ]
    with pytest.raises(CommandError, match="nobody"):
        call_command("set_role", "nobody", "viewer", "--actor", "admin")
    with pytest.raises(CommandError, match="ghost"):
        call_command("set_role", "alice", "viewer", "--actor", "ghost")
    with pytest.raises(CommandError, match="--actor"):
        call_command("set_role", "alice", "viewer")
    assert RoleChange.objects.count() == 2


@pytest.mark.parametrize("case", ROLE_CASES, ids=case_id)
def test_set_role_refuses_an_actor_who_may_not_manage_roles(make_user, case):
    actor = make_user(*case)
    target = make_user("viewer", username="target")
    changes = RoleChange.objects.count()
    with pytest.raises(CommandError, match="manage roles"):
        call_command("set_role", "target", "editor", "--confidential", "--actor", actor.username)
    with pytest.raises(CommandError, match="manage roles"):
        call_command("set_role", actor.username, "editor", "--confidential", "--actor", actor.username)
    assert set(target.groups.values_list("name", flat=True)) == {"viewer"}
    assert RoleChange.objects.count() == changes


def test_the_manage_roles_permission_lets_a_user_give_roles(make_user):
    manager = make_user("viewer", username="manager")
    manager.user_permissions.add(Permission.objects.get(codename="manage_roles"))
    manager = type(manager).objects.get(pk=manager.pk)
    assert permissions.can_manage_roles(manager)
    target = make_user(None, username="target")
    services.user_set_role(actor=manager, user=target, role="researcher", confidential=False, reason="New")
    assert RoleChange.objects.filter(actor=manager, user=target, new_role="researcher").exists()


def test_user_set_role_keeps_only_changes(make_user):
    target = make_user("editor", username="target")
    changes = RoleChange.objects.count()
    services.user_set_role(actor=None, user=target, role="editor", confidential=False)
    assert RoleChange.objects.count() == changes
    services.user_set_role(actor=None, user=target, role=None, confidential=False, reason="Left")
    entry = RoleChange.objects.latest("id")
    assert (entry.actor, entry.actor_name, entry.old_role, entry.new_role, entry.reason) == (
        None,
        "",
        "editor",
        "",
        "Left",
    )
    with pytest.raises(ValidationError):
        services.user_set_role(actor=None, user=target, role="viewer", confidential=False, reason="x" * 101)
    assert not target.groups.exists()


def test_user_set_role_refuses_an_unknown_role(make_user):
    with pytest.raises(ValidationError):
        services.user_set_role(actor=None, user=f.UserFactory(), role="owner", confidential=False)


@pytest.mark.parametrize("case", ROLE_CASES, ids=case_id)
def test_role_changes_are_read_only_in_the_admin(client, make_user, case):
    target = make_user("viewer", username="target")
    entry = RoleChange.objects.get(user=target)
    changelist = reverse("admin:agencies_rolechange_changelist")
    change = reverse("admin:agencies_rolechange_change", args=[entry.pk])
    urls = [changelist, change, reverse("admin:agencies_rolechange_add")]
    urls.append(reverse("admin:agencies_rolechange_delete", args=[entry.pk]))
    client.force_login(make_user(*case))
    assert [client.get(url).status_code for url in urls] == [403, 403, 403, 403]
    for url in urls:
        client.post(url, {"new_role": "editor", "reason": "forged", "post": "yes"})
    assert RoleChange.objects.get(pk=entry.pk).reason == entry.reason
    assert RoleChange.objects.filter(user=target).count() == 1


def test_a_superuser_reads_role_changes_and_cannot_change_them(client, make_user):
    target = make_user("viewer", username="target")
    entry = RoleChange.objects.get(user=target)
    client.force_login(f.UserFactory(username="admin", is_superuser=True, is_staff=True))
    listed = client.get(reverse("admin:agencies_rolechange_changelist"))
    assert listed.status_code == 200
    assert "target" in listed.content.decode()
    change = reverse("admin:agencies_rolechange_change", args=[entry.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"new_role": "editor", "reason": "forged"})
    assert client.get(reverse("admin:agencies_rolechange_add")).status_code == 403
    assert (
        client.post(reverse("admin:agencies_rolechange_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert RoleChange.objects.get(pk=entry.pk).reason == entry.reason


@pytest.fixture
def exported_record(canary_source):
    return canary_source


@pytest.mark.parametrize("case", ROLE_CASES, ids=case_id)
def test_export_dossier_as_each_role(make_user, exported_record, case, tmp_path):
    _view, _edit, _verdict, publish, _request, confidential = EXPECTED[case]
    user = make_user(*case)
    for internal in (False, True):
        path = tmp_path / f"{'internal' if internal else 'public'}.yaml"
        args = ["export_dossier", "--user", user.username, "--output", str(path)]
        if internal:
            args.append("--internal")
        allowed = publish and (confidential or not internal)
        if allowed:
            call_command(*args, stdout=io.StringIO())
            assert (CANARY in path.read_text()) is internal
        else:
            with pytest.raises(CommandError, match="may not export"):
                call_command(*args, stdout=io.StringIO())
            assert not path.exists()


def test_export_dossier_internal_needs_a_user(exported_record, tmp_path):
    with pytest.raises(CommandError, match="--user"):
        call_command("export_dossier", "--internal", "--output", str(tmp_path / "x.yaml"))
    assert not (tmp_path / "x.yaml").exists()
    public = io.StringIO()
    call_command("export_dossier", stdout=public)  # the operator's public export needs no user
    assert "wapo-two-people" in public.getvalue() and CANARY not in public.getvalue()


def test_export_dossier_refuses_an_unknown_or_inactive_user(make_user, exported_record):
    make_user("editor", True, username="gone", is_active=False)
    for name in ("gone", "nobody"):
        with pytest.raises(CommandError, match="No active user"):
            call_command("export_dossier", "--internal", "--user", name, stdout=io.StringIO())
