"""Admin change forms read a constant number of queries, whatever the number of inline rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db


def _claim_with(n: int) -> m.Claim:
    agencies = [f.AgencyFactory() for _ in range(n)]
    claim = f.ClaimFactory(agencies=agencies)
    for i in range(n):
        cited = f.DocumentFactory()
        f.AttributionFactory(claim=claim, via=[cited, f.DocumentFactory()], position=i)
        f.FigureFactory(claim=claim)
    return claim


def _agency_with(n: int) -> m.Agency:
    agency = f.AgencyFactory()
    for i in range(n):
        m.StatedMission.objects.create(
            agency=agency, text=f"Mission {i}", position=i, document=f.DocumentFactory()
        )
        f.AgencyFactory(parent=agency)
        role = f.ReportedRoleFactory(agency=agency, partner=f.AgencyFactory())
        m.RoleClaim.objects.create(role=role, claim=f.ClaimFactory())
        m.DataSystem.objects.create(slug=f"system-{agency.pk}-{i}", agency=agency, name=f"System {i}")
    return agency


def _document_with(n: int) -> m.Document:
    document = f.DocumentFactory()
    for i in range(n):
        m.Citation.objects.create(citing=document, cited=f.DocumentFactory(), position=i)
        m.Citation.objects.create(citing=f.DocumentFactory(), cited=document)
    return document


def _role_with(n: int) -> m.ReportedRole:
    role = f.ReportedRoleFactory()
    for i in range(n):
        m.RoleClaim.objects.create(role=role, claim=f.ClaimFactory(), position=i)
    return role


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("model", "build"),
    [
        ("claim", _claim_with),
        ("agency", _agency_with),
        ("document", _document_with),
        ("reportedrole", _role_with),
    ],
)
def test_change_form_queries_do_not_grow_with_inline_rows(client, researcher, model, build):
    client.force_login(researcher)
    small, large = build(2), build(10)
    _count(client, reverse(f"admin:agencies_{model}_change", args=[small.pk]))  # caches (content types) warm
    counts = [
        _count(client, reverse(f"admin:agencies_{model}_change", args=[obj.pk])) for obj in (small, large)
    ]
    assert counts[0] == counts[1], counts
