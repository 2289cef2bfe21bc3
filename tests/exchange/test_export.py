"""Exports: stable order, public or internal, constant queries, and a byte-identical round trip."""

import datetime as dt
import decimal
import io
import json

import pytest
import yaml

from agencies import models as m
from agencies.exchange import (
    SECTIONS,
    dossier_dump,
    dossier_export,
    dossier_import,
    dossier_load,
    dossier_stream,
    exporter,
)
from tests import factories as f

from .conftest import FIXTURES, row_counts, small, wipe_record

pytestmark = pytest.mark.django_db

NOTE = "Reached through the secure line; names in the safe."


def test_public_export_has_no_confidential_notes_and_internal_has_them():
    dossier_import(data=small())
    public = dossier_export()
    assert all("confidential_notes" not in s for s in public["sources"])
    for fmt in ("yaml", "json"):
        text = dossier_dump(public, fmt)
        assert "confidential_notes" not in text and "secure line" not in text
    internal = dossier_export(internal=True)
    notes = {s["id"]: s.get("confidential_notes") for s in internal["sources"]}
    assert notes == {"dhs-official": None, "homan": None, "wapo-two-people": NOTE}


def test_reimporting_a_public_export_keeps_the_notes():
    dossier_import(data=small())
    rows = row_counts()
    report = dossier_import(data=dossier_load(dossier_dump(dossier_export()).encode()))
    assert (report.created, report.updated) == (0, 0)
    assert row_counts() == rows
    assert m.SourceConfidentialNote.objects.get().notes == NOTE


def test_sections_in_page_order_entities_by_id_lists_by_position():
    dhs, ice, cbp = (f.AgencyFactory(slug=s) for s in ("dhs", "ice", "cbp"))
    claim = f.ClaimFactory(slug="b-claim", agencies=[ice, dhs, cbp])
    f.ClaimFactory(slug="a-claim", agencies=[dhs])
    late, early = f.DocumentFactory(slug="z-doc"), f.DocumentFactory(slug="y-doc")
    m.Citation.objects.create(citing=late, cited=early, position=1)
    m.Citation.objects.create(citing=late, cited=f.DocumentFactory(slug="x-doc"), position=0)
    source = f.SourceFactory(slug="s")
    for position, document in ((1, early), (0, late)):
        f.AttributionFactory(
            claim=claim, document=document, origin=source, position=position, via=[early, late]
        )
    data = dossier_export()
    assert list(data) == ["format", *SECTIONS]
    assert [a["id"] for a in data["agencies"]] == ["cbp", "dhs", "ice"]
    assert [c["id"] for c in data["claims"]] == ["a-claim", "b-claim"]
    b_claim = data["claims"][1]
    assert b_claim["agencies"] == ["ice", "dhs", "cbp"]
    assert [a["document"] for a in b_claim["attributions"]] == ["z-doc", "y-doc"]
    assert b_claim["attributions"][0]["via"] == ["y-doc", "z-doc"]
    assert next(d for d in data["documents"] if d["id"] == "z-doc")["cites"] == ["x-doc", "y-doc"]


def test_keyed_sections_sorted_by_their_keys():
    dossier_import(data=small())
    data = dossier_export()
    assert [(a["system"], a["seeker"]) for a in data["data_access"]] == [
        ("mail-covers", "dhs"),
        ("package-tracking", "dhs"),
    ]
    m.CommentRequest.objects.create(
        document=m.Document.objects.get(slug="db-article"), agency=m.Agency.objects.get(slug="usps")
    )
    m.CommentRequest.objects.create(
        document=m.Document.objects.get(slug="wapo-report"), agency=m.Agency.objects.get(slug="dhs")
    )
    assert [(c["document"], c["agency"]) for c in dossier_export()["comment_requests"]] == [
        ("db-article", "dhs"),
        ("db-article", "usps"),
        ("wapo-report", "dhs"),
    ]


def test_dates_are_written_as_text_in_their_precision_and_values_as_numbers():
    dossier_import(data=small())
    data = dossier_export()
    uspis = next(a for a in data["agencies"] if a["id"] == "uspis")
    assert [x["as_of"] for x in uspis["missions"]] == ["2024", "2025-05"]
    assert data["figures"][0]["period_start"] == "2025-01-20"
    assert data["figures"][0]["value"] == 139000 and isinstance(data["figures"][0]["value"], int)
    text = dossier_dump(data)
    assert "as_of: '2024'" in text and "made: 2025-05\n" in text
    assert yaml.safe_load(text)["figures"][0]["period_end"] == "2025-04-28"  # text, not a YAML date


