import pytest

from agencies import models as m
from agencies.core.dates import PartialDate
from agencies.core.selectors import (
    agency_subtree_ids,
    mission_drift,
    open_comment_requests,
    timeline,
)
from tests import factories as f
from tests.factories import agency_tree, article, line, outlet

pytestmark = pytest.mark.django_db


# --- Subtree ----------------------------------------------------------------------------------------


def test_subtree_reaches_every_depth_in_one_query(django_assert_num_queries):
    root, child, grandchild, great = agency_tree(4)
    sibling = f.AgencyFactory(parent=child)
    f.AgencyFactory()  # unrelated
    f.AgencyFactory(parent=f.AgencyFactory())  # another tree

    with django_assert_num_queries(1):
        ids = agency_subtree_ids(root)

    assert ids[0] == root.pk
    assert sorted(ids) == sorted([root.pk, child.pk, grandchild.pk, great.pk, sibling.pk])
    assert agency_subtree_ids(grandchild.pk) == [grandchild.pk, great.pk]
    assert agency_subtree_ids(great) == [great.pk]


def test_subtree_of_a_missing_agency_is_empty():
    assert agency_subtree_ids(999_999) == []


# --- Mission drift ----------------------------------------------------------------------------------


@pytest.fixture
def drift_record():
    dhs, ice = agency_tree(2)
    uspis = f.AgencyFactory(name="Postal Inspection Service", acronym="USPIS")
    f.StatedMissionFactory(agency=uspis, text="Protects the mail.", position=0, as_of="2020")
    current = f.StatedMissionFactory(
        agency=uspis,
        text="Investigates mail theft and violent crimes involving the mail.",
        position=1,
        as_of="2025",
        document=article(None, "USPIS website"),
    )
    enlisted = f.ClaimFactory(agencies=[uspis, dhs], status=m.ClaimStatus.UNVERIFIED)
    line(enlisted, article(outlet("The Washington Post")), f.AnonymousSourceFactory())
    outside = f.ReportedRoleFactory(agency=uspis, partner=dhs, slug="uspis-immigration-support")
    m.RoleClaim.objects.create(role=outside, claim=enlisted)
    f.ReportedRoleFactory(agency=uspis, mission_fit=m.MissionFit.WITHIN)
    f.ReportedRoleFactory(agency=uspis, mission_fit=m.MissionFit.UNCLEAR)
    ice_claim = f.ClaimFactory(agencies=[ice])
    line(ice_claim, article(outlet("USA Today")), f.SourceFactory(kind=m.SourceKind.DATASET, name=""))
    ice_role = f.ReportedRoleFactory(agency=ice, slug="ice-role")
    m.RoleClaim.objects.create(role=ice_role, claim=ice_claim)
    return {
        "dhs": dhs,
        "ice": ice,
        "uspis": uspis,
        "current": current,
        "outside": outside,
        "ice_role": ice_role,
    }


def test_mission_drift_lists_outside_roles_with_current_mission_and_evidence(drift_record):
    (drift,) = mission_drift(drift_record["uspis"])

    assert drift.agency == drift_record["uspis"]
    assert drift.mission == drift_record["current"]
    assert [r.role for r in drift.roles] == [drift_record["outside"]]
    (evidenced,) = drift.roles[0].claims
    assert evidenced.evidence.anonymous_only is True
    assert evidenced.evidence.chains[0].text.startswith("The Washington Post → two people")


def test_mission_drift_of_a_parent_covers_its_sub_agencies(drift_record):
    results = mission_drift(drift_record["dhs"])

    # DHS is only the partner of the USPIS role: drift belongs to the performer.
    assert [d.agency for d in results] == [drift_record["ice"]]
    assert [r.role for r in results[0].roles] == [drift_record["ice_role"]]
    assert results[0].mission is None


def test_mission_drift_of_the_whole_record(drift_record):
    results = mission_drift()

    assert {d.agency.pk for d in results} == {drift_record["ice"].pk, drift_record["uspis"].pk}
    assert all(r.role.mission_fit == m.MissionFit.OUTSIDE for d in results for r in d.roles)


def test_mission_drift_without_outside_roles_is_empty():
    f.ReportedRoleFactory(mission_fit=m.MissionFit.WITHIN)
    assert mission_drift() == []


# --- Comment requests -------------------------------------------------------------------------------


