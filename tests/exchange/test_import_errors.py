"""Every way a dossier is rejected: each error names its place, all are reported, nothing is written."""

import datetime as dt

import pytest

from agencies import models as m
from agencies.exchange import dossier_import, dossier_load
from tests import factories as f

from .conftest import import_errors, row_counts, small

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def existing_record():
    """Some rows already there, so that "nothing written" is checked against a non-empty record."""
    f.ClaimFactory(slug="stored-claim", agencies=[f.AgencyFactory(slug="stored-agency")])


def _set(path, value):
    def change(data):
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _delete(path):
    def change(data):
        target = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return change


def _rename(path, new):
    def change(data):
        target = data
        for part in path[:-1]:
            target = target[part]
        target[new] = target.pop(path[-1])

    return change


def _append(path, value):
    def change(data):
        target = data
        for part in path:
            target = target[part]
        target.append(value)

    return change


KINDS = ", ".join(f"'{k}'" for k in m.AgencyKind.values[:-1]) + " or 'other'"

CASES = [
    # unknown references
    (
        _set(("claims", 0, "attributions", 1, "origin"), "wapo-insiders"),
        "claims[0].attributions[1].origin: unknown source 'wapo-insiders'",
    ),
    (
        _set(("claims", 0, "attributions", 0, "via"), ["nope"]),
        "claims[0].attributions[0].via[0]: unknown document 'nope'",
    ),
    (_set(("claims", 1, "agencies"), ["dhs", "fbi"]), "claims[1].agencies[1]: unknown agency 'fbi'"),
    (_set(("agencies", 1, "parent"), "post-office"), "agencies[1].parent: unknown agency 'post-office'"),
    (
        _set(("agencies", 1, "missions", 0, "document"), "x"),
        "agencies[1].missions[0].document: unknown document 'x'",
    ),
    (_set(("documents", 0, "outlet"), "nyt"), "documents[0].outlet: unknown outlet 'nyt'"),
    (
        _set(("sources", 0, "granted_by"), "nyt-report"),
        "sources[0].granted_by: unknown document 'nyt-report'",
    ),
    (_set(("roles", 0, "claims"), ["uspis-enlisted", "ghost"]), "roles[0].claims[1]: unknown claim 'ghost'"),
    (
        _set(("data_access", 0, "system"), "ghost-system"),
        "data_access[0].system: unknown data system 'ghost-system'",
    ),
    (_set(("figures", 0, "claim"), "ghost"), "figures[0].claim: unknown claim 'ghost'"),
    (_set(("comment_requests", 0, "agency"), "ice"), "comment_requests[0].agency: unknown agency 'ice'"),
    # unknown fields and sections: a typo never drops data
    (
        _rename(("documents", 0, "published"), "publshed"),
        "documents[0].publshed: unknown field (did you mean 'published'?)",
    ),
    (_set(("agencis",), []), "agencis: unknown section (did you mean 'agencies'?)"),
    (_set(("claims", 0, "attributions", 0, "page"), 3), "claims[0].attributions[0].page: unknown field"),
    (_set(("agencies", 0, 1), "x"), "agencies[0]: keys must be text, got 1"),
    # required fields, types
    (_delete(("claims", 1, "text")), "claims[1].text: required field is missing"),
    (
        _delete(("claims", 0, "attributions", 0, "origin")),
        "claims[0].attributions[0].origin: required field is missing",
    ),
    (_set(("agencies", 0, "name"), 42), "agencies[0].name: expected text, got 42"),
    (_set(("agencies", 0, "name"), ""), "agencies[0].name: must not be empty"),
    (_set(("agencies", 0, "name"), "US\x00PS"), "agencies[0].name: contains a NUL character"),
    (
        _set(("outlets", 0, "name"), True),
        "outlets[0].name: expected text, got True (YAML reads yes/no/on/off as true/false: quote the text)",
    ),
    (_set(("sources", 0, "count"), "2"), "sources[0].count: expected a whole number, got '2'"),
    (_set(("sources", 0, "count"), 0), "sources[0].count: expected greater than or equal to 1, got 0"),
    (_set(("claims",), {"id": "x"}), "claims: expected a list, got a mapping"),
    (_set(("agencies", 0), "usps"), "agencies[0]: expected a mapping, got 'usps'"),
    (
        _set(("documents", 0, "cites"), "wapo-report"),
        "documents[0].cites: expected a list, got 'wapo-report'",
    ),
    (
        _set(("agencies", 0, "acronym"), "X" * 31),
        "agencies[0].acronym: 31 characters: at most 30 are allowed",
    ),
    # enumerations, ids, slugs
    (_set(("agencies", 0, "kind"), "ministry"), f"agencies[0].kind: expected {KINDS}, got 'ministry'"),
    (
        _set(("claims", 0, "attributions", 0, "stance"), "agrees"),
        "claims[0].attributions[0].stance: expected 'supports', 'disputes' or 'mentions', got 'agrees'",
    ),
    (
        _set(("outlets", 1, "id"), "Washington Post"),
        "outlets[1].id: 'Washington Post' is not a valid id: use a-z, 0-9 and hyphens (at most 100), "
        "starting with a letter or digit",
    ),
    (_set(("outlets", 1, "id"), "-wapo"), "outlets[1].id: '-wapo' is not a valid id"),
    (
        _set(("roles", 0, "category"), "immigration enforcement"),
        "roles[0].category: 'immigration enforcement' is not a slug: use letters, digits, '_' and '-'",
    ),
    # duplicates
    (
        _append(("outlets",), {"id": "daily-beast", "name": "Again", "kind": "news"}),
        "outlets[2].id: duplicate id 'daily-beast' (first at outlets[0])",
    ),
    (
        _set(("data_access", 1, "system"), "mail-covers"),
        "data_access[1]: duplicate entry for (mail-covers, dhs) (first at data_access[0])",
    ),
    (
        _append(("comment_requests",), {"document": "db-article", "agency": "dhs", "response": "declined"}),
        "comment_requests[1]: duplicate entry for (db-article, dhs) (first at comment_requests[0])",
    ),
    (
        _set(("claims", 0, "agencies"), ["uspis", "uspis"]),
        "claims[0].agencies: Listed more than once: uspis.",
    ),
    (
        _set(("roles", 0, "claims"), ["uspis-enlisted"] * 2),
        "roles[0].claims: Listed more than once: uspis-enlisted.",
    ),
    (
        _append(("documents", 0, "cites"), "db-article"),
        "documents[0].cites: db-article cannot cite itself.",
    ),
    (
        _set(("claims", 0, "attributions", 0, "via"), ["db-article"]),
        "claims[0].attributions[0].via: db-article is the document the claim appears in: it cannot also be "
        "a via.",
    ),
    (
        _set(("claims", 0, "attributions", 0, "via"), ["wapo-report", "wapo-report"]),
        "claims[0].attributions[0].via: Listed more than once: wapo-report.",
    ),
    # hierarchy
    (_set(("agencies", 0, "parent"), "uspis"), "agencies[0].parent: parent cycle: usps -> uspis -> usps"),
    (_set(("agencies", 2, "parent"), "dhs"), "agencies[2].parent: parent cycle: dhs -> dhs"),
    # rules of the record
    (
        _set(("sources", 1, "count"), 3),
        "sources[1].count: only an anonymous source has a count (this one is 'official')",
    ),
    (_set(("claims", 1, "agencies"), []), "claims[1].agencies: A claim is about at least one agency."),
    (
        _set(("claims", 1, "attributions"), None),
        "claims[1].attributions: a claim needs at least one attribution",
    ),
    (_set(("roles", 0, "claims"), []), "roles[0].claims: A role rests on at least one claim."),
    (
        _set(("data_access", 0, "claims"), []),
        "data_access[0].claims: Data access rests on at least one claim.",
    ),
    # dates
    (
        _set(("claims", 0, "made"), "May 2025"),
        "claims[0].made: expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got 'May 2025'",
    ),
    (_set(("claims", 0, "made"), "2025-13"), "claims[0].made: month 13 does not exist"),
    (_set(("documents", 1, "published"), "2025-02-30"), "documents[1].published: 2025-02 has no day 30"),
    (
        _set(("claims", 0, "made"), dt.datetime(2025, 5, 1, 10, 30)),
        "claims[0].made: expected a date, got a date and time '2025-05-01T10:30:00'",
    ),
    (_set(("claims", 0, "made"), 25), "claims[0].made: expected a four-digit year, got 25"),
    (
        _set(("claims", 0, "made"), 2025.5),
        "claims[0].made: expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got float",
    ),
    (_delete(("figures", 0, "period_start")), "figures[0].period_start: required field is missing"),
    (
        _set(("figures", 0, "period_end"), None),
        "figures[0].period_end: a date is required: YYYY, YYYY-MM or YYYY-MM-DD",
    ),
    (
        _set(("figures", 0, "period_end"), "2024-12"),
        "figures[0].period_end: The period ends before it starts. (2025-01-20 to 2024-12)",
    ),
    # URLs
    (_set(("documents", 0, "url"), "not a url"), "documents[0].url: 'not a url' is not a valid URL"),
    (
        _set(("agencies", 1, "website"), "javascript:alert(1)"),
        "agencies[1].website: 'javascript:alert(1)' is not a valid URL",
    ),
    # figures
    (_set(("figures", 0, "value"), "lots"), "figures[0].value: expected a number, got 'lots'"),
    (_set(("figures", 0, "value"), True), "figures[0].value: expected a number, got True"),
    (_set(("figures", 0, "value"), float("nan")), "figures[0].value: expected a finite number, got nan"),
    (_set(("figures", 0, "value"), 1.23456), "figures[0].value: 1.23456 has more than 4 decimal places"),
    (
        _set(("figures", 0, "value"), "1234567890123.0001"),
        "figures[0].value: '1234567890123.0001' has more than 15 significant digits",
    ),
    (
        _set(("figures", 0, "value"), 10**17),
        "figures[0].value: 100000000000000000 is too large: at most 16 digits before the decimal point",
    ),
]


