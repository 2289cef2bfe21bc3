"""A record built like the seed case, for the briefing tests: USPS > USPIS, DHS > ICE, the Daily Beast
→ Washington Post → two anonymous people chain, 139,000 against 57,000, DHS asked for comment."""

from __future__ import annotations

from dataclasses import dataclass

from agencies import models as m
from tests import factories as f

CANARY = "CANARY-7f3c91 Jane Roe, mobile +1 202 555 0147"
MISSION = "investigates mail theft and violent crimes involving the mail"
ROLE = "Assisting DHS with tracking, detaining and deporting immigrants."
TWO_PEOPLE = "two people who spoke on the condition of anonymity"
REASON = "fear of professional reprisals"


@dataclass
class PostalRecord:
    usps: m.Agency
    uspis: m.Agency
    dhs: m.Agency
    ice: m.Agency
    white_house: m.Agency
    beast: m.Outlet
    post: m.Outlet
    usa_today: m.Outlet
    beast_article: m.Document
    post_report: m.Document
    two_people: m.Source
    enlisted: m.Claim
    homan_claim: m.Claim
    ice_claim: m.Claim
    role: m.ReportedRole


def _claim(slug, text, agencies, kind=m.ClaimKind.STATEMENT, status=m.ClaimStatus.UNVERIFIED, made="2025-05"):
    return f.ClaimFactory(slug=slug, text=text, agencies=agencies, kind=kind, status=status, made=made)


