"""Every role across every admin page, the findings page, briefing downloads: exactly what it may have.

The expectations are written out here, from the roles as the issue defines them, not derived from the
permission code under test.
"""

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from agencies.briefings.services import briefing_scope_key
from agencies.models import Briefing, BriefingStatus
from tests import factories as f
from tests.factories import populate
from tests.trust.conftest import RECORD, ROLE_CASES, ROLES_WHO_EDIT, ROLES_WHO_READ, case_id

VIEWS = ("changelist", "change", "history", "add", "delete")


def may(case, label: str, view: str) -> bool:
    """May a user in this role open this admin view of this model?"""
    role, confidential = case
    if label == "agencies.rolechange":  # written by services.user_set_role only, never in the admin
        return role == "superuser" and view not in ("add", "delete")
    if role == "superuser":
        return not (view == "add" and label.startswith(("axes.", "agencies.briefing")))
    app, model = label.split(".")
    reads = role in ROLES_WHO_READ
    edits = role in ROLES_WHO_EDIT
    writes = view in ("add", "delete")
    if app == "agencies" and model in RECORD:
        return edits if writes else reads
    if model == "sourceconfidentialnote":
        return confidential and (edits if writes else reads)
    if model == "briefing":
        if view == "add":
            return False  # asked for through the agencies' action, never added by hand
        return role == "editor" if view == "delete" else reads
    return False  # users, groups, login attempts: superusers only


@pytest.fixture
def record(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    populate(1)
    briefings = {}
    for audience in ("public", "internal"):
        scope = {"agencies": [f.AgencyFactory().slug]}
        briefing = Briefing.objects.create(
            scope=scope, scope_key=briefing_scope_key(scope), audience=audience, status=BriefingStatus.RUNNING
        )
        name = default_storage.save(f"briefings/{briefing.pk}/b.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))
        Briefing.objects.filter(pk=briefing.pk).update(status=BriefingStatus.SUCCEEDED, file=name, size=15)
        briefings[audience] = Briefing.objects.get(pk=briefing.pk)
    return briefings


def admin_pages(briefings) -> list[tuple[str, str, str]]:
    """(model label, view, url) for every registered admin's changelist, add, change, history and delete."""
    pages = []
    for model, _model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = briefings["public"] if model is Briefing else model.objects.order_by("pk").first()
        for view in VIEWS:
            if view in ("changelist", "add"):
                pages.append((label, view, reverse(f"{name}_{view}")))
            elif obj is not None:
                pages.append((label, view, reverse(f"{name}_{view}", args=[obj.pk])))
    return pages


ALL_CASES = [*ROLE_CASES, ("superuser", False)]


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: case_id(c) if c[0] != "superuser" else "superuser")
def test_every_admin_page_gives_each_role_exactly_what_it_may_have(client, make_user, record, case):
    if case[0] == "superuser":
        user = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    else:
        user = make_user(*case)
    client.force_login(user)
    pages = admin_pages(record)
    labels = {label for label, _view, _url in pages}
    assert {"auth.user", "auth.group", "agencies.sourceconfidentialnote", "agencies.briefing"} <= labels
    assert len(pages) >= 80
    wrong = []
    for label, view, url in pages:
        status = client.get(url).status_code
        expected = 200 if may(case, label, view) else 403
        if status != expected:
            wrong.append(f"{view} {label}: {status}, expected {expected}")
    assert wrong == []


@pytest.mark.parametrize("case", ROLE_CASES, ids=case_id)
def test_a_role_that_may_not_change_a_record_cannot_post_to_it(client, make_user, record, case):
    client.force_login(make_user(*case))
    claim = f.ClaimFactory(agencies=[f.AgencyFactory()], text="Before")
    note = f.AnonymousSourceFactory()
    from agencies.models import Claim, SourceConfidentialNote

    note = SourceConfidentialNote.objects.create(source=note, notes="Kept")
    targets = [
        ("agencies.claim", reverse("admin:agencies_claim_change", args=[claim.pk]), {"text": "After"}),
        (
            "agencies.sourceconfidentialnote",
            reverse("admin:agencies_sourceconfidentialnote_change", args=[note.pk]),
            {"notes": "Changed", "source": note.source_id},
        ),
    ]
    for label, url, data in targets:
        status = client.post(url, data).status_code
        if not may(case, label, "add"):  # those who may not write
            assert status == 403, (label, status)
    assert Claim.objects.get(pk=claim.pk).text == "Before"
    assert SourceConfidentialNote.objects.get(pk=note.pk).notes in ("Kept", "Changed")
    if not (case[0] in ROLES_WHO_EDIT and case[1]):
        assert SourceConfidentialNote.objects.get(pk=note.pk).notes == "Kept"


@pytest.mark.parametrize("case", ROLE_CASES, ids=case_id)
def test_findings_and_briefing_downloads_for_each_role(client, make_user, record, case):
    role, confidential = case
    client.force_login(make_user(*case))
    reads = role in ROLES_WHO_READ
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:findings")).status_code == (200 if reads else 403)
    for audience, briefing in record.items():
        response = client.get(reverse("agencies:briefing_download", args=[briefing.pk]))
        allowed = reads and (audience == "public" or confidential)
        # 404, not 403: a briefing the user may not have is not confirmed to exist.
        assert response.status_code == (200 if allowed else 404), audience
        if allowed:
            assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_anonymous_visitors_are_sent_to_the_login_page(client, record):
    for _label, _view, url in admin_pages(record):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login")), url
    for url in (
        reverse("admin:findings"),
        reverse("agencies:briefing_download", args=[record["public"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url, url


def test_media_files_are_never_served_by_url(client, make_user, record):
    client.force_login(make_user("editor", True))
    name = record["public"].file.name
    for url in (f"/media/{name}", f"/{name}", f"/static/../media/{name}"):
        assert client.get(url).status_code == 404, url
