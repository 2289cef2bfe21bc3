"""What a briefing says: its data (one call, a fixed number of queries), its HTML, its fingerprint."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies import models as m
from agencies.briefings.data import briefing_data
from agencies.briefings.errors import BriefingRenderError
from agencies.briefings.html import INTERNAL_MARKING, briefing_html
from agencies.briefings.render import briefing_fingerprint, briefing_render, scope_validate
from tests import factories as f
from tests.factories import CANARY, MISSION, REASON, ROLE, TWO_PEOPLE, evidenced_claims, figures, seed_case

pytestmark = pytest.mark.django_db

USPIS = {"agencies": ["uspis"]}
NOTE_TABLE = m.SourceConfidentialNote._meta.db_table


@pytest.fixture
def postal():
    return seed_case()


def html_of(scope, audience="public"):
    data = briefing_data(scope=scope, audience=audience)
    return briefing_html(data, fingerprint="0" * 64, generated=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))


# --- The data --------------------------------------------------------------------------------------


def test_uspis_briefing_holds_mission_role_chain_figures_and_request(postal):
    data = briefing_data(scope=USPIS, audience="public")

    (section,) = data.agencies
    assert section.label == "USPIS" and section.parent == "United States Postal Service (USPS)"
    assert MISSION in section.missions[0].text and section.missions[0].current
    assert section.missions[0].source is not None
    (role,) = section.roles
    assert role.summary == ROLE and role.mission_fit == "outside"
    enlisted = next(c for c in section.claims if c.slug == "uspis-enlisted")
    rests_on = {ref.number for ref in role.claims}
    assert enlisted.number in rests_on and rests_on <= {c.number for c in section.claims}
    first, second = enlisted.chains
    assert [step.label for step in first.steps] == ["The Daily Beast", "The Washington Post"]
    assert first.origin == f"{TWO_PEOPLE} ({REASON})" and first.unnamed
    assert enlisted.independent_origins == 2 and enlisted.anonymous_only and enlisted.single_outlet
    assert first.confidential == ""
    (pair,) = data.contested
    assert (pair.first.value, pair.second.value) == ("139,000", "57,000")
    assert pair.first.period == "20 Jan 2025 – 28 Apr 2025"
    (request,) = data.comment_requests
    assert (request.agency, request.response) == ("DHS", "No response by publication")
    assert [c.label for c in data.connected] == ["DHS"]
    assert data.findings.drift[0].summary == ROLE
    anonymous = sum(1 for c in section.claims if c.anonymous_only)
    assert data.findings.anonymous_only == anonymous == len(section.claims) >= 2
    assert data.findings.anonymous_share == "100%"


def test_a_scope_covers_sub_agencies_at_any_depth(postal):
    grandchild = f.AgencyFactory(slug="uspis-cyber", name="Cyber unit", acronym="UC", parent=postal.uspis)
    f.ClaimFactory(slug="cyber-claim", text="The cyber unit reads IP addresses.", agencies=[grandchild])

    data = briefing_data(scope={"agencies": ["USPS"]}, audience="public")

    assert [(s.label, s.depth) for s in data.agencies] == [("USPS", 0), ("USPIS", 1), ("UC", 2)]
    assert [c.slug for c in data.agencies[2].claims] == ["cyber-claim"]
    assert "sub-agencies included" in data.scope_label


def test_naming_a_sub_agency_with_its_parent_prints_it_once(postal):
    data = briefing_data(scope={"agencies": ["ice", "dhs"]}, audience="public")

    assert [s.label for s in data.agencies] == ["DHS", "ICE"]
    numbers = [c.number for s in data.agencies for c in s.claims]
    assert len(numbers) == len(set(numbers))


def test_a_claim_about_two_agencies_is_printed_once_and_pointed_to(postal):
    data = briefing_data(scope={"agencies": ["dhs", "uspis"]}, audience="public")

    printed = [c.slug for s in data.agencies for c in s.claims]
    assert printed.count("uspis-enlisted") == 1
    assert any(
        ref.text.startswith("The administration has enlisted")
        for s in data.agencies
        for ref in [*s.also, *s.also_below]
    )


def test_a_filter_scope_briefs_on_the_selected_claims(postal):
    data = briefing_data(scope={"filter": "status=disputed"}, audience="public")

    claims = [c.slug for s in data.agencies for c in s.claims] + [c.slug for c in data.other_claims]
    assert claims == ["homan-deportation-count"]
    assert data.scope_label == "Claims: status: disputed"
    assert {s.label for s in data.agencies} == {"WH", "DHS"}
    assert all(not s.roles and not s.access_sought and not s.data_systems for s in data.agencies)
    assert {(p.first.value, p.second.value) for p in data.contested} == {("139,000", "57,000")}
    assert all("Immigration officials" not in e.text for e in data.timeline)


def test_a_selection_briefing_reads_what_its_claims_touch_not_the_record_around_them(postal):
    scope = {"filter": "status=disputed"}
    before = briefing_data(scope=scope, audience="public")
    with CaptureQueriesContext(connection) as small:
        briefing_data(scope=scope, audience="public")

    # The record grows around the selection: figures, claims, roles and requests about its agencies.
    figures(24, postal.ice, metric="deportations")
    evidenced_claims(5, postal.dhs)
    role = f.ReportedRoleFactory(agency=postal.dhs, mission_fit=m.MissionFit.OUTSIDE)
    m.RoleClaim.objects.create(role=role, claim=evidenced_claims(1, postal.dhs)[0])
    f.CommentRequestFactory(agency=postal.dhs, requested="2025-05")  # for a document it does not cite
    with CaptureQueriesContext(connection) as large:
        after = briefing_data(scope=scope, audience="public")

    assert len(large) == len(small)
    assert after.contested == before.contested and after.rates == before.rates
    assert after.comment_requests == before.comment_requests
    assert [e.text for e in after.timeline] == [e.text for e in before.timeline]
    assert after.findings == before.findings and after.agencies == before.agencies


def test_the_timeline_keeps_the_precision_reported(postal):
    data = briefing_data(scope=USPIS, audience="public")

    whens = {(e.when, e.precision) for e in data.timeline}
    assert ("May 2025", "month") in whens
    assert ("2025", "year") in whens
    assert not any(e.when.startswith("1 May") for e in data.timeline)


def test_the_data_is_read_in_the_same_number_of_queries_at_two_sizes(postal, django_assert_num_queries):
    with CaptureQueriesContext(connection) as small:
        seed = briefing_data(scope=USPIS, audience="internal")
    assert len(small) < 60

    evidenced_claims(6, postal.uspis, lines=3, hops=2)
    evidenced_claims(3, postal.dhs)
    figures(8, postal.ice, metric="deportations")
    figures(4, postal.dhs, metric="arrests")
    for n in range(3):
        role = f.ReportedRoleFactory(agency=postal.uspis, partner=f.AgencyFactory())
        m.RoleClaim.objects.create(role=role, claim=postal.enlisted)
        m.StatedMission.objects.create(
            agency=postal.uspis, text=f"Mission {n}", as_of=f"202{n}", position=n + 1
        )
        system = m.DataSystem.objects.create(slug=f"system-{n}", agency=postal.uspis, name=f"System {n}")
        m.DataAccess.objects.create(system=system, seeker=f.AgencyFactory())
        f.CommentRequestFactory(agency=postal.dhs)
        source = f.SourceFactory()
        m.SourceConfidentialNote.objects.create(source=source, notes=f"note {n}")
        f.AttributionFactory(claim=postal.enlisted, origin=source, via=[f.DocumentFactory()])

    with django_assert_num_queries(len(small)):
        larger = briefing_data(scope=USPIS, audience="internal")
    assert len(larger.agencies[0].claims) == len(seed.agencies[0].claims) + 6
    assert len(larger.agencies[0].roles) == 4


def test_a_public_briefing_never_loads_confidential_notes(postal):
    with CaptureQueriesContext(connection) as public:
        data = briefing_data(scope=USPIS, audience="public")
    with CaptureQueriesContext(connection) as internal:
        internal_data = briefing_data(scope=USPIS, audience="internal")

    assert not any(NOTE_TABLE in query["sql"] for query in public.captured_queries)
    assert any(NOTE_TABLE in query["sql"] for query in internal.captured_queries)
    assert CANARY not in repr(data.canonical())
    assert CANARY in repr(internal_data.canonical())
    assert internal_data.confidential_sources == 2


# --- The HTML ----------------------------------------------------------------------------------------


def test_markup_in_the_record_is_escaped(postal):
    postal.enlisted.text = '<img src="http://127.0.0.1:9/x.png"> <b>bold</b> & "quoted"'
    postal.enlisted.save()

    html = html_of(USPIS)

    assert "&lt;img src=&quot;http://127.0.0.1:9/x.png&quot;&gt;" in html
    assert '<img src="http://127.0.0.1' not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;" in html


def test_source_urls_are_text_never_links_or_resources(postal):
    html = html_of(USPIS)

    assert "https://www.thedailybeast.com/us-post-office-deportations/" in html
    assert "src=" not in html
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', html))  # the contents only


def test_only_the_internal_edition_carries_notes_and_says_so(postal):
    public, internal = html_of(USPIS, "public"), html_of(USPIS, "internal")

    assert CANARY not in public and INTERNAL_MARKING not in public
    assert CANARY in internal and INTERNAL_MARKING in internal


def test_the_chart_is_drawn_with_escaped_labels(postal):
    m.Source.objects.filter(slug="tom-homan").update(name='<text x="0">Homan</text>')

    html = html_of(USPIS)

    chart = html[html.index("<svg") : html.index("</svg>")]
    assert "&lt;text x=&quot;0&quot;&gt;Homan&lt;/text&gt;" in chart
    assert chart.count("<rect") == 2
    assert "href" not in chart


# --- Scope, fingerprint, render errors --------------------------------------------------------------


def test_scope_validate_normalises_acronyms_and_filters(postal):
    assert scope_validate({"agencies": ["USPIS", "dhs", "DHS"]}) == {"agencies": ["dhs", "uspis"]}
    assert scope_validate({"filter": "?status=disputed&agency=dhs&q=&kind=figure"}) == {
        "filter": "agency=dhs&kind=figure&status=disputed"
    }


@pytest.mark.parametrize(
    ("scope", "named"),
    [
        ({"agencies": ["uspis", "nowhere"]}, "nowhere"),
        ({"agencies": []}, "at least one agency"),
        ({"filter": "status=maybe"}, "status"),
        ({"filter": "colour=red"}, "colour"),
        ({"filter": "agency=nowhere"}, "agency"),
        ({"filter": "made_after=May"}, "made_after"),
        ({"agencies": ["uspis"], "filter": "status=disputed"}, "scope"),
        ({}, "scope"),
        ("uspis", "scope"),
    ],
)
def test_a_bad_scope_is_refused_by_name(postal, scope, named):
    with pytest.raises(ValidationError, match=named):
        scope_validate(scope)
    with pytest.raises(BriefingRenderError, match=named):
        briefing_fingerprint(scope=scope, audience="public")


def test_an_unknown_audience_is_refused(postal):
    with pytest.raises(BriefingRenderError, match="audience"):
        briefing_fingerprint(scope=USPIS, audience="everyone")


def test_the_fingerprint_follows_the_data_and_the_audience(postal):
    public = briefing_fingerprint(scope=USPIS, audience="public")
    internal = briefing_fingerprint(scope=USPIS, audience="internal")

    assert len(public) == 64 and int(public, 16) >= 0
    assert public == briefing_fingerprint(scope={"agencies": ["USPIS"]}, audience="public")
    assert public != internal

    postal.two_people.confidential_note.notes = "someone else"
    postal.two_people.confidential_note.save()
    assert briefing_fingerprint(scope=USPIS, audience="public") == public  # never loaded, never hashed
    assert briefing_fingerprint(scope=USPIS, audience="internal") != internal

    m.Claim.objects.filter(pk=postal.enlisted.pk).update(status=m.ClaimStatus.CORROBORATED)
    assert briefing_fingerprint(scope=USPIS, audience="public") != public


def test_render_reports_its_stages_and_matches_the_fingerprint(postal):
    stages = []

    rendered = briefing_render(
        scope=USPIS, audience="public", progress=lambda s, p, *_: stages.append((s, p))
    )

    assert [s for s, _ in stages] == ["data", "html", "pdf", "pdf"]
    assert [p for _, p in stages] == sorted(p for _, p in stages) and stages[-1] == ("pdf", 100)
    assert rendered.fingerprint == briefing_fingerprint(scope=USPIS, audience="public")
    assert rendered.title == "Briefing: United States Postal Inspection Service"
    assert rendered.pdf.startswith(b"%PDF-") and rendered.page_count >= 5


def test_a_render_error_never_carries_confidential_notes(postal):
    m.SourceConfidentialNote.objects.filter(source=postal.two_people).update(notes="nowhere-agency")

    with pytest.raises(BriefingRenderError) as caught:
        briefing_render(scope={"agencies": ["nowhere-agency-x"]}, audience="internal")

    assert "nowhere-agency-x" in str(caught.value)
    assert CANARY not in str(caught.value)
