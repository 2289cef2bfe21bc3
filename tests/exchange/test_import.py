"""What an accepted dossier does to the record: creates, updates from the file, and nothing more."""

import decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies import models as m
from agencies.core.dates import PartialDate
from agencies.exchange import CHANGE_REASON, DossierError, dossier_import
from tests import factories as f

from .conftest import history_counts, row_counts, small

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes_in(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_first_import_creates_everything_with_its_order_and_precision():
    report = dossier_import(data=small())
    assert {name: (c.created, c.updated) for name, c in report.sections.items()} == {
        "agencies": (3, 0),
        "outlets": (2, 0),
        "documents": (3, 0),
        "sources": (3, 0),
        "claims": (3, 0),
        "roles": (1, 0),
        "data_systems": (2, 0),
        "data_access": (2, 0),
        "figures": (1, 0),
        "comment_requests": (1, 0),
    }
    uspis = m.Agency.objects.get(slug="uspis")
    assert uspis.parent.slug == "usps"
    assert [(x.text, x.as_of, x.position) for x in uspis.missions.all()] == [
        ("Investigates mail theft.", PartialDate(2024), 0),
        ("Investigates mail theft and violent crime.", PartialDate(2025, 5), 1),
    ]
    article = m.Document.objects.get(slug="db-article")
    assert article.published.precision == "month"
    assert [c.cited.slug for c in article.citations.order_by("position")] == ["wapo-report", "uspis-site"]
    claim = m.Claim.objects.get(slug="uspis-enlisted")
    assert [a.agency.slug for a in claim.claim_agencies.order_by("position")] == ["uspis", "dhs"]
    chains = [
        (a.document.slug, [h.document.slug for h in a.hops.all()], a.origin.slug, a.quote)
        for a in claim.attributions.order_by("position")
    ]
    assert chains == [
        ("db-article", ["wapo-report"], "wapo-two-people", ""),
        ("db-article", ["wapo-report"], "dhs-official", "a key part"),
    ]
    figure = m.Figure.objects.get(slug="homan-139k")
    assert figure.value == decimal.Decimal("139000") and figure.period_end == PartialDate(2025, 4, 28)
    note = m.SourceConfidentialNote.objects.get(source__slug="wapo-two-people")
    assert note.notes.startswith("Reached through the secure line")
    access = m.DataAccess.objects.get(system__slug="mail-covers", seeker__slug="dhs")
    assert [c.slug for c in access.claims.all()] == ["dhs-seeks-data"]


def test_history_records_who_and_why(researcher):
    dossier_import(data=small(), actor=researcher)
    for model in (
        m.Agency,
        m.StatedMission,
        m.Claim,
        m.Attribution,
        m.AttributionHop,
        m.SourceConfidentialNote,
    ):
        records = list(model.history.all())
        assert records
        assert {(r.history_user_id, r.history_change_reason, r.history_type) for r in records} == {
            (researcher.pk, CHANGE_REASON, "+")
        }


def test_importing_the_same_file_twice_changes_nothing_the_second_time():
    dossier_import(data=small())
    rows, history = row_counts(), history_counts()
    stamps = {a.slug: a.updated_at for a in m.Agency.objects.all()}
    with CaptureQueriesContext(connection) as queries:
        report = dossier_import(data=small())
    assert (report.created, report.updated) == (0, 0)
    assert writes_in(queries.captured_queries) == []
    assert row_counts() == rows
    assert history_counts() == history
    assert {a.slug: a.updated_at for a in m.Agency.objects.all()} == stamps


def test_float_and_decimal_text_values_are_idempotent():
    data = small()
    data["figures"][0]["value"] = 0.1
    dossier_import(data=data)
    assert m.Figure.objects.get().value == decimal.Decimal("0.1")
    data["figures"][0]["value"] = "0.1000"
    assert dossier_import(data=data).updated == 0


def test_dry_run_writes_nothing_and_counts_what_would_change():
    before = row_counts()
    with CaptureQueriesContext(connection) as queries:
        report = dossier_import(data=small(), dry_run=True)
    assert writes_in(queries.captured_queries) == []
    assert row_counts() == before
    assert report.dry_run and report.created == 21 and report.updated == 0
    assert "Dry run: nothing was written" in report.summary()
    assert "  agencies: create 3, update 0" in report.summary()

    dossier_import(data=small())
    changed = small()
    changed["agencies"][0]["name"] = "U.S. Postal Service"
    before = row_counts()
    dry = dossier_import(data=changed, dry_run=True)
    assert row_counts() == before
    real = dossier_import(data=changed)
    assert dry.sections == real.sections
    assert real.sections["agencies"].updated == 1


def test_update_from_the_file(researcher):
    dossier_import(data=small())
    history = history_counts()
    data = small()
    data["agencies"][0]["name"] = "U.S. Postal Service"  # a scalar
    data["agencies"][1]["missions"].append(
        {"text": "Protects the mail from immigration enforcement?", "as_of": 2026}
    )
    data["agencies"][2]["parent"] = "usps"  # a new parent link
    data["documents"][0]["cites"] = ["uspis-site"]  # a list shrinks
    data["claims"][0]["agencies"] = ["dhs", "uspis"]  # reordered
    data["claims"][0]["attributions"][0]["via"] = []  # a hop removed
    data["roles"][0]["claims"] = ["dhs-seeks-data", "uspis-enlisted"]
    data["data_access"][1]["status"] = "granted"
    data["data_access"][0]["claims"].append("uspis-enlisted")
    data["comment_requests"][0]["response"] = "declined"
    data["figures"][0]["value"] = 139000.5
    data["sources"][0]["confidential_notes"] = "Now reached by post only."

    report = dossier_import(data=data, actor=researcher)

    assert {
        name: (c.created, c.updated) for name, c in report.sections.items() if c.created or c.updated
    } == {
        "agencies": (0, 3),
        "documents": (0, 1),
        "sources": (0, 1),
        "claims": (0, 1),
        "roles": (0, 1),
        "data_access": (0, 2),
        "figures": (0, 1),
        "comment_requests": (0, 1),
    }
    assert m.Agency.objects.get(slug="usps").name == "U.S. Postal Service"
    assert m.Agency.objects.get(slug="dhs").parent.slug == "usps"
    assert [x.as_of for x in m.StatedMission.objects.filter(agency__slug="uspis").order_by("position")] == [
        PartialDate(2024),
        PartialDate(2025, 5),
        PartialDate(2026),
    ]
    assert list(
        m.Citation.objects.filter(citing__slug="db-article").values_list("cited__slug", flat=True)
    ) == ["uspis-site"]
    claim = m.Claim.objects.get(slug="uspis-enlisted")
    assert [a.agency.slug for a in claim.claim_agencies.order_by("position")] == ["dhs", "uspis"]
    assert [a.hops.count() for a in claim.attributions.order_by("position")] == [0, 1]
    assert list(
        m.RoleClaim.objects.filter(role__slug="uspis-immigration")
        .order_by("position")
        .values_list("claim__slug", flat=True)
    ) == ["dhs-seeks-data", "uspis-enlisted"]
    assert m.DataAccess.objects.get(system__slug="package-tracking").status == "granted"
    assert m.CommentRequest.objects.get().response == "declined"
    assert m.Figure.objects.get().value == decimal.Decimal("139000.5")
    assert m.SourceConfidentialNote.objects.get().notes == "Now reached by post only."

    # Only what changed got a history row, each saying who and why.
    grown = {label: n - history[label] for label, n in history_counts().items() if n != history[label]}
    assert grown == {
        "agencies.HistoricalAgency": 2,  # usps renamed, dhs re-parented; uspis only gained a mission
        "agencies.HistoricalStatedMission": 5,  # two stored missions replaced by three
        "agencies.HistoricalCitation": 3,  # two removed, one written
        "agencies.HistoricalClaimAgency": 4,
        "agencies.HistoricalAttribution": 4,
        "agencies.HistoricalAttributionHop": 3,  # two removed, one written
        "agencies.HistoricalRoleClaim": 3,
        "agencies.HistoricalDataAccess": 1,
        "agencies.HistoricalDataAccessClaim": 3,
        "agencies.HistoricalCommentRequest": 1,
        "agencies.HistoricalFigure": 1,
        "agencies.HistoricalSourceConfidentialNote": 1,
    }
    newest = m.Agency.history.filter(slug="usps").latest("history_date")
    assert (newest.history_type, newest.history_user, newest.history_change_reason) == (
        "~",
        researcher,
        CHANGE_REASON,
    )
    removed = m.Citation.history.filter(history_type="-")
    assert removed.count() == 2 and {r.history_change_reason for r in removed} == {CHANGE_REASON}
    assert {r.history_user for r in removed} == {researcher}

    # And the changed file, imported again, changes nothing.
    history = history_counts()
    assert dossier_import(data=data).updated == 0
    assert history_counts() == history


def test_fields_and_lists_the_file_leaves_out_keep_their_stored_values():
    dossier_import(data=small())
    history = history_counts()
    data = small()
    del data["agencies"][1]["website"]
    del data["agencies"][1]["missions"]
    del data["claims"][0]["made"]
    del data["claims"][0]["attributions"]
    assert dossier_import(data=data).updated == 0
    uspis = m.Agency.objects.get(slug="uspis")
    assert uspis.website == "https://example.org/uspis" and uspis.missions.count() == 2
    claim = m.Claim.objects.get(slug="uspis-enlisted")
    assert claim.made == PartialDate(2025, 5) and claim.attributions.count() == 2
    assert history_counts() == history


def test_explicit_nulls_clear_fields_and_lists():
    dossier_import(data=small())
    data = small()
    data["agencies"][1]["website"] = None
    data["agencies"][1]["missions"] = None
    data["claims"][0]["made"] = None
    dossier_import(data=data)
    uspis = m.Agency.objects.get(slug="uspis")
    assert uspis.website == "" and not uspis.missions.exists()
    assert uspis.acronym == "USPIS" and uspis.parent.slug == "usps"
    assert m.Claim.objects.get(slug="uspis-enlisted").made is None


def test_entities_the_file_does_not_name_are_left_alone():
    bystander = f.ClaimFactory(slug="bystander", agencies=[f.AgencyFactory(slug="fbi")])
    dossier_import(data=small())
    data = small()
    data["claims"] = data["claims"][:1]
    data["claims"][0]["text"] = "Changed."
    dossier_import(data=data)
    assert m.Claim.objects.filter(slug__in=["dhs-seeks-data", "homan-count", "bystander"]).count() == 3
    bystander.refresh_from_db()
    assert bystander.text.startswith("Claim number") and bystander.agencies.get().slug == "fbi"


def test_confidential_notes_left_out_stay_and_null_removes_them(researcher):
    dossier_import(data=small())
    data = small()
    del data["sources"][0]["confidential_notes"]
    history = history_counts()
    assert dossier_import(data=data).updated == 0
    assert history_counts() == history
    assert m.SourceConfidentialNote.objects.get().notes.startswith("Reached through the secure line")
    data["sources"][0]["confidential_notes"] = None
    dry = dossier_import(data=data, dry_run=True)
    (change,) = dry.changes
    assert change.lines() == [
        "sources wapo-two-people:",
        "    confidential_notes: - the confidential note (not shown) (removed)",
    ]
    assert "Reached" not in dry.details()
    assert dossier_import(data=data, actor=researcher).updated == 1
    assert not m.SourceConfidentialNote.objects.exists()
    removed = m.SourceConfidentialNote.history.get(history_type="-")
    assert (removed.history_user, removed.history_change_reason) == (researcher, CHANGE_REASON)


def test_a_note_for_a_stored_source_without_one_is_created():
    dossier_import(data=small())
    data = small()
    data["sources"][1]["confidential_notes"] = "Speaks for the deputy secretary."
    report = dossier_import(data=data)
    assert report.sections["sources"].updated == 1
    assert (
        m.SourceConfidentialNote.objects.get(source__slug="dhs-official").notes
        == "Speaks for the deputy secretary."
    )


def test_keyed_sections_update_in_place():
    dossier_import(data=small())
    access = m.DataAccess.objects.get(system__slug="mail-covers")
    data = small()
    data["data_access"][0]["status"] = "refused"
    data["comment_requests"][0]["response_text"] = "No comment."
    report = dossier_import(data=data)
    assert report.sections["data_access"] == report.sections["data_access"].__class__(created=0, updated=1)
    assert m.DataAccess.objects.get(pk=access.pk).status == "refused"
    assert m.CommentRequest.objects.get().response_text == "No comment."


def test_new_agencies_may_hang_under_new_agencies_in_any_order():
    data = {
        "format": "oversight-dossier/1",
        "agencies": [
            {"id": "field-office", "name": "Field office", "kind": "component", "parent": "bureau"},
            {"id": "bureau", "name": "Bureau", "kind": "component", "parent": "department"},
            {"id": "department", "name": "Department", "kind": "executive_department"},
        ],
    }
    dossier_import(data=data)
    assert m.Agency.objects.get(slug="field-office").parent.parent.slug == "department"
    assert m.Agency.history.filter(history_type="~").count() == 0  # created with their parents, no fix-up


def _many_claims(count: int) -> dict:
    data = small()
    for n in range(count):
        data["claims"].append(
            {
                "id": f"extra-{n}",
                "kind": "statement",
                "text": f"Statement {n}.",
                "agencies": ["dhs", "uspis"],
                "made": "2025",
                "status": "unverified",
                "attributions": [
                    {
                        "document": "db-article",
                        "via": ["wapo-report"],
                        "origin": "dhs-official",
                        "stance": "supports",
                    }
                ],
            }
        )
        data["figures"].append(
            {
                "id": f"extra-figure-{n}",
                "claim": f"extra-{n}",
                "metric": "removals",
                "value": n,
                "unit": "people",
                "period_start": "2025",
                "period_end": "2025",
            }
        )
    return data


def test_import_queries_do_not_grow_with_the_number_of_entities():
    counts = []
    for size in (2, 40):
        with CaptureQueriesContext(connection) as first:
            dossier_import(data=_many_claims(size))
        with CaptureQueriesContext(connection) as again:
            dossier_import(data=_many_claims(size))
        counts.append((len(first), len(again)))
        from .conftest import wipe_record

        wipe_record()
    assert counts[0] == counts[1]
    assert counts[0][0] < 100 and counts[0][1] < 40


def test_the_history_reason_may_be_given(researcher):
    """The intake records "intake" as the reason of what it imports, for creations, updates and deletions."""
    dossier_import(data=small(), actor=researcher, reason="intake")
    assert {r.history_change_reason for r in m.Claim.history.all()} == {"intake"}
    data = small()
    data["documents"][0]["cites"] = ["uspis-site"]
    data["claims"][0]["text"] = "Reworded."
    dossier_import(data=data, actor=researcher, reason="intake")
    assert m.Claim.history.filter(history_type="~").get().history_change_reason == "intake"
    assert {r.history_change_reason for r in m.Citation.history.filter(history_type="-")} == {"intake"}
    for reason in ("", "x" * 101):
        with pytest.raises(DossierError) as caught:
            dossier_import(data=small(), reason=reason)
        assert caught.value.errors[0].startswith("(reason): ")