def test_open_comment_requests_are_those_without_response():
    dhs, ice = agency_tree(2)
    usps = f.AgencyFactory()
    beast = article(outlet("The Daily Beast"))
    waiting = f.CommentRequestFactory(document=beast, agency=dhs, requested="2025-05")
    ice_waiting = f.CommentRequestFactory(document=beast, agency=ice, requested="2025-04-30")
    undated = f.CommentRequestFactory(document=beast, agency=usps)
    f.CommentRequestFactory(document=article(None), agency=dhs, response=m.CommentResponse.DECLINED)
    f.CommentRequestFactory(
        document=article(None), agency=usps, response=m.CommentResponse.RESPONDED, response_text="No comment."
    )

    assert list(open_comment_requests()) == [ice_waiting, waiting, undated]
    assert list(open_comment_requests(dhs)) == [ice_waiting, waiting]
    assert list(open_comment_requests(ice.pk)) == [ice_waiting]


# --- Timeline ---------------------------------------------------------------------------------------


@pytest.fixture
def dated_record():
    dhs, ice = agency_tree(2)
    uspis = f.AgencyFactory(acronym="USPIS")
    beast = article(outlet("The Daily Beast"), "Post office accused", published="2025-05")
    post = article(outlet("The Washington Post"), "Inspectors enlisted", published="2025-05-12")
    unrelated = article(outlet("Elsewhere"), "Nothing about them", published="2024-01-01")
    claim = f.ClaimFactory(agencies=[ice], text="ICE removed 57,000 people.", made="2025-04-29")
    line(claim, beast, f.SourceFactory(), via=[post])
    undated = f.ClaimFactory(agencies=[ice], made=None)
    line(undated, beast, f.SourceFactory())
    f.ClaimFactory(agencies=[uspis], text="Elsewhere.", made="2025-03")
    figure = f.FigureFactory(
        claim=claim, value=57000, period_start="2025-01-20", period_end="2025-04-28", metric="removals"
    )
    role = f.ReportedRoleFactory(agency=uspis, partner=dhs, summary="Helps DHS.", first_reported="2025-05")
    mission = f.StatedMissionFactory(agency=ice, text="Enforces immigration law.", as_of="2003")
    request = f.CommentRequestFactory(document=beast, agency=dhs, requested="2025-05")
    return locals()


def test_timeline_is_in_order_with_its_precision_kept(dated_record):
    events = timeline()

    assert [(e.date.isoformat(), e.kind) for e in events] == [
        ("2003", "mission"),
        ("2024-01-01", "document"),
        ("2025-01-20", "figure"),
        ("2025-03", "claim"),
        ("2025-04-29", "claim"),
        ("2025-05", "document"),
        ("2025-05", "role"),
        ("2025-05", "comment_request"),
        ("2025-05-12", "document"),
    ]
    by_kind = {e.kind: e for e in events}
    assert by_kind["mission"].date == PartialDate(2003)
    assert by_kind["mission"].date.display() == "2003"
    assert by_kind["role"].date.display() == "May 2025"
    assert by_kind["role"].text == "USPIS: Helps DHS."
    assert by_kind["role"].obj == dated_record["role"]
    figure = by_kind["figure"]
    assert figure.obj == dated_record["figure"]
    assert figure.until == PartialDate(2025, 4, 28)
    assert figure.when == "20 Jan 2025 – 28 Apr 2025"
    assert figure.text == "57,000 people (removals)"
    assert by_kind["comment_request"].text.startswith("The Daily Beast: Post office accused: asked ")


def test_timeline_of_an_agency_covers_its_sub_agencies_and_their_documents(dated_record):
    events = timeline(dated_record["dhs"])

    assert [(e.date.isoformat(), e.kind) for e in events] == [
        ("2003", "mission"),  # ICE's, a sub-agency
        ("2025-01-20", "figure"),
        ("2025-04-29", "claim"),
        ("2025-05", "document"),  # where the ICE claim appears
        ("2025-05", "role"),  # DHS is the partner
        ("2025-05", "comment_request"),
        ("2025-05-12", "document"),  # the document it came through
    ]
    assert "Elsewhere." not in {e.text for e in events}


def test_a_collection_of_agency_ids_is_a_scope_taken_as_it_is(drift_record):
    """A briefing passes its agencies (and those connected to them): no sub-agency is added."""
    assert mission_drift({drift_record["dhs"].pk}) == []
    results = mission_drift({drift_record["dhs"].pk, drift_record["uspis"].pk})
    assert [d.agency for d in results] == [drift_record["uspis"]]
