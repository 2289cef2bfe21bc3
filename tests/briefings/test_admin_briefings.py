"""Briefings in the admin: the "Generate briefing" action, a read-only job page that follows the job,
and a download that checks who asks."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.briefings import services
from agencies.models import Agency, Briefing, BriefingStatus
from tests.briefings.job_support import (  # noqa: F401 - fixtures
    agency_with_claim,
    celery_broker,
    closed_port,
    in_process_fixture,
    script_fixture,
)

REFRESH = "data-follow-seconds="  # the page follows the briefing in place (follow.js)


def staff(django_user_model, name: str, *codenames: str):
    user = django_user_model.objects.create_user(name, password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="agencies", codename__in=codenames)
    )
    return user


def briefing_row(**fields) -> Briefing:
    scope = fields.pop("scope", {"agencies": ["uspis"]})
    values = {"scope": scope, "scope_key": services.briefing_scope_key(scope), "audience": "public"}
    return Briefing.objects.create(**(values | fields))


def succeeded(audience: str = "public", pdf: bytes = b"%PDF-1.7\n%%EOF\n") -> Briefing:
    briefing = briefing_row(audience=audience, status=BriefingStatus.RUNNING, attempts=1)
    name = default_storage.save(f"briefings/{briefing.pk}/b.pdf", ContentFile(pdf))
    Briefing.objects.filter(pk=briefing.pk).update(
        status=BriefingStatus.SUCCEEDED, file=name, size=len(pdf), page_count=1, progress=100, stage="done"
    )
    briefing.refresh_from_db()
    return briefing


def action_post(agency: Agency, **extra) -> dict:
    return {"action": "generate_briefing_action", "_selected_action": [agency.pk], **extra}


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the action --------------------------------------------------------------------------------------


def test_generate_briefing_asks_the_audience_then_queues_and_follows_the_briefing(
    client, researcher, script, django_capture_on_commit_callbacks
):
    agency = agency_with_claim()
    client.force_login(researcher)
    changelist = reverse("admin:agencies_agency_changelist")

    page = client.post(changelist, action_post(agency))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Agency USPIS" in text
    assert 'value="public"' in text and 'value="internal"' in text
    assert not Briefing.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, action_post(agency, post="yes", audience="public"))
    briefing = Briefing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:agencies_briefing_change", args=[briefing.pk])
    assert shown_messages(response) == [f"Briefing #{briefing.pk} queued; its page shows how far it has got."]
    assert (briefing.scope, briefing.audience, briefing.requested_by) == (
        {"agencies": ["uspis"]},
        "public",
        researcher,
    )
    assert briefing.status == BriefingStatus.SUCCEEDED  # built in-process once the request committed

    again = client.post(changelist, action_post(agency, post="yes", audience="public"))
    assert (
        shown_messages(again)[-1]
        == f"Briefing #{briefing.pk} is ready: it was built earlier from the same data."
    )
    assert Briefing.objects.count() == 1


def test_internal_briefings_need_the_confidential_permission(client, django_user_model, script):
    agency = agency_with_claim()
    user = staff(django_user_model, "editor", "view_agency", "change_agency", "add_briefing", "view_briefing")
    client.force_login(user)
    changelist = reverse("admin:agencies_agency_changelist")

    page = client.post(changelist, action_post(agency)).content.decode()
    assert 'value="public"' in page and 'value="internal"' not in page

    response = client.post(changelist, action_post(agency, post="yes", audience="internal"))
    assert response.status_code == 302
    assert shown_messages(response) == [
        "No briefing: Internal briefings carry confidential notes: you may not see those."
    ]
    assert not Briefing.objects.exists()


def test_asking_for_a_briefing_needs_the_add_permission(client, django_user_model, script):
    agency = agency_with_claim()
    client.force_login(staff(django_user_model, "reader", "view_agency", "change_agency"))
    response = client.post(
        reverse("admin:agencies_agency_changelist"), action_post(agency, post="yes", audience="public")
    )
    assert shown_messages(response) == ["You may not ask for briefings."]
    assert not Briefing.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_with_the_worker_queue_down_the_user_is_told_and_the_briefing_stays_queued(
    client, researcher, script
):
    agency = agency_with_claim()
    client.force_login(researcher)
    with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):
        response = client.post(
            reverse("admin:agencies_agency_changelist"), action_post(agency, post="yes", audience="public")
        )
    briefing = Briefing.objects.get()
    assert briefing.status == BriefingStatus.QUEUED
    assert shown_messages(response) == [
        f"Briefing #{briefing.pk} queued, the worker queue is unreachable; it will start when it is back."
    ]


@pytest.mark.django_db(transaction=True)
def test_a_failed_in_process_build_is_reported(client, researcher, script):
    agency = agency_with_claim()
    script.mode = "refused"
    client.force_login(researcher)
    response = client.post(
        reverse("admin:agencies_agency_changelist"), action_post(agency, post="yes", audience="public")
    )
    briefing = Briefing.objects.get()
    assert shown_messages(response) == [f"Briefing #{briefing.pk} failed: {briefing.error}"]
    assert "outside its bundled assets" in briefing.error


# --- the briefing admin --------------------------------------------------------------------------------


def test_job_pages_refresh_while_a_briefing_runs_and_stop_when_it_is_done(
    client, researcher, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(researcher)
    running = briefing_row(status=BriefingStatus.RUNNING, stage="pdf", progress=40, attempts=1)
    change = client.get(reverse("admin:agencies_briefing_change", args=[running.pk])).content.decode()
    assert REFRESH in change
    assert "40% (pdf)" in change
    assert client.get(reverse("admin:agencies_briefing_changelist")).content.decode().count(REFRESH) == 1

    Briefing.objects.filter(pk=running.pk).delete()
    done = succeeded()
    change = client.get(reverse("admin:agencies_briefing_change", args=[done.pk])).content.decode()
    assert REFRESH not in change
    assert reverse("agencies:briefing_download", args=[done.pk]) in change
    assert REFRESH not in client.get(reverse("admin:agencies_briefing_changelist")).content.decode()


def test_briefings_are_read_only_and_made_only_by_the_action(client, researcher):
    client.force_login(researcher)
    briefing = briefing_row(status=BriefingStatus.FAILED, error="The briefing asked for resources outside")
    url = reverse("admin:agencies_briefing_change", args=[briefing.pk])
    page = client.get(url).content.decode()
    assert "The briefing asked for resources outside" in page
    assert 'name="_save"' not in page
    assert client.post(url, {"status": "succeeded"}).status_code == 403
    assert client.get(reverse("admin:agencies_briefing_add")).status_code == 403
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.FAILED


def test_internal_briefings_are_hidden_from_users_who_may_not_see_confidential_notes(
    client, django_user_model, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    public, internal = succeeded("public"), succeeded("internal")
    client.force_login(staff(django_user_model, "reader", "view_briefing"))
    listing = client.get(reverse("admin:agencies_briefing_changelist"))
    assert [b.pk for b in listing.context["cl"].result_list] == [public.pk]
    hidden = client.get(reverse("admin:agencies_briefing_change", args=[internal.pk]))
    assert hidden.status_code == 302  # the admin's "does not exist" redirect


def test_briefing_changelist_queries_do_not_grow_with_rows(client, researcher, django_user_model):
    client.force_login(researcher)
    url = reverse("admin:agencies_briefing_changelist")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    briefing_row(requested_by=researcher)
    few = count()
    for n in range(12):
        briefing_row(requested_by=staff(django_user_model, f"asker{n}"), status=BriefingStatus.FAILED)
    assert count() == few


def test_deleting_in_the_admin_removes_the_file(
    client, researcher, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(researcher)
    briefing = succeeded()
    assert default_storage.exists(briefing.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:agencies_briefing_delete", args=[briefing.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Briefing.objects.exists()
    assert not default_storage.exists(briefing.file.name)


# --- the download ------------------------------------------------------------------------------------


@pytest.fixture
def stored(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return {"public": succeeded("public", b"%PDF-1.7 public\n%%EOF\n"), "internal": succeeded("internal")}


def test_download_serves_the_pdf_as_an_attachment_that_is_not_cached(client, researcher, stored):
    client.force_login(researcher)
    briefing = stored["public"]
    response = client.get(reverse("agencies:briefing_download", args=[briefing.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 public\n%%EOF\n"
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="oversight-briefing-{briefing.pk}-public.pdf"'
    )
    assert response["Cache-Control"] == "private, no-store"


def test_download_needs_a_login_and_the_view_permission(client, django_user_model, stored):
    url = reverse("agencies:briefing_download", args=[stored["public"].pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("admin:login"))
    client.force_login(staff(django_user_model, "nobody"))
    assert client.get(url).status_code == 404


def test_internal_download_needs_the_confidential_permission(client, django_user_model, stored):
    url = reverse("agencies:briefing_download", args=[stored["internal"].pk])
    client.force_login(staff(django_user_model, "reader", "view_briefing"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("agencies:briefing_download", args=[stored["public"].pk])).status_code == 200
    client.force_login(staff(django_user_model, "trusted", "view_briefing", "view_confidential"))
    assert client.get(url).status_code == 200


def test_download_of_what_is_not_a_finished_file_is_a_404(client, researcher, stored):
    client.force_login(researcher)
    queued = briefing_row()
    assert client.get(reverse("agencies:briefing_download", args=[queued.pk])).status_code == 404
    assert client.get(reverse("agencies:briefing_download", args=[987654])).status_code == 404
    gone = stored["public"]
    default_storage.delete(gone.file.name)
    assert client.get(reverse("agencies:briefing_download", args=[gone.pk])).status_code == 404


def test_the_pdf_has_no_public_url(client, researcher, stored, settings):
    client.force_login(researcher)
    name = stored["public"].file.name
    assert settings.MEDIA_URL in ("", "/")
    assert client.get("/" + name).status_code == 404
    assert client.get("/media/" + name).status_code == 404


def test_a_briefing_stays_queued_in_the_admin_until_its_worker_finishes(client, researcher):
    """What a researcher sees of a job whose worker is slow: queued, then running, with the time asked."""
    client.force_login(researcher)
    briefing_row(requested_at=timezone.now() - timedelta(minutes=2))
    page = client.get(reverse("admin:agencies_briefing_changelist")).content.decode()
    assert "Queued" in page and REFRESH in page
