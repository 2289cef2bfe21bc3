"""Every changelist runs in a fixed number of queries, whatever the number of rows."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import populate

# The record's admins; the briefings' (agencies.admin.briefing) have their own tests.
REGISTERED = sorted(
    (
        model
        for model, model_admin in admin.site._registry.items()
        if type(model_admin).__module__.startswith("agencies.admin.")
        and type(model_admin).__module__ != "agencies.admin.briefing"
        and model._meta.model_name != "rolechange"  # not the record: tests/trust/test_roles.py
    ),
    key=lambda model: model._meta.model_name,
)

# Search and filters as researchers use them: each must stay flat too.
QUERIES = (
    [(model, "") for model in REGISTERED]
    + [
        (m, query)
        for m in REGISTERED
        if m._meta.model_name == "claim"
        for query in (
            "?q=claim",
            "?evidence=warnings",
            "?evidence=anonymous_only",
            "?evidence=single_outlet",
            "?status=corroborated",
            "?kind__exact=statement",
        )
    ]
    + [(m, "?q=agency") for m in REGISTERED if m._meta.model_name == "agency"]
)


def changelist(client, model, query):
    url = reverse(f"admin:agencies_{model._meta.model_name}_changelist") + query
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:2000]
    return response.context["cl"].result_count, len(queries)


def test_every_model_of_the_record_is_registered():
    names = {model._meta.model_name for model in REGISTERED}
    # Link rows (ClaimAgency, AttributionHop, Citation, RoleClaim, DataAccessClaim) are edited inline.
    assert names == {
        "agency",
        "attribution",
        "claim",
        "commentrequest",
        "dataaccess",
        "datasystem",
        "document",
        "figure",
        "outlet",
        "reportedrole",
        "source",
        "sourceconfidentialnote",
        "statedmission",
    }


@pytest.mark.parametrize(("model", "query"), QUERIES, ids=[f"{m._meta.model_name}{q}" for m, q in QUERIES])
def test_changelist_queries_do_not_grow_with_rows(client, researcher, model, query):
    client.force_login(researcher)
    populate(1)
    rows_small, queries_small = changelist(client, model, query)
    populate(4)
    rows_large, queries_large = changelist(client, model, query)
    assert rows_large > rows_small > 0
    assert queries_large == queries_small
