"""Every selector runs a number of queries that does not grow with the record.

Each test runs at two sizes of data and asserts the same exact count at both.
"""

import pytest

from agencies import models as m
from agencies.core.selectors import (
    agency_subtree_ids,
    claim_evidence,
    claims_with_evidence,
    comparable_rates,
    contested_figures,
    mission_drift,
    open_comment_requests,
    timeline,
)
from tests import factories as f
from tests.factories import agency_tree, evidenced_claims, figures

pytestmark = pytest.mark.django_db

SIZES = [2, 8]


@pytest.fixture(params=SIZES, ids=[f"size-{n}" for n in SIZES])
def record(request):
    """`n` sub-agencies at depths 1..3 under a root, each with missions, outside roles resting on
    claims with several lines and hops, comment requests and figures."""
    n = request.param
    root, *below = agency_tree(3)
    agencies = []
    for i in range(n):
        agency = f.AgencyFactory(parent=[root, *below][i % 3])
        agencies.append(agency)
        for position in range(2):
            f.StatedMissionFactory(agency=agency, position=position, document=f.DocumentFactory())
        for _ in range(2):
            role = f.ReportedRoleFactory(agency=agency, partner=root, first_reported="2025-05")
            for position, claim in enumerate(evidenced_claims(2, agency, lines=3, hops=2)):
                m.RoleClaim.objects.create(role=role, claim=claim, position=position)
        f.CommentRequestFactory(agency=agency, requested="2025-05")
        f.CommentRequestFactory(agency=agency, response=m.CommentResponse.DECLINED)
    figures(4 * n, agencies[0])
    figures(2 * n, agencies[-1], metric="arrests")
    return {"root": root, "agencies": agencies, "n": n}


def test_claims_with_evidence(record, django_assert_num_queries):
    # claims, attributions, hops, the claims answering them (none answers another: no query for that)
    with django_assert_num_queries(4):
        results = [claim_evidence(claim) for claim in claims_with_evidence()]
    assert len(results) >= 4 * record["n"]
    assert all(len(r.chains) >= 1 for r in results)


def test_agency_subtree_ids(record, django_assert_num_queries):
    with django_assert_num_queries(1):
        ids = agency_subtree_ids(record["root"])
    assert len(ids) == 3 + record["n"]


@pytest.mark.parametrize(("scoped", "queries"), [(False, 6), (True, 7)])
def test_mission_drift(record, django_assert_num_queries, scoped, queries):
    with django_assert_num_queries(queries):
        results = mission_drift(record["root"] if scoped else None)
        chains = [c.text for d in results for r in d.roles for e in r.claims for c in e.evidence.chains]
        labels = [d.mission.document.outlet.name for d in results]
    assert len(results) == record["n"]
    assert len(labels) == record["n"]
    assert len(chains) == record["n"] * 2 * 2 * 3


@pytest.mark.parametrize(("scoped", "queries"), [(False, 1), (True, 2)])
def test_open_comment_requests(record, django_assert_num_queries, scoped, queries):
    with django_assert_num_queries(queries):
        rows = [
            (r.agency.label, r.document.outlet.name)
            for r in open_comment_requests(record["root"] if scoped else None)
        ]
    assert len(rows) == record["n"]


@pytest.mark.parametrize(("scoped", "queries"), [(False, 4), (True, 5)])
def test_contested_figures(record, django_assert_num_queries, scoped, queries):
    with django_assert_num_queries(queries):
        pairs = contested_figures(record["root"] if scoped else None)
        texts = [c.text for p in pairs for side in (p.first, p.second) for c in side.evidence.chains]
    assert len(pairs) >= record["n"]
    assert len(texts) == 2 * len(pairs)


@pytest.mark.parametrize(("scoped", "queries"), [(False, 4), (True, 5)])
def test_comparable_rates(record, django_assert_num_queries, scoped, queries):
    with django_assert_num_queries(queries):
        pairs = comparable_rates(record["root"] if scoped else None)
        texts = [c.text for p in pairs for side in (p.first, p.second) for c in side.evidence.chains]
    assert len(pairs) >= record["n"]
    assert len(texts) == 2 * len(pairs)


@pytest.mark.parametrize(("scoped", "queries"), [(False, 6), (True, 7)])
def test_timeline(record, django_assert_num_queries, scoped, queries):
    with django_assert_num_queries(queries):
        events = timeline(record["root"] if scoped else None)
        shown = [(e.when, e.kind, e.text) for e in events]
    kinds = {kind for _, kind, _ in shown}
    assert kinds == {"claim", "role", "figure", "document", "mission", "comment_request"}
    assert len([k for _, k, _ in shown if k == "role"]) == 2 * record["n"]
