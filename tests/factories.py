"""factory_boy factories for the record. Each builds a valid row with the least said."""

import factory
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.db.models.functions import Coalesce

from agencies import models as m


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
