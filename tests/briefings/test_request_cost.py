"""A briefing request answers in constant time: whether an identical ready briefing can be reused is
decided by the record's version (one query), never by reading the briefing's data in the request.
The data is read by the worker."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.briefings import selectors, services
from agencies.core import services as record_services
from agencies.models import Briefing, BriefingStatus, Claim, ClaimAgency
from tests import factories as f
from tests.briefings.job_support import (  # noqa: F401 - fixtures
    agency_with_claim,
    celery_broker,
    closed_port,
    in_process_fixture,
    script_fixture,
)

PUBLIC = {"agencies": ["uspis"]}


def more_claims(agency, count: int) -> None:
    """`count` more claims about `agency`, written at once (the request must not care how many)."""
    start = Claim.objects.count()
    claims = Claim.objects.bulk_create(
        Claim(slug=f"bulk-{start + n}", kind="statement", text=f"Bulk claim {n}.", made="2025-05")
        for n in range(count)
    )
    ClaimAgency.objects.bulk_create(ClaimAgency(claim=claim, agency=agency) for claim in claims)


def request_queries(client, url: str, data: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    assert response.status_code == 302
    return len(queries)


@pytest.mark.parametrize("selection", [False, True], ids=["agency", "selection"])
def test_a_request_issues_the_same_queries_for_one_claim_and_a_thousand(script, client, settings, selection):
    settings.BRIEFING_MAX_QUEUED_PER_USER = 10
    agency = agency_with_claim()
    user = f.UserFactory(username="ada", is_staff=True, is_superuser=True)
    client.force_login(user)
    if selection:
        url, data = reverse("agencies:claims_brief"), {"agency": "uspis", "audience": "public"}
    else:
        url, data = reverse("agencies:agency_brief", args=["uspis"]), {"audience": "public"}
    with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):  # unreachable: nothing is built here
        one = request_queries(client, url, data)
        Briefing.objects.all().delete()
        more_claims(agency, 999)
        thousand = request_queries(client, url, data)
    assert thousand == one
    assert Briefing.objects.get().status == BriefingStatus.QUEUED
    assert script.calls == []  # the request read no briefing data


def test_an_unchanged_record_reuses_and_a_changed_one_does_not(script, django_capture_on_commit_callbacks):
    agency = agency_with_claim()
    before = selectors.briefing_version()
    assert selectors.briefing_version() == before
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = services.briefing_request(actor=None, scope=PUBLIC, audience="public")
    first.refresh_from_db()
    assert first.status == BriefingStatus.SUCCEEDED and first.record_version == before
    # A briefing row is not the record: asking for one changes nothing a briefing prints.
    assert selectors.briefing_version() == before
    assert services.briefing_request(actor=None, scope=PUBLIC, audience="public")[0].pk == first.pk

    claim = Claim.objects.get(claim_agencies__agency=agency)
    claim.text = "Reworded."
    record_services.record_save(actor=None, instance=claim, reason="reworded")
    assert selectors.briefing_version() != before
    with django_capture_on_commit_callbacks(execute=True):
        second, _ = services.briefing_request(actor=None, scope=PUBLIC, audience="public")
    assert second.pk != first.pk

    changed = selectors.briefing_version()
    record_services.record_delete(actor=None, instance=claim, reason="withdrawn")  # a history row too
    assert selectors.briefing_version() != changed
    assert len(script.calls) == 2
