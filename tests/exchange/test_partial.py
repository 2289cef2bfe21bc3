"""A partial dossier changes only what it names, and its dry run says field by field what it would.

The finding of issue 10: a dossier naming `uspis` with only `name` and `kind` erased USPIS's acronym,
parent, website and stated mission, and the dry run said only "Agencies: update 1".
"""

import io
import json

import pytest
from django.core.management import call_command

from agencies import models as m
from agencies.core.dates import PartialDate
from agencies.exchange import DossierError, dossier_import

from .conftest import history_counts, import_errors, row_counts, small

pytestmark = pytest.mark.django_db

FORMAT = "oversight-dossier/1"


@pytest.fixture
def seeded(db):
    call_command("load_seeds", stdout=io.StringIO())


def uspis_state() -> tuple:
    uspis = m.Agency.objects.get(slug="uspis")
    return (
        uspis.name,
        uspis.acronym,
        uspis.kind,
        uspis.parent.slug,
        uspis.website,
        [(x.text, x.document.slug if x.document else None, x.as_of) for x in uspis.missions.all()],
    )


def test_naming_uspis_with_only_name_and_kind_keeps_the_rest(seeded, tmp_path):
    before, rows, history = uspis_state(), row_counts(), history_counts()
    assert before[1:5] == ("USPIS", "law_enforcement", "usps", "https://www.uspis.gov/") and before[5]
    partial = {
        "format": FORMAT,
        "agencies": [{"id": "uspis", "name": before[0], "kind": "law_enforcement"}],
    }
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(partial))
    out = io.StringIO()
    call_command("import_dossier", str(path), "--dry-run", stdout=out)
    assert "agencies: create 0, update 0" in out.getvalue()
    call_command("import_dossier", str(path), stdout=io.StringIO())
    assert uspis_state() == before
    assert row_counts() == rows and history_counts() == history


