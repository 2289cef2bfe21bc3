"""agencies.core.bulk.create_with_history and insert_with_history: COPY on PostgreSQL, bulk_create
elsewhere, the same rows and history either way (the suite runs on both)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies import models as m
from agencies.core.bulk import create_with_history, insert_with_history
from tests import factories as f

pytestmark = pytest.mark.django_db

CANARY = "the-canary-lives-at-12-elm-street"


@pytest.fixture
def importer(django_user_model):
    return django_user_model.objects.create(username="importer")


def test_rows_come_back_with_pks_and_one_history_row_each(importer):
    outlets = create_with_history(
        [m.Outlet(slug=f"o{n}", name=f"Outlet {n}") for n in range(3)], m.Outlet, user=importer, reason="why"
    )
    assert [o.pk for o in outlets] == sorted(o.pk for o in outlets) and all(o.pk for o in outlets)
    stored = {o.pk: o for o in m.Outlet.objects.all()}
    assert {pk: o.slug for pk, o in stored.items()} == {o.pk: o.slug for o in outlets}
    assert all(o.created_at and o.updated_at and o.kind == m.OutletKind.NEWS for o in stored.values())
    assert not any(o._state.adding for o in outlets)

    history = m.Outlet.history.all()
    assert sorted(
        (h.id, h.slug, h.history_type, h.history_user_id, h.history_change_reason) for h in history
    ) == [(o.pk, o.slug, "+", importer.pk, "why") for o in outlets]
    # The sequence moved past the ids taken: an ordinary save gets a fresh one.
    assert m.Outlet.objects.create(slug="later", name="Later").pk > max(stored)


def test_children_point_at_the_rows_created_before_them(importer):
    outlet = create_with_history([m.Outlet(slug="o", name="O")], m.Outlet, user=importer)[0]
    documents = create_with_history(
        [m.Document(slug=f"d{n}", title=f"D{n}", outlet_id=outlet.pk, published="2025-05") for n in range(2)],
        m.Document,
        user=importer,
    )
    claim = f.ClaimFactory()
    figure = create_with_history(
        [
            m.Figure(
                slug="fig",
                claim=claim,
                metric="removals",
                value=Decimal("57000.5"),
                period_start="2025-01-20",
                period_end="2025-04",
            )
        ],
        m.Figure,
        user=importer,
    )[0]

    assert set(m.Document.objects.filter(outlet=outlet).values_list("pk", flat=True)) == {
        d.pk for d in documents
    }
    stored = m.Figure.objects.get(pk=figure.pk)
    assert stored.value == Decimal("57000.5")
    assert (stored.period_start.isoformat(), stored.period_end.isoformat()) == ("2025-01-20", "2025-04")
    assert stored.period_end.end == dt.date(2025, 4, 30)


def test_confidential_notes_are_stored_encrypted_in_the_table_and_its_history(importer):
    source = f.AnonymousSourceFactory()
    create_with_history(
        [m.SourceConfidentialNote(source=source, notes=CANARY)], m.SourceConfidentialNote, user=importer
    )
    assert m.SourceConfidentialNote.objects.get(source=source).notes == CANARY
    assert m.SourceConfidentialNote.history.get(source_id=source.pk).notes == CANARY
    for table in ("agencies_sourceconfidentialnote", "agencies_historicalsourceconfidentialnote"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT notes FROM {table}")  # noqa: S608 - fixed table names
            (stored,) = cursor.fetchone()
        assert CANARY not in stored and stored


@pytest.mark.integration
@pytest.mark.parametrize("size", [5, 500])
def test_the_statements_do_not_grow_with_the_rows_on_postgresql(postgres, importer, size):
    with CaptureQueriesContext(connection) as queries:
        create_with_history(
            [m.Outlet(slug=f"o{n}", name=f"Outlet {n}") for n in range(size)], m.Outlet, user=importer
        )
    # The ids, then the rows and their history by COPY (which the query log does not list).
    assert len(queries) == 1
    assert m.Outlet.objects.count() == m.Outlet.history.count() == size


def test_nothing_to_create_writes_nothing(importer):
    with CaptureQueriesContext(connection) as queries:
        assert create_with_history([], m.Outlet, user=importer) == []
    assert len(queries) == 0


def test_rows_of_plain_values_are_stored_like_instances_with_their_history(importer):
    """insert_with_history takes values, not model instances: dates, decimals and encrypted notes are
    prepared by their fields, the other columns take their defaults and timestamps."""
    claim = f.ClaimFactory()
    source = f.AnonymousSourceFactory()
    [figure_pk] = insert_with_history(
        m.Figure,
        ["slug", "claim_id", "metric", "value", "unit", "period_start", "period_end"],
        [("f1", claim.pk, "removals", Decimal("7000.5"), "people", "2025-01", "2025-03-31")],
        user=importer,
        reason="why",
    )
    figure = m.Figure.objects.get(pk=figure_pk)
    assert (figure.value, str(figure.period_start), str(figure.period_end)) == (
        Decimal("7000.5"),
        "2025-01",
        "2025-03-31",
    )
    assert figure.created_at and figure.updated_at and figure.geography == ""
    pks = insert_with_history(
        m.SourceConfidentialNote, ["source_id", "notes"], [(source.pk, CANARY)], user=importer, reason="why"
    )
    assert m.SourceConfidentialNote.objects.get(pk=pks[0]).notes == CANARY
    history = m.Figure.history.get(id=figure_pk)
    assert (history.history_type, history.history_user_id, history.history_change_reason) == (
        "+",
        importer.pk,
        "why",
    )
    assert insert_with_history(m.Outlet, ["slug"], [], user=importer) == []
