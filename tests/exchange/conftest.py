import copy
from pathlib import Path

import pytest
from django.apps import apps

from agencies import models as m
from agencies.exchange import FORMAT, DossierError, dossier_import

FIXTURES = Path(__file__).parent / "fixtures"

_SMALL = {
    "format": FORMAT,
    "agencies": [
        {
            "id": "usps",
            "name": "United States Postal Service",
            "acronym": "USPS",
            "kind": "independent_agency",
        },
        {
            "id": "uspis",
            "name": "United States Postal Inspection Service",
            "acronym": "USPIS",
            "kind": "law_enforcement",
            "parent": "usps",
            "website": "https://example.org/uspis",
            "missions": [
                {"text": "Investigates mail theft.", "document": "uspis-site", "as_of": "2024"},
                {"text": "Investigates mail theft and violent crime.", "as_of": "2025-05"},
            ],
        },
        {
            "id": "dhs",
            "name": "Department of Homeland Security",
            "acronym": "DHS",
            "kind": "executive_department",
        },
    ],
    "outlets": [
        {"id": "daily-beast", "name": "The Daily Beast", "kind": "news"},
        {"id": "wapo", "name": "The Washington Post", "kind": "news"},
    ],
    "documents": [
        {
            "id": "db-article",
            "kind": "article",
            "outlet": "daily-beast",
            "title": "Post office accused of deportation assistance",
            "published": "2025-05",
            "url": "https://example.org/db",
            "authors": ["A. Writer"],
            "cites": ["wapo-report", "uspis-site"],
        },
        {
            "id": "wapo-report",
            "kind": "article",
            "outlet": "wapo",
            "title": "Inspection service to help DHS",
            "published": "2025-05-02",
        },
        {"id": "uspis-site", "kind": "webpage", "title": "USPIS website", "published": "2025"},
    ],
    "sources": [
        {
            "id": "wapo-two-people",
            "kind": "anonymous",
            "description": "two people who spoke on the condition of anonymity",
            "count": 2,
            "reason": "fear of professional reprisals",
            "granted_by": "wapo-report",
            "confidential_notes": "Reached through the secure line; names in the safe.",
        },
        {
            "id": "dhs-official",
            "kind": "official",
            "description": "a senior DHS official",
            "affiliation": "dhs",
        },
        {"id": "homan", "kind": "person", "name": "Tom Homan", "title": "border czar"},
    ],
    "claims": [
        {
            "id": "uspis-enlisted",
            "kind": "role",
            "text": "The administration enlisted USPIS to help DHS deport immigrants.",
            "agencies": ["uspis", "dhs"],
            "made": "2025-05",
            "status": "unverified",
            "attributions": [
                {
                    "document": "db-article",
                    "via": ["wapo-report"],
                    "origin": "wapo-two-people",
                    "stance": "supports",
                    "locator": "para 2",
                },
                {
                    "document": "db-article",
                    "via": ["wapo-report"],
                    "origin": "dhs-official",
                    "stance": "supports",
                    "quote": "a key part",
                },
            ],
        },
        {
            "id": "dhs-seeks-data",
            "kind": "data_access",
            "text": "Immigration officials want access to USPIS surveillance systems.",
            "agencies": ["dhs"],
            "status": "unverified",
            "attributions": [{"document": "db-article", "origin": "wapo-two-people", "stance": "supports"}],
        },
        {
            "id": "homan-count",
            "kind": "figure",
            "text": "139,000 people were deported between January 20 and April 28.",
            "agencies": ["dhs"],
            "made": "2025-04-28",
            "status": "disputed",
            "attributions": [{"document": "db-article", "origin": "homan", "stance": "supports"}],
        },
    ],
    "roles": [
        {
            "id": "uspis-immigration",
            "agency": "uspis",
            "partner": "dhs",
            "summary": "Assisting DHS with immigration enforcement.",
            "category": "immigration_enforcement",
            "status": "reported",
            "first_reported": "2025-05",
            "mission_fit": "outside",
            "rationale": "Its mission is mail crime.",
            "claims": ["uspis-enlisted"],
        }
    ],
    "data_systems": [
        {
            "id": "mail-covers",
            "agency": "uspis",
            "name": "Mail covers",
            "description": "Envelope photographs.",
        },
        {"id": "package-tracking", "agency": "uspis", "name": "Package tracking"},
    ],
    "data_access": [
        {"system": "mail-covers", "seeker": "dhs", "status": "sought", "claims": ["dhs-seeks-data"]},
        {"system": "package-tracking", "seeker": "dhs", "status": "sought", "claims": ["dhs-seeks-data"]},
    ],
    "figures": [
        {
            "id": "homan-139k",
            "claim": "homan-count",
            "metric": "removals",
            "value": 139000,
            "unit": "people",
            "period_start": "2025-01-20",
            "period_end": "2025-04-28",
            "geography": "United States",
            "basis": "press briefing",
        }
    ],
    "comment_requests": [
        {"document": "db-article", "agency": "dhs", "requested": "2025-05", "response": "none"},
    ],
}


def small() -> dict:
    """A valid dossier touching every section: a fresh copy to change at will."""
    return copy.deepcopy(_SMALL)


def record_models() -> list:
    """Every model of the record, history tables included."""
    return list(apps.get_app_config("agencies").get_models())


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in record_models()}


def history_counts() -> dict[str, int]:
    return {label: n for label, n in row_counts().items() if ".Historical" in label}


def import_errors(data, **kwargs) -> list[str]:
    """Import `data`, expecting a rejection; return its errors after checking nothing was written."""
    before = row_counts()
    with pytest.raises(DossierError) as caught:
        dossier_import(data=data, **kwargs)
    assert row_counts() == before
    return caught.value.errors


# Deletion order for wipe_record(): children before what they protect.
_WIPE_ORDER = [
    m.CommentRequest,
    m.Figure,
    m.DataAccessClaim,
    m.DataAccess,
    m.DataSystem,
    m.RoleClaim,
    m.ReportedRole,
    m.AttributionHop,
    m.Attribution,
    m.ClaimAgency,
    m.Claim,
    m.SourceConfidentialNote,
    m.Source,
    m.StatedMission,
    m.Citation,
    m.Document,
    m.Outlet,
]


def wipe_record() -> None:
    """Empty the record (and its history) as a fresh instance would be."""
    for model in _WIPE_ORDER:
        model.objects.all().delete()
    m.Agency.objects.update(parent=None)
    m.Agency.objects.all().delete()
    for model in record_models():
        if ".Historical" in model._meta.label:
            model.objects.all().delete()
    assert not any(row_counts().values())