@pytest.mark.parametrize(
    "stored, written", [("0.1", 0.1), ("139000", 139000), ("-2.5", -2.5), ("1234.0500", 1234.05)]
)
def test_values_are_written_as_the_plainest_exact_number(stored, written):
    f.FigureFactory(value=stored)
    value = dossier_export()["figures"][0]["value"]
    assert value == written and type(value) is type(written)


def test_a_value_no_float_holds_exactly_is_written_as_decimal_text():
    assert exporter._number(decimal.Decimal("1234567890123.1234")) == "1234567890123.1234"


def _populate(size: int) -> None:
    dhs = f.AgencyFactory(parent=f.AgencyFactory())
    for n in range(size):
        f.StatedMissionFactory(agency=dhs, position=n, document=f.DocumentFactory())
        claim = f.ClaimFactory(agencies=[dhs])
        anonymous = f.AnonymousSourceFactory(granted_by=f.DocumentFactory())
        m.SourceConfidentialNote.objects.create(source=anonymous, notes=f"note {n}")
        f.AttributionFactory(claim=claim, origin=anonymous, via=[f.DocumentFactory()])
        f.FigureFactory(claim=claim)
        role = f.ReportedRoleFactory(agency=dhs)
        m.RoleClaim.objects.create(role=role, claim=claim)
        system = m.DataSystem.objects.create(slug=f"system-{n}", agency=dhs, name=f"System {n}")
        access = m.DataAccess.objects.create(system=system, seeker=dhs)
        m.DataAccessClaim.objects.create(access=access, claim=claim)
        f.CommentRequestFactory(agency=dhs)
        cited = f.DocumentFactory()
        m.Citation.objects.create(citing=f.DocumentFactory(), cited=cited)


@pytest.mark.parametrize("size", [1, 12])
@pytest.mark.parametrize("internal, queries", [(False, 17), (True, 18)])
def test_export_uses_a_constant_number_of_queries(size, internal, queries, django_assert_num_queries):
    _populate(size)
    with django_assert_num_queries(queries):
        data = dossier_export(internal=internal)
    assert len(data["claims"]) == size


def _round_trip_from(text: str, fmt: str = "yaml") -> tuple[str, str]:
    """Export what the record holds, import it into an empty record, export again."""
    first = dossier_dump(dossier_export(internal=True), fmt)
    wipe_record()
    dossier_import(data=dossier_load(first.encode(), fmt=fmt))
    second = dossier_dump(dossier_export(internal=True), fmt)
    return first, second


def test_round_trip_is_byte_identical():
    dossier_import(data=small())
    _populate(3)
    for fmt in ("yaml", "json"):
        first, second = _round_trip_from("", fmt)
        assert first == second


def test_foreign_dossier_imports_with_what_yaml_meant():
    data = dossier_load(FIXTURES / "foreign.yaml")
    assert data["agencies"][0]["missions"][0]["as_of"] == 2019  # an int, as YAML reads it
    assert data["agencies"][0]["missions"][1]["as_of"] == dt.date(2025, 3, 1)
    report = dossier_import(data=data)
    assert {name: c.created for name, c in report.sections.items()} == {
        "agencies": 6,
        "outlets": 6,
        "documents": 9,
        "sources": 7,
        "claims": 7,
        "roles": 5,
        "data_systems": 2,
        "data_access": 4,
        "figures": 2,
        "comment_requests": 3,
    }
    # Every kind the format names is there.
    assert {a.kind for a in m.Agency.objects.all()} == set(m.AgencyKind.values)
    assert {o.kind for o in m.Outlet.objects.all()} == set(m.OutletKind.values)
    assert {d.kind for d in m.Document.objects.all()} == set(m.DocumentKind.values)
    assert {s.kind for s in m.Source.objects.all()} == set(m.SourceKind.values)
    assert {c.kind for c in m.Claim.objects.all()} == set(m.ClaimKind.values)
    assert {c.status for c in m.Claim.objects.all()} == set(m.ClaimStatus.values)
    assert {r.status for r in m.ReportedRole.objects.all()} == set(m.RoleStatus.values)
    assert {a.status for a in m.DataAccess.objects.all()} == set(m.AccessStatus.values)
    assert {c.response for c in m.CommentRequest.objects.all()} == set(m.CommentResponse.values)

    exported = dossier_export(internal=True)
    treasury = exported["agencies"][-1]
    assert treasury["id"] == "treasury"
    assert [x["as_of"] for x in treasury["missions"]] == ["2019", "2025-03-01"]
    assert treasury["missions"][1]["text"].endswith("enable growth.\n")
    shares = next(c for c in exported["claims"] if c["id"] == "irs-shares-with-immigration")
    assert shares["attributions"][0] == {  # the merge key took the anchor and changed the locator
        "document": "ledger-taxpayer-data",
        "via": ["atlas-irs-agreement"],
        "origin": "two-irs-employees",
        "stance": "supports",
        "quote": "everything, in bulk",
        "locator": "para 1",
    }
    article = next(d for d in exported["documents"] if d["id"] == "ledger-taxpayer-data")
    assert article["authors"] == ["Ana Ruiz", "Lee, Morgan"]
    assert {x["id"]: x["value"] for x in exported["figures"]} == {
        "addresses-shared": 7000.5,
        "eitc-audit-rate": 1.25,
    }
    anonymous = next(s for s in exported["sources"] if s["id"] == "two-irs-employees")
    assert anonymous["confidential_notes"] == "Both reached through the newsroom's secure line."

    assert dossier_import(data=dossier_load(FIXTURES / "foreign.yaml")).updated == 0


