""" "Brief this selection" and "Brief this agency": a briefing whose scope is the page's, and a page
that follows it until its PDF can be downloaded."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from agencies.models import Briefing, BriefingStatus
from tests.briefings.job_support import (  # noqa: F401 - fixtures
    celery_broker,
    closed_port,
    in_process_fixture,
    script_fixture,
)
from tests.factories import user_with

BRIEF = "/claims/brief/"
REFRESH = "data-follow-seconds="  # the page follows the briefing in place (follow.js)


def shown(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def asker(django_user_model):
    return user_with(django_user_model, "asker", "view_claim", "view_briefing", "add_briefing")


@pytest.fixture
def insider(django_user_model):
    return user_with(
        django_user_model, "insider", "view_claim", "view_briefing", "add_briefing", "view_confidential"
    )


def test_the_explorer_offers_to_brief_its_normalised_selection(client, seeded, asker):
    client.force_login(asker)
    html = client.get("/claims/", {"status": "unverified", "agency": "dhs", "page": "1"}).content.decode()
    assert 'action="/claims/brief/"' in html
    assert 'name="filter" value="agency=dhs&amp;status=unverified"' in html
    assert 'name="audience" value="public"' in html  # no choice: public is all this user may ask for


def test_readers_who_may_not_ask_see_no_brief_button_and_are_refused(client, seeded, reader):
    client.force_login(reader)
    assert b"Brief this selection" not in client.get("/claims/").content
    assert client.post(BRIEF, {"filter": "agency=dhs", "audience": "public"}).status_code == 403
    assert not Briefing.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_briefing_a_selection_queues_it_with_the_filter_as_scope_and_follows_it(
    client, seeded, asker, script
):
    client.force_login(asker)
    response = client.post(
        BRIEF, {"filter": "status=unverified&anonymous_only=1&agency=dhs", "audience": "public"}
    )
    briefing = Briefing.objects.get()
    assert briefing.scope == {"filter": "agency=dhs&anonymous_only=true&status=unverified"}
    assert briefing.requested_by == asker and briefing.audience == "public"
    assert response.status_code == 302
    assert response["Location"] == reverse("agencies:briefing_status", args=[briefing.pk])
    # Without CELERY_BROKER_URL the build ran in this process: it is done already.
    assert shown(response) == [f"Briefing #{briefing.pk} is ready."]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and REFRESH not in html
    assert reverse("agencies:briefing_download", args=[briefing.pk]) in html
    assert client.get(reverse("agencies:briefing_download", args=[briefing.pk])).status_code == 200
    # The same selection again, on the same data: the briefing built earlier.
    again = client.post(BRIEF, {"filter": "agency=dhs&status=unverified&anonymous_only=true"})
    assert Briefing.objects.count() == 1
    assert shown(again) == [f"Briefing #{briefing.pk} is ready: it was built earlier from the same data."]


@pytest.mark.django_db(transaction=True)
def test_with_the_queue_down_the_briefing_stays_queued_and_the_user_is_told(client, seeded, asker, script):
    client.force_login(asker)
    with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):
        response = client.post(BRIEF, {"filter": "agency=uspis", "audience": "public"})
    briefing = Briefing.objects.get()
    assert briefing.status == BriefingStatus.QUEUED
    assert shown(response) == [
        f"Briefing #{briefing.pk} queued, the worker queue is unreachable; it will start when it is back."
    ]
    html = client.get(response["Location"]).content.decode()
    assert REFRESH in html and "Queued" in html
    assert reverse("agencies:briefing_download", args=[briefing.pk]) not in html


@pytest.mark.django_db(transaction=True)
def test_a_failed_build_is_reported(client, seeded, asker, script):
    script.mode = "refused"
    client.force_login(asker)
    response = client.post(BRIEF, {"filter": "agency=uspis"})
    briefing = Briefing.objects.get()
    assert briefing.status == BriefingStatus.FAILED
    assert shown(response)[0].startswith(f"Briefing #{briefing.pk} failed: ")


def test_internal_briefings_need_the_confidential_permission(client, seeded, asker, insider, script):
    client.force_login(asker)
    assert client.post(BRIEF, {"filter": "agency=dhs", "audience": "internal"}).status_code == 403
    assert not Briefing.objects.exists()
    client.force_login(insider)
    html = client.get("/claims/").content.decode()
    assert '<option value="internal">' in html
    response = client.post(BRIEF, {"filter": "agency=dhs", "audience": "internal"})
    briefing = Briefing.objects.get()
    assert briefing.audience == "internal"
    # The asker may not even learn that it exists.
    client.force_login(asker)
    assert client.get(response["Location"]).status_code == 404


def test_an_invalid_or_empty_selection_is_not_briefed(client, seeded, asker, script):
    client.force_login(asker)
    response = client.post(BRIEF, {"filter": "agency=nowhere"})
    assert response["Location"] == "/claims/?agency=nowhere"
    assert shown(response) == ["No briefing: the selection is not a valid filter."]
    client.get(response["Location"])  # shows, and so uses up, the message
    response = client.post(BRIEF, {"filter": "q=zzzz-nothing-matches"})
    assert shown(response) == ["No briefing: no claim matches this selection."]
    assert client.post(BRIEF, {"filter": "agency=dhs", "audience": "secret"}).status_code == 302
    assert not Briefing.objects.exists()


def test_briefing_needs_a_csrf_token(seeded, asker, script):
    client = Client(enforce_csrf_checks=True)
    client.force_login(asker)
    assert client.post(BRIEF, {"filter": "agency=dhs"}).status_code == 403
    assert client.get(BRIEF).status_code == 405
    assert not Briefing.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_briefing_an_agency_from_its_page(client, seeded, asker, script):
    client.force_login(asker)
    html = client.get("/agencies/uspis/").content.decode()
    assert 'action="/agencies/uspis/brief/"' in html
    response = client.post("/agencies/uspis/brief/", {"audience": "public"})
    briefing = Briefing.objects.get()
    assert briefing.scope == {"agencies": ["uspis"]}
    assert response["Location"] == reverse("agencies:briefing_status", args=[briefing.pk])
    assert client.post("/agencies/nowhere/brief/").status_code == 404


def test_the_status_page_needs_the_briefing_permission(client, seeded, django_user_model, script):
    briefing = Briefing.objects.create(scope={"agencies": ["dhs"]}, scope_key="k", audience="public")
    url = reverse("agencies:briefing_status", args=[briefing.pk])
    client.force_login(user_with(django_user_model, "claims-only", "view_claim"))
    assert client.get(url).status_code == 404
    client.force_login(user_with(django_user_model, "both", "view_claim", "view_briefing"))
    page = client.get(url)
    assert page.status_code == 200 and REFRESH in page.content.decode()
    assert client.get(reverse("agencies:briefing_status", args=[briefing.pk + 100])).status_code == 404
