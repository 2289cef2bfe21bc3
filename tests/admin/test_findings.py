"""Findings a page at a time: the same number of queries whatever the size of the record."""

import pytest

from agencies import models as m
from agencies.core import scope, selectors
from tests import factories as f
from tests.factories import evidenced_claims, figures

pytestmark = pytest.mark.django_db


def _record(n: int) -> m.Agency:
    root = f.AgencyFactory(slug="root")
    for _ in range(n):
        agency = f.AgencyFactory(parent=root)
        f.StatedMissionFactory(agency=agency, document=f.DocumentFactory())
        role = f.ReportedRoleFactory(agency=agency, partner=root, mission_fit=m.MissionFit.OUTSIDE)
        for position, claim in enumerate(evidenced_claims(2, agency, lines=2, hops=1)):
            m.RoleClaim.objects.create(role=role, claim=claim, position=position)
        f.CommentRequestFactory(agency=agency, requested="2025-05")
    figures(2 * n, root)
    return root


# session, user (2) · comment requests and their count (2) · drift (roles, their claims and evidence,
# missions) · figures: page, candidates, readings and evidence · the agencies to choose from; for one
# agency also its scope (the agency, subtree, labels, roles both ways, data access, claims naming
# others), the connected agencies.
@pytest.mark.parametrize("n", [3, 8])
@pytest.mark.parametrize(
    ("query", "queries"), [("", 17), ("?figures=2&requests=2", 17), ("?agency=root&figures=2", 24)]
)
def test_findings_pages_run_as_many_queries_whatever_the_record(
    admin_client, django_assert_num_queries, monkeypatch, n, query, queries
):
    monkeypatch.setattr(selectors, "FIGURES_PER_PAGE", 2)
    monkeypatch.setattr(scope, "REQUESTS_PER_PAGE", 2)
    _record(n)
    admin_client.get(f"/admin/findings/{query}")
    with django_assert_num_queries(queries):
        response = admin_client.get(f"/admin/findings/{query}")
    facts = response.context["facts"]
    assert facts.requests_total == n and 1 <= len(facts.comment_requests) <= 2
    assert len(facts.outside_roles) == n  # drift is whole: it grows with roles, not claims
    html = response.content.decode()
    assert "Older figures" in html and "requests=" in html


def test_findings_pages_hold_every_comment_request_once(admin_client, monkeypatch):
    monkeypatch.setattr(scope, "REQUESTS_PER_PAGE", 2)
    _record(5)
    seen = []
    for page in (1, 2, 3):
        facts = admin_client.get(f"/admin/findings/?requests={page}").context["facts"]
        seen += [entry.request.pk for entry in facts.comment_requests]
        assert (facts.open_count, facts.requests_total) == (5, 5)
    assert sorted(seen) == sorted(m.CommentRequest.objects.values_list("pk", flat=True))
