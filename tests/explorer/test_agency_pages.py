"""/agencies/ as a tree and /agencies/<id>/ with the facts its briefing holds."""

import datetime as dt

import pytest
from django.db import connection

from agencies import models as m
from agencies.core import pagination, scope, selectors
from agencies.core.scope import agency_scope, telling_rates
from agencies.core.selectors import TIMELINE_PER_PAGE
from agencies.exchange.synthetic import record_load
from agencies.explorer.rows import agency_profile
from tests import factories as f
from tests.factories import evidenced_claims, figures, user_with

pytestmark = pytest.mark.django_db


def test_pages_need_a_reader(client, seeded, django_user_model):
    assert client.get("/agencies/").status_code == 302
    assert client.get("/agencies/uspis/").status_code == 302
    client.force_login(user_with(django_user_model, "nobody"))
    assert client.get("/agencies/").status_code == 403
    assert client.get("/agencies/uspis/").status_code == 403


def test_the_index_is_a_tree(client, seeded, reader):
    client.force_login(reader)
    response = client.get("/agencies/")
    nodes = [
        (node.agency.slug, node.depth, node.claims, node.outside_roles) for node in response.context["nodes"]
    ]
    assert nodes == [
        ("dhs", 0, 6, 0),
        ("ice", 1, 1, 0),
        ("white-house", 0, 3, 0),
        ("usps", 0, 0, 0),
        ("uspis", 1, 4, 1),
    ]
    html = response.content.decode()
    assert html.index("Department of Homeland Security") < html.index(
        "U.S. Immigration and Customs Enforcement"
    )
    assert 'href="/claims/?agency=dhs"' in html


def test_uspis_shows_its_stated_mission_against_the_reported_role(client, seeded, reader):
    client.force_login(reader)
    response = client.get("/agencies/uspis/")
    html = response.content.decode()
    profile = response.context["profile"]
    (entry,) = profile.missions_and_roles
    assert "investigates mail theft" in entry.current.text
    (role,) = entry.roles
    assert role.role.mission_fit == "outside"
    assert [item.claim.slug for item in role.claims] == [
        "uspis-enlisted",
        "immigration-seeks-data",
        "dhs-collaboration-key",
    ]
    mission = html.index("What it says its job is")
    reported = html.index("What it is reported to be doing")
    assert mission < html.index("investigates mail theft") < reported
    assert reported < html.index("Assisting DHS with tracking, detaining and deporting immigrants.")
    assert "Outside the stated mission" in html
    assert [a.slug for a in profile.ancestors] == ["usps"]
    assert [s.system.name for s in profile.systems] == [
        "Credit card and financial information",
        "IP addresses",
        "Mail covers",
        "Online account data",
        "Package and mail tracking",
    ]
    assert {a.access.seeker.slug for s in profile.systems for a in s.accesses} == {"dhs"}
    assert {s.status: s.count for s in profile.statuses}["unverified"] == 4


def test_dhs_covers_ice_figures_timeline_and_the_open_comment_request(client, seeded, reader):
    client.force_login(reader)
    response = client.get("/agencies/dhs/")
    profile = response.context["profile"]
    html = response.content.decode()
    assert [(a.slug, depth) for a, depth in profile.subtree] == [("dhs", 0), ("ice", 1)]
    assert profile.claims == 7  # ICE's claim included
    assert {s.status: s.count for s in profile.statuses} == {
        "unverified": 6,
        "disputed": 1,
        "corroborated": 0,
        "confirmed": 0,
        "refuted": 0,
        "retracted": 0,
    }
    assert 'href="/claims/?agency=dhs&amp;status=disputed"' in html
    # Contested figures, as a table and as the briefing's own chart.
    (pair,) = profile.contested
    assert (pair.first.figure.slug, pair.second.figure.slug) == ("homan-139k", "ice-57k")
    assert "<svg" in html and "139,000" in html and "57,000" in html
    # USPIS plays its role for DHS; DHS seeks USPIS's data.
    assert [r.role.slug for r in profile.partner_roles] == ["uspis-immigration-support"]
    assert len(profile.sought) == 5
    # Timeline with honest precision, and the comment request DHS has not answered.
    whens = {(row.when, row.precision) for row in profile.timeline}
    assert ("May 2025", "month") in whens and ("28 Apr 2025", "day") in whens and ("2025", "year") in whens
    assert [r.document.slug for r in profile.open_requests] == ["db-postal-deportations"]
    assert "No response by publication" in html