@pytest.mark.parametrize(
    "change, expected", CASES, ids=[c[1].split(":")[0] + " " + c[1][-30:] for c in CASES]
)
def test_each_error_names_its_place_and_nothing_is_written(change, expected):
    data = small()
    change(data)
    errors = import_errors(data)
    assert any(error == expected or error.startswith(expected) for error in errors), errors
    assert not any("Traceback" in error for error in errors)


def test_the_format_line_is_required_and_exact():
    data = small()
    del data["format"]
    assert import_errors(data) == ["format: required field is missing: expected 'oversight-dossier/1'"]
    data["format"] = "oversight-dossier/2"
    assert import_errors(data) == ["format: expected 'oversight-dossier/1', got 'oversight-dossier/2'"]


@pytest.mark.parametrize("value", [[small()], "format: oversight-dossier/1", None, 7])
def test_top_level_must_be_a_mapping(value):
    errors = import_errors(value)
    assert len(errors) == 1
    assert errors[0].startswith("(top level): expected a mapping with 'format: oversight-dossier/1', got")


def test_every_error_is_reported_in_file_order():
    data = small()
    data["comment_requests"][0]["response"] = "maybe"
    data["claims"][0]["attributions"][1]["origin"] = "wapo-insiders"
    data["agencies"][1]["website"] = "nope"
    data["documents"][0]["publshed"] = data["documents"][0].pop("published")
    data["figures"][0]["period_start"] = "2025-02-30"
    data["sources"][2]["count"] = 1
    assert import_errors(data) == [
        "agencies[1].website: 'nope' is not a valid URL",
        "documents[0].publshed: unknown field (did you mean 'published'?)",
        "sources[2].count: only an anonymous source has a count (this one is 'person')",
        "claims[0].attributions[1].origin: unknown source 'wapo-insiders'",
        "figures[0].period_start: 2025-02 has no day 30",
        "comment_requests[0].response: expected 'none', 'declined' or 'responded', got 'maybe'",
    ]


