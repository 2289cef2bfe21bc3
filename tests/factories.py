"""The test suite's builders of data: factory_boy factories (each a valid row with the least said),
shapes of the postal story at any size, a slice of every model per call, bulk records, and the seed
case imported from seeds/ as `load_seeds` does."""

import copy
import itertools
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Max
from django.db.models.functions import Coalesce

from agencies import models as m
from agencies.exchange import dossier_import, dossier_load


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Agency

    slug = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    acronym = factory.Sequence(lambda n: f"AG{n}")
    kind = m.AgencyKind.EXECUTIVE_DEPARTMENT


class StatedMissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.StatedMission

    agency = factory.SubFactory(AgencyFactory)
    text = "Investigates mail theft."
    as_of = "2025"


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Outlet

    slug = factory.Sequence(lambda n: f"outlet-{n}")
    name = factory.Sequence(lambda n: f"Outlet {n}")
    kind = m.OutletKind.NEWS


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Document

    slug = factory.Sequence(lambda n: f"document-{n}")
    kind = m.DocumentKind.ARTICLE
    outlet = factory.SubFactory(OutletFactory)
    title = factory.Sequence(lambda n: f"Document {n}")
    published = "2025-05"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    kind = m.SourceKind.PERSON
    name = factory.Sequence(lambda n: f"Person {n}")


class AnonymousSourceFactory(SourceFactory):
    kind = m.SourceKind.ANONYMOUS
    name = ""
    description = "two people who spoke on the condition of anonymity"
    count = 2
    reason = "fear of professional reprisals"


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Claim
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"claim-{n}")
    kind = m.ClaimKind.STATEMENT
    text = factory.Sequence(lambda n: f"Claim number {n}.")
    made = "2025-05"
    status = m.ClaimStatus.UNVERIFIED

    @factory.post_generation
    def agencies(self, create, extracted, **kwargs):
        if create and extracted:
            for position, agency in enumerate(extracted):
                m.ClaimAgency.objects.create(claim=self, agency=agency, position=position)


class AttributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Attribution
        skip_postgeneration_save = True

    claim = factory.SubFactory(ClaimFactory)
    document = factory.SubFactory(DocumentFactory)
    origin = factory.SubFactory(SourceFactory)
    stance = m.Stance.SUPPORTS
    # The claim's next line: (claim, position) is unique.
    position = factory.LazyAttribute(
        lambda o: o.claim.attributions.aggregate(next=Coalesce(Max("position") + 1, 0))["next"]
    )

    @factory.post_generation
    def via(self, create, extracted, **kwargs):
        if create and extracted:
            for position, document in enumerate(extracted):
                m.AttributionHop.objects.create(attribution=self, document=document, position=position)


class FigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Figure

    slug = factory.Sequence(lambda n: f"figure-{n}")
    claim = factory.SubFactory(ClaimFactory, kind=m.ClaimKind.FIGURE)
    metric = "removals"
    value = 1000
    unit = "people"
    period_start = "2025-01-20"
    period_end = "2025-04-28"


class ReportedRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ReportedRole

    slug = factory.Sequence(lambda n: f"role-{n}")
    agency = factory.SubFactory(AgencyFactory)
    summary = "Assisting with immigration enforcement."
    category = "immigration_enforcement"
    mission_fit = m.MissionFit.OUTSIDE


class CommentRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CommentRequest

    document = factory.SubFactory(DocumentFactory)
    agency = factory.SubFactory(AgencyFactory)


# --- Users ------------------------------------------------------------------------------------------


def user_with(django_user_model, name: str, *codenames: str):
    user = django_user_model.objects.create_user(name, password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="agencies", codename__in=codenames)
    )
    return django_user_model.objects.get(pk=user.pk)


# --- Shapes of the postal story, at any size ------------------------------------------------------


def outlet(name: str) -> m.Outlet:
    return OutletFactory(name=name)


def article(outlet_: m.Outlet | None, title: str = "", published: str = "2025-05") -> m.Document:
    kwargs = {"published": published, "outlet": outlet_}
    if title:
        kwargs["title"] = title
    return DocumentFactory(**kwargs)


def line(claim, document, origin, via=(), stance=m.Stance.SUPPORTS, position=None, **kwargs) -> m.Attribution:
    if position is not None:
        kwargs["position"] = position  # else the claim's next line
    return AttributionFactory(
        claim=claim, document=document, origin=origin, via=list(via), stance=stance, **kwargs
    )


def agency_tree(depth: int, parent: m.Agency | None = None) -> list[m.Agency]:
    """A chain of agencies, each the parent of the next: [root, child, grandchild, ...]."""
    chain = []
    for _ in range(depth):
        parent = AgencyFactory(parent=parent)
        chain.append(parent)
    return chain