def test_an_unknown_agency_is_404(client, seeded, reader):
    client.force_login(reader)
    assert client.get("/agencies/nowhere/").status_code == 404


def test_a_long_timeline_shows_its_latest_events_and_the_earlier_ones_on_more_pages(client, reader):
    agency = f.AgencyFactory(slug="long")
    for year in range(1800, 1800 + TIMELINE_PER_PAGE + 20):
        f.ClaimFactory(agencies=[agency], made=str(year))
    profile = agency_profile(agency)
    assert len(profile.timeline.rows) == TIMELINE_PER_PAGE and profile.timeline.has_next
    assert profile.timeline.rows[0].when == "1820"
    assert profile.timeline.rows[-1].when == str(1800 + TIMELINE_PER_PAGE + 19)
    client.force_login(reader)
    html = client.get("/agencies/long/").content.decode()
    assert 'href="/agencies/long/timeline/?page=2"' in html
    earlier = client.get("/agencies/long/timeline/?page=2")
    assert [row.when for row in earlier.context["timeline"].rows] == [str(year) for year in range(1800, 1820)]
    assert not earlier.context["timeline"].has_next
    assert 'href="/agencies/long/"' in earlier.content.decode()  # back to the first page
    assert client.get("/agencies/long/timeline/?page=99999").status_code == 404


@pytest.mark.parametrize("n", [2, 8])
def test_agency_page_queries_do_not_grow_with_the_record(client, reader, django_assert_num_queries, n):
    root = f.AgencyFactory(slug="root")
    for i in range(n):
        agency = f.AgencyFactory(parent=root)
        f.StatedMissionFactory(agency=agency, document=f.DocumentFactory())
        role = f.ReportedRoleFactory(agency=agency, partner=root, first_reported="2025-05")
        for position, claim in enumerate(evidenced_claims(2, agency, lines=2, hops=2)):
            m.RoleClaim.objects.create(role=role, claim=claim, position=position)
        system = m.DataSystem.objects.create(slug=f"system-{i}", agency=agency, name=f"System {i}")
        access = m.DataAccess.objects.create(system=system, seeker=root)
        m.DataAccessClaim.objects.create(access=access, claim=claim)
        f.CommentRequestFactory(agency=agency, requested="2025-05")
    figures(2 * n, root)
    client.force_login(reader)
    client.get("/agencies/root/")
    # session, user, permissions (2) · the agency · every agency (the hierarchy) · missions · roles and
    # their claims (2) · roles for it (2) · data systems, access and claims (3) · access it seeks (2) ·
    # evidence (3, and 4 for the claims that answer and are answered) · statuses (claims per agency,
    # then counted or sampled) · then its scope (core/scope.py: subtree, labels, roles both ways (2),
    # data access, claims naming others) and its facts: comment requests (1: fewer than a page), roles
    # outside a mission for it (drift 4), the first page of figures, their candidates, readings and
    # evidence (6) · timeline (8: each source's latest, documents in three)
    with django_assert_num_queries(47):
        response = client.get("/agencies/root/")
    assert len(response.context["profile"].missions_and_roles) == n + 1
    # session, user, permissions (2), agencies with their roles outside a mission, claims per agency
    # (one aggregate, or on a large PostgreSQL record the planner's statistics)
    with django_assert_num_queries(6):
        response = client.get("/agencies/")
    assert len(response.context["nodes"]) == m.Agency.objects.count()


