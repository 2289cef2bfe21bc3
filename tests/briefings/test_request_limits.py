"""Briefing requests are bounded: queued or running at once per user (BRIEFING_MAX_QUEUED_PER_USER),
and claims per briefing (BRIEFING_MAX_CLAIMS), refused with a clear message wherever one is asked
for (the admin action, the explorer's "brief this selection", request_briefing), writing nothing.

Before, a researcher could queue any number (each one a render of minutes in a worker) and ask for
a briefing on an agency of any size."""

import io
import threading

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.briefings.services import briefing_request, briefing_scope_key
from agencies.core import services
from agencies.models import Briefing, BriefingStatus
from tests import factories as f
from tests.briefings.job_support import agency_with_claim, in_process_fixture, script_fixture  # noqa: F401

TOO_MANY_QUEUED = "briefings queued or running, the most one person may have at once"
TOO_BIG = "would cover more than 3 claims, the most one may cover"


@pytest.fixture
def limits(settings):
    settings.BRIEFING_MAX_QUEUED_PER_USER = 2
    settings.BRIEFING_MAX_CLAIMS = 3


@pytest.fixture
def asker(db):
    user = f.UserFactory(username="res", is_staff=True)
    services.user_set_role(actor=None, user=user, role="researcher", confidential=False)
    return user


def waiting(user, n: int, status=BriefingStatus.QUEUED) -> None:
    """Briefings this user asked for that no worker has finished (a broker down, a busy queue)."""
    for i in range(n):
        scope = {"agencies": [f"other-{i}"]}
        Briefing.objects.create(
            scope=scope,
            scope_key=briefing_scope_key(scope),
            audience="public",
            requested_by=user,
            status=status,
        )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot() -> list:
    return list(Briefing.objects.order_by("pk").values_list("pk", "status", "requested_by_id"))


# --- per user ---------------------------------------------------------------------------------------


def test_the_service_refuses_a_user_with_too_many_waiting(script, limits, asker):
    agency_with_claim()
    waiting(asker, 1)
    waiting(asker, 1, status=BriefingStatus.RUNNING)
    before = snapshot()
    with pytest.raises(ValidationError, match="You already have 2 " + TOO_MANY_QUEUED):
        briefing_request(actor=asker, scope={"agencies": ["uspis"]}, audience="public")
    assert snapshot() == before and script.calls == []
    # Someone else is not held up by them; nor is a finished briefing counted.
    other = f.UserFactory(username="other")
    services.user_set_role(actor=None, user=other, role="researcher", confidential=False)
    briefing, _ = briefing_request(actor=other, scope={"agencies": ["uspis"]}, audience="public")
    assert briefing.requested_by == other  # queued (built once the test's transaction would commit)
    Briefing.objects.filter(requested_by=asker, status=BriefingStatus.RUNNING).update(
        status=BriefingStatus.FAILED
    )
    agency_with_claim(slug="dhs", acronym="DHS")
    briefing, _ = briefing_request(actor=asker, scope={"agencies": ["dhs"]}, audience="public")
    assert briefing.requested_by == asker and briefing.scope == {"agencies": ["dhs"]}


def test_the_admin_action_says_why(client, script, limits, asker):
    agency = agency_with_claim()
    waiting(asker, 2)
    client.force_login(asker)
    before = snapshot()
    response = client.post(
        reverse("admin:agencies_agency_changelist"),
        {
            "action": "generate_briefing_action",
            "_selected_action": [agency.pk],
            "post": "yes",
            "audience": "public",
        },
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "No briefing: You already have 2 briefings queued or running, the most one person may have at once: "
        "ask again when one of them is finished."
    ]
    assert snapshot() == before