def evidenced_claims(count: int, agency: m.Agency, lines: int = 3, hops: int = 2) -> list[m.Claim]:
    """`count` claims about `agency`, each with `lines` attributions passing through `hops` documents."""
    source = AnonymousSourceFactory()
    claims = []
    for n in range(count):
        claim = ClaimFactory(agencies=[agency], status=m.ClaimStatus.CORROBORATED)
        for position in range(lines):
            origin = source if position == 0 else SourceFactory()
            via = [DocumentFactory(outlet=None if k else OutletFactory()) for k in range(hops)]
            line(claim, DocumentFactory(), origin, via=via, position=position, quote=f"q{n}")
        claims.append(claim)
    return claims


def figures(count: int, agency: m.Agency, metric: str = "removals") -> list[m.Figure]:
    """`count` figures about `agency` on one metric: pairs over the same period that disagree,
    spread over successive months, plus rates."""
    made = []
    for n in range(count):
        month = n // 2 % 12 + 1
        year = 2020 + n // 24
        claim = ClaimFactory(agencies=[agency], kind=m.ClaimKind.FIGURE)
        AttributionFactory(claim=claim, via=[DocumentFactory()])
        unit = "people per month" if n % 5 == 4 else "people"
        made.append(
            FigureFactory(
                claim=claim,
                metric=metric,
                value=1000 * (n + 1),
                unit=unit,
                period_start=f"{year}-{month:02d}-01",
                period_end=f"{year}-{month:02d}-28",
            )
        )
    return made


_numbers = itertools.count()


def populate(n: int = 1) -> None:
    """`n` slices of the record, each touching every model and every relation the changelists show."""
    for _ in range(n):
        i = next(_numbers)
        parent = AgencyFactory()
        agency = AgencyFactory(parent=parent)
        outlet = OutletFactory()
        cited = DocumentFactory(outlet=outlet)
        document = DocumentFactory(outlet=outlet)
        m.Citation.objects.create(citing=document, cited=cited)
        StatedMissionFactory(agency=agency, document=document)
        anonymous = AnonymousSourceFactory(granted_by=cited)
        m.SourceConfidentialNote.objects.create(source=anonymous, notes=f"Secret identity {i}")
        named = SourceFactory(affiliation=agency)
        claim = ClaimFactory(agencies=[agency, parent], status=m.ClaimStatus.CORROBORATED)
        AttributionFactory(claim=claim, document=document, origin=anonymous, via=[cited])
        AttributionFactory(claim=claim, document=cited, origin=named)
        FigureFactory(claim=claim)
        anonymous_only = ClaimFactory(agencies=[agency])
        AttributionFactory(claim=anonymous_only, document=document, origin=anonymous, via=[cited])
        role = ReportedRoleFactory(agency=agency, partner=parent)
        m.RoleClaim.objects.create(role=role, claim=claim)
        system = m.DataSystem.objects.create(slug=f"system-{i}", agency=agency, name=f"Mail covers {i}")
        access = m.DataAccess.objects.create(system=system, seeker=parent)
        m.DataAccessClaim.objects.create(access=access, claim=claim)
        CommentRequestFactory(document=document, agency=parent)