def _record_with_pages(n: int) -> m.Agency:
    """An agency with `n` sub-agencies, each with a comment request and dated claims, and 2n figures."""
    root = f.AgencyFactory(slug="root")
    for _ in range(n):
        agency = f.AgencyFactory(parent=root)
        f.CommentRequestFactory(agency=agency, requested="2025-05")
        evidenced_claims(2, agency, lines=2, hops=1)
    figures(2 * n, root)
    return root


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of two figures, three events and two comment requests: every list has a second page."""
    monkeypatch.setattr(selectors, "FIGURES_PER_PAGE", 2)
    monkeypatch.setattr(selectors, "TIMELINE_PER_PAGE", 3)
    monkeypatch.setattr(scope, "REQUESTS_PER_PAGE", 2)


# session, user, permissions (2), the agency, then: the timeline's subtree and sources (8, documents in
# three) · or the scope (6) and the page's figures, their candidates, their readings and evidence (3)
# · or the scope and a page of comment requests, counted by outcome (2: more than a page of them).
@pytest.mark.parametrize("n", [3, 8])
@pytest.mark.parametrize(("url", "queries"), [("timeline", 14), ("figures", 17), ("requests", 13)])
def test_show_more_pages_run_as_many_queries_whatever_the_record(
    client, reader, django_assert_num_queries, small_pages, n, url, queries
):
    _record_with_pages(n)
    client.force_login(reader)
    client.get(f"/agencies/root/{url}/?page=2")
    with django_assert_num_queries(queries):
        response = client.get(f"/agencies/root/{url}/?page=2")
    assert response.status_code == 200
    assert 'href="/agencies/root/"' in response.content.decode()  # back to the agency's page


def test_pages_of_figures_hold_every_contested_pair_once(client, reader, small_pages):
    root = _record_with_pages(3)
    contested = {(p.first.figure.pk, p.second.figure.pk) for p in selectors.contested_figures(root)}
    paged, page = [], 1
    while True:
        found = selectors.figure_pairs_page(root, page=page)
        paged += [(p.first.figure.pk, p.second.figure.pk) for p in found.contested]
        for pair in found.rates:  # rate pairs: comparable periods whose rates differ
            assert pair.differs and not selectors._same_period(pair.first, pair.second)
            assert pair.first.start <= pair.second.start
        if not found.has_next:
            break
        page += 1
    assert page == 3 and sorted(paged) == sorted(contested) and contested
    client.force_login(reader)
    html = client.get("/agencies/root/").content.decode()
    assert 'href="/agencies/root/figures/?page=2"' in html
    assert "among its latest 2" in html


def test_a_page_past_the_last_is_empty_and_a_page_past_any_record_is_404(client, reader):
    _record_with_pages(1)
    client.force_login(reader)
    assert (
        "No dated event is recorded before these"
        in client.get("/agencies/root/timeline/?page=50").content.decode()
    )
    assert client.get("/agencies/root/figures/?page=10001").status_code == 404
    assert client.get("/agencies/root/requests/?page=²").status_code == 200  # not a number: the first page


@pytest.mark.integration
def test_a_large_scope_shows_estimated_statuses_and_the_index_estimated_counts(
    postgres, client, reader, monkeypatch
):
    root = _record_with_pages(2)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE agencies_claimagency")
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 3)
    monkeypatch.setattr(pagination, "EXACT_UP_TO", 3)
    client.force_login(reader)
    profile = client.get("/agencies/root/").context["profile"]
    assert profile.claims_estimated
    # The whole table fits in the sample (100 % of its pages): the estimate is the count.
    exact = m.Claim.objects.filter(claim_agencies__agency__in=[root, *root.children.all()]).distinct()
    assert profile.claims == exact.count()
    nodes = client.get("/agencies/").context["nodes"]
    assert all(node.estimated for node in nodes)
    assert "≈" in client.get("/agencies/").content.decode()


def _comparable(pair) -> bool:
    """The periods of a rate pair overlap or follow one another within RATE_GAP_DAYS, and start
    within RATE_NEAR_DAYS."""
    gap = dt.timedelta(days=selectors.RATE_GAP_DAYS)
    a, b = pair.first, pair.second
    near = abs((a.start - b.start).days) <= selectors.RATE_NEAR_DAYS
    return near and b.start <= a.end + gap and a.start <= b.end + gap


@pytest.mark.parametrize("scoped", [False, True])
def test_pages_of_a_generated_record_hold_exactly_its_contested_and_comparable_rate_pairs(scoped):
    record_load(claims=400, seed=3, progress_stream=None, figure_share=0.5)
    ids = None
    if scoped:
        ids = agency_scope(m.Agency.objects.order_by("pk").first()).involved
    contested = selectors.contested_figures(ids)
    rates = [p for p in telling_rates(selectors.comparable_rates(ids), contested) if _comparable(p)]
    paged_contested, paged_rates, page = [], [], 1
    while True:
        found = selectors.figure_pairs_page(ids, page=page)
        paged_contested += [(p.first.figure.pk, p.second.figure.pk) for p in found.contested]
        paged_rates += [(p.first.figure.pk, p.second.figure.pk) for p in found.rates]
        if not found.has_next:
            break
        page += 1
    assert sorted(paged_contested) == sorted((p.first.figure.pk, p.second.figure.pk) for p in contested)
    assert sorted(paged_rates) == sorted((p.first.figure.pk, p.second.figure.pk) for p in rates)
    assert contested and rates and page > 2