def test_the_explorer_says_why(client, script, limits, asker):
    agency_with_claim()
    waiting(asker, 2)
    client.force_login(asker)
    before = snapshot()
    response = client.post(reverse("agencies:claims_brief"), {"filter": "agency=uspis", "audience": "public"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("agencies:claims"))
    assert any(TOO_MANY_QUEUED in text for text in messages_of(response))
    assert snapshot() == before


def test_request_briefing_says_why(script, limits, asker):
    agency_with_claim()
    waiting(asker, 2)
    before = snapshot()
    with pytest.raises(CommandError, match=TOO_MANY_QUEUED):
        call_command("request_briefing", "--agency", "uspis", "--user", "res", stdout=io.StringIO())
    assert snapshot() == before


# --- per briefing -----------------------------------------------------------------------------------


def four_claims():
    agency = agency_with_claim()
    child = f.AgencyFactory(slug="child", parent=agency)
    for _ in range(3):
        f.ClaimFactory(agencies=[child])  # sub-agencies count: the briefing covers them
    return agency


def test_a_scope_over_the_claim_limit_is_refused_by_every_door(client, script, limits, asker):
    agency = four_claims()
    before = snapshot()
    with pytest.raises(ValidationError, match=TOO_BIG):
        briefing_request(actor=asker, scope={"agencies": ["uspis"]}, audience="public")
    with pytest.raises(ValidationError, match=TOO_BIG):
        briefing_request(actor=None, scope={"filter": "agency=uspis"}, audience="public")
    with pytest.raises(CommandError, match=TOO_BIG):
        call_command("request_briefing", "--agency", "uspis", stdout=io.StringIO())
    with pytest.raises(CommandError, match=TOO_BIG):
        call_command(
            "render_briefing", "--agency", "uspis", "--output", "/tmp/never.pdf", stdout=io.StringIO()
        )

    client.force_login(asker)
    response = client.post(
        reverse("admin:agencies_agency_changelist"),
        {
            "action": "generate_briefing_action",
            "_selected_action": [agency.pk],
            "post": "yes",
            "audience": "public",
        },
    )
    assert messages_of(response) == [
        "No briefing: This briefing would cover more than 3 claims, the most one may cover: narrow it "
        "(fewer agencies, or a filter of their claims)."
    ]
    response = client.post(reverse("agencies:claims_brief"), {"filter": "agency=uspis", "audience": "public"})
    assert any(TOO_BIG in text for text in messages_of(response))
    assert snapshot() == before and script.calls == []

    # Within the limit: built.
    briefing, _ = briefing_request(actor=asker, scope={"agencies": ["child"]}, audience="public")
    assert Briefing.objects.get().scope == {"agencies": ["child"]}


def test_the_claim_count_stops_at_the_limit(script, settings, asker):
    """Counting a huge agency costs as much as counting the limit: one bounded query."""
    settings.BRIEFING_MAX_CLAIMS = 3
    four_claims()
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError):
        briefing_request(actor=asker, scope={"agencies": ["uspis"]}, audience="public")
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 4" in counts[0]


# --- two at once ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_cannot_both_take_the_last_place(postgres, settings, monkeypatch):
    """On PostgreSQL: the second request waits for the first's lock on the user, then counts its row."""
    from agencies.briefings import services as briefing_services

    settings.BRIEFING_MAX_QUEUED_PER_USER = 1
    # Both stay queued.
    monkeypatch.setattr(briefing_services, "briefing_publish", lambda *, briefing_id: False)
    agency_with_claim()
    agency_with_claim(slug="dhs", acronym="DHS")
    user = f.UserFactory(username="twice")
    services.user_set_role(actor=None, user=user, role="researcher", confidential=False)
    first_in, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():  # holds the lock until release
                outcome["first"] = briefing_request(
                    actor=user, scope={"agencies": ["uspis"]}, audience="public"
                )
                first_in.set()
                release.wait(60)
        finally:
            first_in.set()
            connections.close_all()

    def second():
        try:
            outcome["second"] = briefing_request(actor=user, scope={"agencies": ["dhs"]}, audience="public")
        except ValidationError as exc:
            outcome["second"] = exc
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert first_in.wait(60) and "first" in outcome
    b = threading.Thread(target=second)
    b.start()
    # Wait until the second request is blocked on a row lock (it passed the unlocked pre-check).
    for _ in range(600):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
        b.join(0.1)
        assert b.is_alive(), f"the second request did not wait for the first: {outcome.get('second')!r}"
    release.set()
    a.join(60)
    b.join(60)
    assert isinstance(outcome["second"], ValidationError), outcome["second"]
    assert "You already have 1 " + TOO_MANY_QUEUED in str(outcome["second"])
    assert list(Briefing.objects.values_list("scope", flat=True)) == [{"agencies": ["uspis"]}]