def test_the_dry_run_lists_each_field_it_would_change_old_and_new(seeded, tmp_path):
    before = uspis_state()
    partial = {
        "format": FORMAT,
        "agencies": [{"id": "uspis", "name": "U.S. Postal Inspection Service", "acronym": None}],
    }
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(partial))
    out = io.StringIO()
    call_command("import_dossier", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "agencies: create 0, update 1" in text
    assert (
        "  agencies uspis:\n"
        "      name: 'United States Postal Inspection Service' -> 'U.S. Postal Inspection Service'\n"
        "      acronym: 'USPIS' -> (none)\n"
    ) in text
    assert "website" not in text and "parent" not in text and "missions" not in text
    assert uspis_state() == before  # a dry run

    call_command("import_dossier", str(path), stdout=io.StringIO())
    after = uspis_state()
    assert after[:2] == ("U.S. Postal Inspection Service", "")
    assert after[2:] == before[2:]  # kind, parent, website, missions as they were


def test_an_explicit_null_clears_that_field_and_nothing_else(seeded):
    before = uspis_state()
    report = dossier_import(data={"format": FORMAT, "agencies": [{"id": "uspis", "website": None}]})
    assert report.sections["agencies"].updated == 1
    after = uspis_state()
    assert after[4] == "" and after[:4] == before[:4] and after[5] == before[5]


def test_the_dry_run_lists_the_rows_that_would_go(seeded):
    stored = m.Claim.objects.get(slug="uspis-enlisted")
    lines = list(stored.attributions.order_by("position"))
    assert len(lines) >= 2
    kept = lines[0]
    entry = {
        "document": kept.document.slug,
        "via": [h.document.slug for h in kept.hops.order_by("position")],
        "origin": kept.origin.slug,
        "stance": kept.stance,
    }
    if kept.quote:
        entry["quote"] = kept.quote
    if kept.locator:
        entry["locator"] = kept.locator
    data = {
        "format": FORMAT,
        "agencies": [{"id": "uspis", "missions": None}],
        "claims": [{"id": "uspis-enlisted", "attributions": [entry]}],
    }
    rows = row_counts()
    report = dossier_import(data=data, dry_run=True)
    assert row_counts() == rows
    by_key = {(c.section, c.key): c for c in report.changes}
    (missions,) = by_key["agencies", "uspis"].lists
    assert missions.field == "missions" and missions.added == ()
    assert len(missions.removed) == m.StatedMission.objects.filter(agency__slug="uspis").count()
    assert "The Postal Service" in missions.removed[0] and "(in uspis-website)" in missions.removed[0]
    (attributions,) = by_key["claims", "uspis-enlisted"].lists
    assert attributions.added == () and len(attributions.removed) == len(lines) - 1
    assert report.removed == len(missions.removed) + len(attributions.removed)
    assert "(removed)" in report.details()

    dossier_import(data=data)
    assert not m.StatedMission.objects.filter(agency__slug="uspis").exists()
    assert m.Attribution.objects.filter(claim=stored).count() == 1


def test_a_stored_claim_may_be_named_with_one_field():
    dossier_import(data=small())
    claim = m.Claim.objects.get(slug="uspis-enlisted")
    agencies = list(claim.claim_agencies.values_list("agency__slug", flat=True))
    report = dossier_import(
        data={"format": FORMAT, "claims": [{"id": "uspis-enlisted", "status": "corroborated"}]}
    )
    assert report.sections["claims"].updated == 1
    (change,) = report.changes
    assert change.lines() == ["claims uspis-enlisted:", "    status: 'unverified' -> 'corroborated'"]
    claim.refresh_from_db()
    assert claim.status == "corroborated" and claim.text.startswith("The administration")
    assert list(claim.claim_agencies.values_list("agency__slug", flat=True)) == agencies
    assert claim.attributions.count() == 2


def test_a_given_list_replaces_the_stored_one_and_shows_what_comes_and_goes():
    dossier_import(data=small())
    report = dossier_import(
        data={"format": FORMAT, "claims": [{"id": "uspis-enlisted", "agencies": ["dhs"]}]}, dry_run=True
    )
    (change,) = report.changes
    assert change.lines() == ["claims uspis-enlisted:", "    agencies: - uspis (removed)"]
    report = dossier_import(
        data={"format": FORMAT, "claims": [{"id": "uspis-enlisted", "agencies": ["dhs", "uspis"]}]},
        dry_run=True,
    )
    assert report.changes[0].lines() == ["claims uspis-enlisted:", "    agencies: reordered"]


def test_a_foreign_key_change_shows_slugs():
    dossier_import(data=small())
    report = dossier_import(data={"format": FORMAT, "agencies": [{"id": "uspis", "parent": "dhs"}]})
    assert report.changes[0].fields[0].__dict__ == {"field": "parent", "old": "usps", "new": "dhs"}
    assert m.Agency.objects.get(slug="uspis").parent.slug == "dhs"


def test_a_new_entity_must_give_every_required_field():
    data = {"format": FORMAT, "agencies": [{"id": "new-agency", "name": "New"}]}
    assert import_errors(data) == ["agencies[0].kind: required field is missing (a new agency needs it)"]
    data = {"format": FORMAT, "claims": [{"id": "new-claim", "status": "unverified"}]}
    assert import_errors(data) == [
        f"claims[0].{name}: required field is missing (a new claim needs it)"
        for name in ("kind", "text", "agencies", "attributions")
    ]


def test_null_is_refused_where_every_entity_has_a_value():
    dossier_import(data=small())
    errors = import_errors({"format": FORMAT, "claims": [{"id": "uspis-enlisted", "text": None}]})
    assert errors == [
        "claims[0].text: must not be null: every entry has one (leave the field out to keep the stored value)"
    ]


def test_the_rules_apply_to_what_the_entity_will_be():
    dossier_import(data=small())
    # An anonymous source with a stored count cannot become an official and keep it.
    errors = import_errors({"format": FORMAT, "sources": [{"id": "wapo-two-people", "kind": "official"}]})
    assert errors == [
        "sources[0].kind: only an anonymous source has a count: a 'official' source would keep the stored "
        "count 2 (give count: null as well)"
    ]
    dossier_import(
        data={"format": FORMAT, "sources": [{"id": "wapo-two-people", "kind": "official", "count": None}]}
    )
    assert m.Source.objects.get(slug="wapo-two-people").count is None
    # A period end before the stored start.
    errors = import_errors({"format": FORMAT, "figures": [{"id": "homan-139k", "period_end": "2024"}]})
    assert errors == ["figures[0].period_end: The period ends before it starts. (2025-01-20 to 2024)"]
    # A parent cycle through an agency the file names without its parent.
    errors = import_errors(
        {"format": FORMAT, "agencies": [{"id": "usps", "parent": "uspis"}, {"id": "uspis"}]}
    )
    assert errors == ["agencies[0].parent: parent cycle: usps -> uspis -> usps"]


def test_a_partial_entry_in_a_keyed_section():
    dossier_import(data=small())
    report = dossier_import(
        data={
            "format": FORMAT,
            "data_access": [{"system": "mail-covers", "seeker": "dhs", "status": "granted"}],
        }
    )
    assert report.changes[0].lines() == [
        "data_access (mail-covers, dhs):",
        "    status: 'sought' -> 'granted'",
    ]
    access = m.DataAccess.objects.get(system__slug="mail-covers")
    assert access.status == "granted" and access.claims.count() == 1
    errors = import_errors(
        {
            "format": FORMAT,
            "data_access": [{"system": "package-tracking", "seeker": "uspis", "status": "sought"}],
        }
    )
    assert errors == ["data_access[0].claims: required field is missing (a new data access entry needs it)"]


def test_dates_and_numbers_are_shown_as_written():
    dossier_import(data=small())
    report = dossier_import(
        data={
            "format": FORMAT,
            "figures": [{"id": "homan-139k", "value": "139000.5", "period_end": "2025-04"}],
        },
        dry_run=True,
    )
    assert report.changes[0].lines() == [
        "figures homan-139k:",
        "    value: 139000 -> 139000.5",
        "    period_end: 2025-04-28 -> 2025-04",
    ]
    assert m.Figure.objects.get().period_end == PartialDate(2025, 4, 28)


def test_errors_of_a_partial_dossier_write_nothing():
    dossier_import(data=small())
    rows = row_counts()
    with pytest.raises(DossierError):
        dossier_import(
            data={
                "format": FORMAT,
                "agencies": [{"id": "uspis", "acronym": "U"}],
                "claims": [{"id": "uspis-enlisted", "agencies": []}],
            }
        )
    assert row_counts() == rows and m.Agency.objects.get(slug="uspis").acronym == "USPIS"