def test_foreign_dossier_round_trips_byte_identical():
    dossier_import(data=dossier_load(FIXTURES / "foreign.yaml"))
    first, second = _round_trip_from("")
    assert first == second
    assert "confidential_notes: Both reached" in first


def test_json_and_yaml_say_the_same():
    dossier_import(data=dossier_load(FIXTURES / "foreign.yaml"))
    as_yaml = dossier_dump(dossier_export())
    as_json = dossier_dump(dossier_export(), "json")
    assert dossier_load(as_yaml.encode()) == dossier_load(as_json.encode()) == json.loads(as_json)
    wipe_record()
    dossier_import(data=dossier_load(as_json.encode()))
    assert dossier_dump(dossier_export()) == as_yaml


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("internal", [False, True])
def test_the_streamed_export_is_the_dumped_one(fmt, internal, monkeypatch):
    """Written piece by piece (here two entries at a time), the text is the whole dump's."""
    dossier_import(data=dossier_load(FIXTURES / "foreign.yaml"))
    _populate(3)
    monkeypatch.setattr(exporter, "CHUNK", 2)
    chunks = list(dossier_stream(internal=internal, fmt=fmt))
    assert len(chunks) > len(SECTIONS)
    assert "".join(chunks) == dossier_dump(dossier_export(internal=internal), fmt)


def test_a_row_written_meanwhile_under_an_owner_the_export_passed_is_skipped():
    """Nested rows are matched to their owners as both go by: one whose owner came and went is
    passed over, and the next owner's rows are still found."""
    rows = iter([{"k": "a"}, {"k": "b"}, {"k": "d"}])
    children = exporter._Children(rows, ["k"])
    assert children.take(("a",)) == [{"k": "a"}]
    assert children.take(("c",)) == []
    assert children.take(("d",)) == [{"k": "d"}]


def test_dump_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="unknown dossier format 'xml'"):
        dossier_dump({"format": "oversight-dossier/1"}, "xml")


def test_round_trip_after_partial_updates_is_byte_identical():
    """Partial entries change the record; its export still reads back into an empty one unchanged."""
    dossier_import(data=small())
    dossier_import(
        data={
            "format": "oversight-dossier/1",
            "agencies": [{"id": "uspis", "acronym": None, "missions": [{"text": "Only this now."}]}],
            "claims": [{"id": "uspis-enlisted", "status": "corroborated", "made": None}],
            "sources": [{"id": "wapo-two-people", "confidential_notes": None}],
        }
    )
    for fmt in ("yaml", "json"):
        first, second = _round_trip_from("", fmt)
        assert first == second
        assert "acronym: USPIS" not in first and "Only this now." in first


def test_the_seed_round_trips_through_the_commands(tmp_path):
    from django.core.management import call_command

    call_command("load_seeds", stdout=io.StringIO())
    first = tmp_path / "first.yaml"
    call_command("export_dossier", "--output", str(first), stdout=io.StringIO())
    wipe_record()
    call_command("import_dossier", str(first), stdout=io.StringIO())
    second = tmp_path / "second.yaml"
    call_command("export_dossier", "--output", str(second), stdout=io.StringIO())
    assert first.read_text() == second.read_text()
