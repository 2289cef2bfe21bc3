"""What the seed's briefings print is pinned: a digest of their data (everything a briefing prints,
public and internal, per agency and for selections of claims). A change to how a briefing is
assembled that changes a word of it fails here; a change meant to change it updates the digest."""

import hashlib
import json

import pytest
from django.core.management import call_command

from agencies.briefings.data import briefing_data

SCOPES = {
    "uspis": {"agencies": ["uspis"]},
    "usps": {"agencies": ["usps"]},
    "dhs": {"agencies": ["dhs"]},
    "ice": {"agencies": ["ice"]},
    "white-house": {"agencies": ["white-house"]},
    "dhs+usps": {"agencies": ["dhs", "usps"]},
    "all-agencies": {"agencies": ["dhs", "usps", "white-house"]},
    "filter-disputed": {"filter": "status=disputed"},
    "filter-uspis": {"filter": "agency=uspis"},
    "filter-all": {"filter": ""},
    "filter-confirmed-corroborated": {"filter": "status=confirmed&status=corroborated"},
    "filter-denial": {"filter": "kind=denial"},
}
SEED_BRIEFINGS = "863c1e66371d388e79cf0a1893d874f920e24069cc4077de1a72c2ff9e2d9d27"


@pytest.mark.django_db
def test_the_seed_briefings_print_what_they_printed():
    call_command("load_seeds", verbosity=0)
    texts = {}
    for name, scope in SCOPES.items():
        for audience in ("public", "internal"):
            data = briefing_data(scope=scope, audience=audience).canonical()
            texts[f"{name}-{audience}.json"] = json.dumps(
                data, indent=1, sort_keys=True, ensure_ascii=False, default=str
            )
    digest = hashlib.sha256()
    for file_name in sorted(texts):
        digest.update(file_name.encode() + b"\0" + texts[file_name].encode() + b"\0")
    assert digest.hexdigest() == SEED_BRIEFINGS