def test_an_invalid_entity_is_reported_once_not_again_by_every_reference_to_it():
    data = small()
    data["agencies"][2]["kind"] = "ministry"  # dhs, referenced from many places
    assert import_errors(data) == [f"agencies[2].kind: expected {KINDS}, got 'ministry'"]


def test_references_may_point_at_what_the_database_already_holds():
    data = small()
    data["claims"][0]["agencies"].append("stored-agency")
    data["roles"][0]["claims"].append("stored-claim")
    dossier_import(data=data)
    role = m.ReportedRole.objects.get(slug="uspis-immigration")
    assert [c.slug for c in role.claims.order_by("role_claims__position")] == [
        "uspis-enlisted",
        "stored-claim",
    ]


def test_a_parent_cycle_through_stored_agencies_is_refused():
    child = f.AgencyFactory(slug="field-office", parent=f.AgencyFactory(slug="bureau"))
    assert child.parent.parent is None
    data = small()
    data["agencies"].append({"id": "bureau", "name": "Bureau", "kind": "component", "parent": "field-office"})
    assert import_errors(data) == ["agencies[3].parent: parent cycle: bureau -> field-office -> bureau"]


def test_confidential_notes_are_never_echoed_in_errors():
    data = small()
    data["sources"][0]["confidential_notes"] = ["Jane Roe", "555-0100"]
    data["sources"][1]["confidentail_notes"] = "John Doe, desk 4"
    errors = import_errors(data)
    assert errors == [
        "sources[0].confidential_notes: expected text",
        "sources[1].confidentail_notes: unknown field (did you mean 'confidential_notes'?)",
    ]
    assert not any("Jane" in e or "555" in e or "John" in e for e in errors)


def test_unquoted_impossible_yaml_date_is_named():
    text = b"""format: oversight-dossier/1
documents:
  - id: d
    kind: article
    title: T
    published: 2025-02-30
  - id: e
    kind: article
    title: T
    published: 2025-05-01 10:00:00
"""
    assert import_errors(dossier_load(text)) == [
        "documents[0].published: 2025-02 has no day 30",
        "documents[1].published: expected a date, got a date and time '2025-05-01T10:00:00'",
    ]


def test_dry_run_reports_the_same_errors():
    data = small()
    data["claims"][0]["attributions"][1]["origin"] = "wapo-insiders"
    assert import_errors(data, dry_run=True) == [
        "claims[0].attributions[1].origin: unknown source 'wapo-insiders'"
    ]


def test_an_empty_dossier_is_valid_and_changes_nothing():
    before = row_counts()
    report = dossier_import(data={"format": "oversight-dossier/1"})
    assert (report.created, report.updated) == (0, 0)
    assert row_counts() == before
