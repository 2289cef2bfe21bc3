"""The seed record, readers of it, and a record of any size built with bulk inserts."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from agencies import models as m
from tests import factories as f


@pytest.fixture
def seeded(db):
    call_command("load_seeds", stdout=io.StringIO())


@pytest.fixture
def reader(db, django_user_model):
    """Staff who may read the record and nothing else."""
    return user_with(django_user_model, "reader", "view_claim", "view_briefing")


def user_with(django_user_model, name: str, *codenames: str):
    user = django_user_model.objects.create_user(name, password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="agencies", codename__in=codenames)
    )
    return django_user_model.objects.get(pk=user.pk)


def bulk_record(n: int, *, prefix: str = "bulk") -> list[m.Claim]:
    """`n` claims made with a handful of bulk inserts: each about an agency and a sub-agency, with a
    supporting line through a via document, a disputing line for every third, and a figure for
    every fifth. Quick enough for a thousand claims."""
    parent = f.AgencyFactory(slug=f"{prefix}-parent")
    child = f.AgencyFactory(slug=f"{prefix}-child", parent=parent)
    outlets = [f.OutletFactory(slug=f"{prefix}-outlet-{i}") for i in range(3)]
    documents = [f.DocumentFactory(slug=f"{prefix}-doc-{i}", outlet=outlets[i % 3]) for i in range(6)]
    anonymous = f.AnonymousSourceFactory(slug=f"{prefix}-anon")
    person = f.SourceFactory(slug=f"{prefix}-person")
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
