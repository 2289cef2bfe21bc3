"""The seed case, loaded, answers what seed-coverage.md says it must."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from agencies import models as m
from agencies.core import selectors

pytestmark = pytest.mark.django_db

SEEDED_MODELS = [
    m.Agency,
    m.StatedMission,
    m.Outlet,
    m.Document,
    m.Citation,
    m.Source,
    m.Claim,
    m.ClaimAgency,
    m.Attribution,
    m.AttributionHop,
    m.ReportedRole,
    m.RoleClaim,
    m.DataSystem,
    m.DataAccess,
    m.DataAccessClaim,
    m.Figure,
    m.CommentRequest,
]


@pytest.fixture
def seeded(db):
    call_command("load_seeds", stdout=io.StringIO())


def counts():
    return {model.__name__: (model.objects.count(), model.history.count()) for model in SEEDED_MODELS}


def test_load_seeds_is_idempotent(seeded):
    before = counts()
    call_command("load_seeds", stdout=io.StringIO())
    assert counts() == before
    assert before["Claim"][0] >= 10


def test_hierarchy(seeded):
    assert m.Agency.objects.get(slug="uspis").parent.slug == "usps"
    assert m.Agency.objects.get(slug="ice").parent.slug == "dhs"
    mission = m.Agency.objects.get(slug="uspis").missions.last()
    assert "mail theft" in mission.text and mission.document.slug == "uspis-website"


def test_enlistment_claim_chain_and_flags(seeded):
    claim = selectors.claims_with_evidence().get(slug="uspis-enlisted")
    evidence = selectors.claim_evidence(claim)
    texts = [chain.text for chain in evidence.chains]
    assert (
        "The Daily Beast → The Washington Post → two people who spoke on the condition of anonymity "
        "(fear of professional reprisals)"
    ) in texts
    assert any(text.endswith("a senior DHS official") for text in texts)
    # Two first-hand origins (the two people, the official), both only through The Post.
    assert evidence.independent_origins == 2
    assert evidence.anonymous_only
    assert evidence.single_outlet


def test_re_reporting_is_not_corroboration(seeded):
    claim = selectors.claims_with_evidence().get(slug="uspis-nervous-overreach")
    assert selectors.claim_evidence(claim).independent_origins == 1


def test_ice_figure_is_not_anonymous(seeded):
    claim = selectors.claims_with_evidence().get(slug="ice-deportation-count")
    assert not selectors.claim_evidence(claim).anonymous_only


def test_contested_figures(seeded):
    pairs = {(p.first.figure.slug, p.second.figure.slug) for p in selectors.contested_figures()}
    assert ("homan-139k", "ice-57k") in pairs


def test_comparable_rates(seeded):
    rates = {(r.first.figure.slug, r.second.figure.slug): r for r in selectors.comparable_rates()}
    pair = rates[("previous-year-monthly-57k", "first-month-37660")]
    assert pair.differs
    assert round(pair.second_monthly) == 36977 or abs(pair.second_monthly - Decimal(37660)) < 1000
    assert pair.first_monthly == 57000


def test_mission_drift_for_uspis_and_its_parent(seeded):
    for slug in ("uspis", "usps"):
        drift = selectors.mission_drift(m.Agency.objects.get(slug=slug))
        roles = [role.role.slug for entry in drift for role in entry.roles]
        assert roles == ["uspis-immigration-support"]


def test_open_comment_request_to_dhs(seeded):
    open_requests = list(selectors.open_comment_requests(m.Agency.objects.get(slug="dhs")))
    assert [(r.agency.slug, r.document.slug) for r in open_requests] == [("dhs", "db-postal-deportations")]


def test_data_access_sought_on_five_systems(seeded):
    sought = m.DataAccess.objects.filter(seeker__slug="dhs", status="sought", system__agency__slug="uspis")
    assert sought.count() == 5


def test_dates_keep_their_precision(seeded):
    assert m.Document.objects.get(slug="db-postal-deportations").published.display() == "May 2025"
    assert m.Document.objects.get(slug="homan-briefing").published.precision == "day"


def test_printed_local_login_opens_the_seed_case(seeded, settings, tmp_path, client, capsys):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("local_researcher")
    printed = capsys.readouterr().out
    password = re.search(r"password '([^']+)'", printed).group(1)
    assert client.login(username="researcher", password=password)
    claim = m.Claim.objects.get(slug="uspis-enlisted")
    page = client.get(f"/admin/agencies/claim/{claim.pk}/change/").content.decode()
    assert "The Washington Post" in page and "fear of professional reprisals" in page


def test_local_login_refused_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("local_researcher")


def test_findings_page_shows_the_seed_case(seeded, admin_client):
    page = admin_client.get("/admin/findings/").content.decode()
    assert "139,000 people" in page and "57,000 people" in page  # contested
    assert "36,977" in page and "57,000" in page  # comparable monthly rates
    assert "Assisting DHS with tracking, detaining and deporting immigrants." in page
    assert "Outside the stated mission" in page
    assert "Department of Homeland Security" in page and "No response by publication" in page
    assert "Findings" in admin_client.get("/admin/").content.decode()


def test_findings_page_scoped_to_a_subtree(seeded, admin_client):
    page = admin_client.get("/admin/findings/?agency=usps").content.decode()
    assert "Assisting DHS with tracking" in page
    # DHS is connected to USPS's scope (USPIS's role is for it): its figures count, marked so.
    assert "Connected agencies" in page and "partner in a role reported of USPIS" in page
    assert "139,000 people" in page and "(connected)" in page
    ice = admin_client.get("/admin/findings/?agency=ice").content.decode()
    assert "Assisting DHS with tracking" not in ice and "139,000 people" in ice
