import datetime as dt
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from agencies import models as m
from agencies.core.bulk import create_with_history
from agencies.core.dates import STORED_FORM, PartialDate, PartialDateError, PartialDateField
from tests import factories as f


@pytest.mark.parametrize(
    ("raw", "iso", "precision", "shown"),
    [
        ("2025", "2025", "year", "2025"),
        (2025, "2025", "year", "2025"),
        ("2025-05", "2025-05", "month", "May 2025"),
        ("2025-04-28", "2025-04-28", "day", "28 Apr 2025"),
        (dt.date(2025, 1, 20), "2025-01-20", "day", "20 Jan 2025"),
    ],
)
def test_parse_keeps_precision(raw, iso, precision, shown):
    value = PartialDate.parse(raw)
    assert value.isoformat() == iso
    assert value.precision == precision
    assert value.display() == shown


@pytest.mark.parametrize("raw", ["May 2025", "2025-13", "2025-02-30", "25", "2025-5", "", True, 20250, 1.5])
def test_parse_refuses(raw):
    with pytest.raises(PartialDateError):
        PartialDate.parse(raw)


def test_month_spans_its_days():
    may = PartialDate.parse("2024-02")
    assert may.start == dt.date(2024, 2, 1)
    assert may.end == dt.date(2024, 2, 29)


# Storage: nothing but the stored forms gets into a partial-date column, whichever way it is written.

# (model, column): every partial-date column of the record.
COLUMNS = [
    (m.Claim, "made"),
    (m.CommentRequest, "requested"),
    (m.Document, "published"),
    (m.Figure, "period_start"),
    (m.Figure, "period_end"),
    (m.ReportedRole, "first_reported"),
    (m.StatedMission, "as_of"),
]
FACTORIES = {
    m.Claim: f.ClaimFactory,
    m.CommentRequest: f.CommentRequestFactory,
    m.Document: f.DocumentFactory,
    m.Figure: f.FigureFactory,
    m.ReportedRole: f.ReportedRoleFactory,
    m.StatedMission: f.StatedMissionFactory,
}
GOOD = ["2025", "2025-05", "2025-05-12", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31"]
BAD = [
    "May 2025",
    "2025-13",
    "2025-02-30",
    "1900-02-29",
    "2025-04-31",
    "2025-5",
    "2025-05-1",
    "0000",
    "20250",
]
# Only raw SQL can store these: the field normalises them, or refuses them as empty.
RAW_ONLY_BAD = ["", " 2025", "2025\n", "2025-05 ", "٢٠٢٥"]
ids = [f"{model.__name__}.{column}" for model, column in COLUMNS]


def test_every_partial_date_column_is_listed():
    found = {
        (model, field.name)
        for model in apps.get_app_config("agencies").get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, PartialDateField) and not model._meta.model_name.startswith("historical")
    }
    assert found == set(COLUMNS)


def test_the_stored_form_is_exactly_what_partial_date_parses():
    pattern = re.compile(STORED_FORM)
    for year in [*range(1, 30), *range(1890, 2110), 2400, 9999]:
        days = [f"{year:04d}-{month:02d}-{day:02d}" for month in range(0, 14) for day in range(0, 33)]
        for text in [f"{year:04d}", *(f"{year:04d}-{month:02d}" for month in range(0, 14)), *days]:
            try:
                parsed = PartialDate.parse(text).isoformat() == text
            except PartialDateError:
                parsed = False
            assert bool(pattern.search(text)) is parsed, text
    assert not any(pattern.search(text) for text in BAD + RAW_ONLY_BAD)


@pytest.mark.django_db
def test_create_with_text_that_is_not_a_date_is_refused_naming_field_and_value():
    before = m.Claim.objects.count()
    with pytest.raises(ValidationError) as exc, transaction.atomic():
        m.Claim.objects.create(slug="bad-date", kind="statement", text="Said.", made="May 2025")
    assert "Claim.made" in exc.value.messages[0]
    assert "'May 2025'" in exc.value.messages[0]
    assert m.Claim.objects.count() == before


@pytest.mark.django_db
def test_full_clean_names_the_field():
    claim = m.Claim(slug="bad-date", kind="statement", text="Said.", made="2025-02-30")
    with pytest.raises(ValidationError) as exc:
        claim.full_clean()
    assert list(exc.value.message_dict) == ["made"]
    assert "2025-02 has no day 30" in exc.value.message_dict["made"][0]


@pytest.mark.django_db
def test_a_good_value_is_stored_in_its_iso_form():
    claim = f.ClaimFactory(made=" 2025-05 ")
    m.Claim.objects.filter(pk=claim.pk).update(made=dt.date(2025, 5, 12))
    with connection.cursor() as cursor:
        cursor.execute("SELECT made FROM agencies_claim WHERE id = %s", [claim.pk])
        assert cursor.fetchone() == ("2025-05-12",)
    m.Claim.objects.filter(pk=claim.pk).update(made=2024)
    claim.refresh_from_db()
    assert claim.made == PartialDate(2024)


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "column"), COLUMNS, ids=ids)
def test_update_and_bulk_create_refuse_what_is_not_a_date(model, column):
    row = FACTORIES[model]()
    stored = getattr(model.objects.get(pk=row.pk), column)
    for value in ["May 2025", "2025-02-30"]:
        with (
            pytest.raises(ValidationError, match=rf"{model.__name__}\.{column}: .*{value!r}"),
            transaction.atomic(),
        ):
            model.objects.filter(pk=row.pk).update(**{column: value})
        assert getattr(model.objects.get(pk=row.pk), column) == stored
    copy = model.objects.get(pk=row.pk)
    copy.pk = None
    for name in ("slug",):
        if hasattr(copy, name):
            setattr(copy, name, f"{getattr(copy, name)}-copy")
    setattr(copy, column, "May 2025")
    count = model.objects.count()
    with pytest.raises(ValidationError, match=rf"{model.__name__}\.{column}"), transaction.atomic():
        model.objects.bulk_create([copy])
    with pytest.raises(ValidationError, match=rf"{model.__name__}\.{column}"), transaction.atomic():
        create_with_history([copy], model)  # the importer's writer: COPY on PostgreSQL
    assert model.objects.count() == count


def _raw_update(model, column, pk, value):
    table, quoted = model._meta.db_table, connection.ops.quote_name(column)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {quoted} = %s WHERE id = %s", [value, pk])  # noqa: S608


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "column"), COLUMNS, ids=ids)
def test_the_database_refuses_what_is_not_a_date(model, column):
    """The CHECK constraint holds raw SQL, COPY and anything else that bypasses the field."""
    row = FACTORIES[model]()
    for value in BAD + RAW_ONLY_BAD:
        with pytest.raises(IntegrityError):
            _raw_update(model, column, row.pk, value)
    for value in [*GOOD, None]:
        _raw_update(model, column, row.pk, value)
        got = getattr(model.objects.get(pk=row.pk), column)
        assert (got.isoformat() if got else got) == value