def build_postal_record() -> PostalRecord:
    usps = f.AgencyFactory(
        slug="usps",
        name="United States Postal Service",
        acronym="USPS",
        kind=m.AgencyKind.INDEPENDENT_AGENCY,
        website="https://www.usps.com/",
    )
    uspis = f.AgencyFactory(
        slug="uspis",
        name="United States Postal Inspection Service",
        acronym="USPIS",
        kind=m.AgencyKind.LAW_ENFORCEMENT,
        parent=usps,
        website="https://www.uspis.gov/",
    )
    dhs = f.AgencyFactory(slug="dhs", name="Department of Homeland Security", acronym="DHS")
    ice = f.AgencyFactory(
        slug="ice",
        name="U.S. Immigration and Customs Enforcement",
        acronym="ICE",
        kind=m.AgencyKind.LAW_ENFORCEMENT,
        parent=dhs,
    )
    white_house = f.AgencyFactory(
        slug="white-house", name="The White House", acronym="WH", kind=m.AgencyKind.EXECUTIVE_OFFICE
    )

    beast = f.OutletFactory(slug="daily-beast", name="The Daily Beast")
    post = f.OutletFactory(slug="washington-post", name="The Washington Post")
    usa_today = f.OutletFactory(slug="usa-today", name="USA Today")
    uspis_web = f.OutletFactory(
        slug="uspis-web", name="U.S. Postal Inspection Service", kind=m.OutletKind.GOVERNMENT
    )
    press = f.OutletFactory(
        slug="wh-press", name="The White House press office", kind=m.OutletKind.GOVERNMENT
    )

    beast_article = f.DocumentFactory(
        slug="db-postal",
        outlet=beast,
        published="2025-05",
        title="U.S. Post Office Accused of Secret Deportation Assistance",
        url="https://www.thedailybeast.com/us-post-office-deportations/",
    )
    post_report = f.DocumentFactory(
        slug="wapo-report",
        outlet=post,
        published="2025-05",
        title="Postal Inspection Service enlisted to help DHS",
    )
    usatoday = f.DocumentFactory(
        slug="usatoday-ice",
        outlet=usa_today,
        published="2025",
        title="ICE deportation data for the first 100 days",
    )
    website = f.DocumentFactory(
        slug="uspis-website",
        outlet=uspis_web,
        published="2025",
        kind=m.DocumentKind.WEBPAGE,
        title="U.S. Postal Inspection Service website",
        url="https://www.uspis.gov/",
    )
    briefing_doc = f.DocumentFactory(
        slug="homan-briefing",
        outlet=press,
        published="2025-04-28",
        kind=m.DocumentKind.TRANSCRIPT,
        title="Press briefing by border czar Tom Homan",
    )

    m.StatedMission.objects.create(
        agency=uspis,
        document=website,
        as_of="2025-05",
        text=f"The Postal Service's law-enforcement arm: it {MISSION}.",
    )

    two_people = f.AnonymousSourceFactory(
        slug="wapo-two-people", description=TWO_PEOPLE, count=2, reason=REASON, granted_by=post_report
    )
    m.SourceConfidentialNote.objects.create(source=two_people, notes=CANARY)
    official = f.SourceFactory(
        slug="senior-dhs-official",
        kind=m.SourceKind.OFFICIAL,
        name="",
        description="a senior DHS official",
        affiliation=dhs,
    )
    homan = f.SourceFactory(
        slug="tom-homan", name="Tom Homan", title="White House border czar", affiliation=white_house
    )
    ice_data = f.SourceFactory(slug="ice-data", kind=m.SourceKind.DATASET, name="", description="ICE data")
    kocher = f.SourceFactory(
        slug="austin-kocher", name="Austin Kocher", title="Syracuse University researcher"
    )

    enlisted = _claim(
        "uspis-enlisted",
        "The administration has enlisted the U.S. Postal Inspection Service "
        "to help DHS track, detain and deport immigrants.",
        [uspis, dhs],
        kind=m.ClaimKind.ROLE,
    )
    f.AttributionFactory(
        claim=enlisted,
        document=beast_article,
        via=[post_report],
        origin=two_people,
        locator="para 2",
        position=0,
    )
    f.AttributionFactory(
        claim=enlisted,
        document=beast_article,
        via=[post_report],
        origin=official,
        quote="a key part of ensuring law enforcement has the resources they need",
        locator="para 9",
        position=1,
    )
    seeks = _claim(
        "immigration-seeks-data",
        "Immigration officials want access to the Postal Inspection "
        "Service's surveillance systems, including mail covers.",
        [dhs, uspis],
        kind=m.ClaimKind.DATA_ACCESS,
    )
    f.AttributionFactory(
        claim=seeks,
        document=beast_article,
        via=[post_report],
        origin=two_people,
        quote="mail covers",
        locator="para 5",
    )

    homan_claim = _claim(
        "homan-count",
        "The administration deported 139,000 people between January 20 and April 28.",
        [white_house, dhs],
        kind=m.ClaimKind.FIGURE,
        status=m.ClaimStatus.DISPUTED,
        made="2025-04-28",
    )
    f.AttributionFactory(claim=homan_claim, document=briefing_doc, origin=homan, quote="The numbers are good")
    f.AttributionFactory(
        claim=homan_claim,
        document=beast_article,
        via=[usatoday],
        origin=kocher,
        stance=m.Stance.DISPUTES,
        quote="a highly creative accounting scheme",
        position=1,
    )
    ice_claim = _claim(
        "ice-count",
        "About 57,000 people were deported between January 20 and April 28.",
        [ice],
        kind=m.ClaimKind.FIGURE,
        made="2025",
    )
    f.AttributionFactory(claim=ice_claim, document=beast_article, via=[usatoday], origin=ice_data)
    f.FigureFactory(
        slug="homan-139k",
        claim=homan_claim,
        metric="deportations",
        value=139000,
        period_start="2025-01-20",
        period_end="2025-04-28",
        basis="press briefing",
    )
    f.FigureFactory(
        slug="ice-57k",
        claim=ice_claim,
        metric="deportations",
        value=57000,
        period_start="2025-01-20",
        period_end="2025-04-28",
        basis="ICE data",
    )

    role = f.ReportedRoleFactory(
        slug="uspis-immigration-support",
        agency=uspis,
        partner=dhs,
        summary=ROLE,
        first_reported="2025-05",
        mission_fit=m.MissionFit.OUTSIDE,
        rationale="Its stated mission is mail theft and violent crime, not immigration.",
    )
    m.RoleClaim.objects.create(role=role, claim=enlisted, position=0)
    m.RoleClaim.objects.create(role=role, claim=seeks, position=1)
    for name in ("Mail covers", "Package and mail tracking"):
        system = m.DataSystem.objects.create(slug=name.lower().replace(" ", "-"), agency=uspis, name=name)
        access = m.DataAccess.objects.create(system=system, seeker=dhs, status=m.AccessStatus.SOUGHT)
        m.DataAccessClaim.objects.create(access=access, claim=seeks)

    m.CommentRequest.objects.create(
        document=beast_article, agency=dhs, requested="2025-05", response=m.CommentResponse.NONE
    )
    return PostalRecord(
        usps=usps,
        uspis=uspis,
        dhs=dhs,
        ice=ice,
        white_house=white_house,
        beast=beast,
        post=post,
        usa_today=usa_today,
        beast_article=beast_article,
        post_report=post_report,
        two_people=two_people,
        enlisted=enlisted,
        homan_claim=homan_claim,
        ice_claim=ice_claim,
        role=role,
    )