def bulk_record(n: int, *, prefix: str = "bulk") -> list[m.Claim]:
    """`n` claims made with a handful of bulk inserts: each about an agency and a sub-agency, with a
    supporting line through a via document, a disputing line for every third, and a figure for
    every fifth. Quick enough for a thousand claims."""
    parent = AgencyFactory(slug=f"{prefix}-parent")
    child = AgencyFactory(slug=f"{prefix}-child", parent=parent)
    outlets = [OutletFactory(slug=f"{prefix}-outlet-{i}") for i in range(3)]
    documents = [DocumentFactory(slug=f"{prefix}-doc-{i}", outlet=outlets[i % 3]) for i in range(6)]
    anonymous = AnonymousSourceFactory(slug=f"{prefix}-anon")
    person = SourceFactory(slug=f"{prefix}-person")
    kinds, statuses = m.ClaimKind.values, m.ClaimStatus.values
    claims = m.Claim.objects.bulk_create(
        m.Claim(
            slug=f"{prefix}-claim-{i:05d}",
            kind=kinds[i % len(kinds)],
            status=statuses[i % len(statuses)],
            text=f"Bulk claim {i} about mail covers and tracking.",
            made=["2025", "2025-03", "2025-05-12", None][i % 4],
        )
        for i in range(n)
    )
    if not claims or claims[0].pk is None:  # databases that do not return ids from bulk inserts
        claims = list(m.Claim.objects.filter(slug__startswith=f"{prefix}-claim-").order_by("slug"))
    m.ClaimAgency.objects.bulk_create(
        [m.ClaimAgency(claim=c, agency=parent, position=0) for c in claims]
        + [m.ClaimAgency(claim=c, agency=child, position=1) for c in claims[::2]]
    )
    lines = m.Attribution.objects.bulk_create(
        [
            m.Attribution(
                claim=c,
                document=documents[i % 6],
                origin=anonymous if i % 2 else person,
                stance=m.Stance.SUPPORTS,
                quote=f"quote {i}",
                position=0,
            )
            for i, c in enumerate(claims)
        ]
        + [
            m.Attribution(
                claim=c, document=documents[(i + 1) % 6], origin=person, stance=m.Stance.DISPUTES, position=1
            )
            for i, c in enumerate(claims)
            if i % 3 == 0
        ]
    )
    if lines and lines[0].pk is None:
        lines = list(m.Attribution.objects.filter(claim__slug__startswith=f"{prefix}-claim-"))
    m.AttributionHop.objects.bulk_create(
        m.AttributionHop(attribution=line, document=documents[(line.claim_id + 2) % 6], position=0)
        for line in lines
        if line.stance == m.Stance.SUPPORTS
    )
    m.Figure.objects.bulk_create(
        m.Figure(
            slug=f"{prefix}-figure-{i:05d}",
            claim=c,
            metric="removals",
            value=1000 + i * 37,
            unit="people",
            period_start="2025-01-20",
            period_end="2025-04-28",
        )
        for i, c in enumerate(claims)
        if i % 5 == 0
    )
    return claims


# --- The seed case ---------------------------------------------------------------------------------

SEED_DOSSIER = Path(__file__).resolve().parents[1] / "seeds" / "postal-inspection-2025.yaml"
# A confidential note on the seed's two anonymous people: the seed has none (it is public).
CANARY = "CANARY-7f3c91 Jane Roe, mobile +1 202 555 0147"
MISSION = "investigates mail theft and violent crimes involving the mail"
ROLE = "Assisting DHS with tracking, detaining and deporting immigrants."
TWO_PEOPLE = "two people who spoke on the condition of anonymity"
REASON = "fear of professional reprisals"
# The article's address, which the seed leaves out: briefings print sources' addresses as text.
BEAST_URL = "https://www.thedailybeast.com/us-post-office-deportations/"


@lru_cache(maxsize=1)
def _seed_dossier() -> dict:
    return dossier_load(SEED_DOSSIER)


@dataclass
class SeedCase:
    """The seed case as the importer writes it, with the rows tests name."""

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


def seed_case(*, canary: bool = True) -> SeedCase:
    """Import the seed dossier (seeds/) through the importer, as `load_seeds` does, and add what tests
    read that the seed leaves out: the Daily Beast article's BEAST_URL and, with `canary`, a
    confidential note carrying CANARY on the two anonymous people."""
    # Parsed once per process; each import gets its own copy, as if freshly read.
    dossier_import(data=copy.deepcopy(_seed_dossier()), actor=None)
    m.Document.objects.filter(slug="db-postal-deportations").update(url=BEAST_URL)
    agencies = m.Agency.objects.in_bulk(["usps", "uspis", "dhs", "ice", "white-house"], field_name="slug")
    outlets = m.Outlet.objects.in_bulk(["daily-beast", "washington-post", "usa-today"], field_name="slug")
    claims = m.Claim.objects.in_bulk(
        ["uspis-enlisted", "homan-deportation-count", "ice-deportation-count"], field_name="slug"
    )
    two_people = m.Source.objects.get(slug="wapo-two-people")
    if canary:
        m.SourceConfidentialNote.objects.create(source=two_people, notes=CANARY)
    return SeedCase(
        usps=agencies["usps"],
        uspis=agencies["uspis"],
        dhs=agencies["dhs"],
        ice=agencies["ice"],
        white_house=agencies["white-house"],
        beast=outlets["daily-beast"],
        post=outlets["washington-post"],
        usa_today=outlets["usa-today"],
        beast_article=m.Document.objects.get(slug="db-postal-deportations"),
        post_report=m.Document.objects.get(slug="wapo-report"),
        two_people=m.Source.objects.get(pk=two_people.pk),
        enlisted=claims["uspis-enlisted"],
        homan_claim=claims["homan-deportation-count"],
        ice_claim=claims["ice-deportation-count"],
        role=m.ReportedRole.objects.get(slug="uspis-immigration-support"),
    )
