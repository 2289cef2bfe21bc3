"""The synthetic record: reproducible, complete, valid, and loaded without a query per row."""

from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies import models as m
from agencies.core import selectors
from agencies.core.dates import PartialDate
from agencies.core.fields import is_encrypted
from agencies.exchange.synthetic import (
    COLUMNS,
    RECORD_MODELS,
    SELECTIVE_TERM,
    RecordNotEmpty,
    SyntheticRecord,
    record_is_empty,
    record_load,
)
from tests import factories as f


def rows_of(record: SyntheticRecord) -> dict:
    rows = defaultdict(list)
    for batch in record.batches():
        assert batch.columns == COLUMNS[batch.model]
        rows[batch.model].extend(batch.rows)
    return rows


def column(rows: list[tuple], model, name: str) -> list:
    index = COLUMNS[model].index(name)
    return [row[index] for row in rows]


# --- the rows, before any database ---------------------------------------------------------------------


def test_the_same_seed_gives_the_same_record_and_another_seed_another():
    first = rows_of(SyntheticRecord(claims=400, seed=7))
    assert first == rows_of(SyntheticRecord(claims=400, seed=7))
    other = rows_of(SyntheticRecord(claims=400, seed=8))
    assert column(first[m.Claim], m.Claim, "text") != column(other[m.Claim], m.Claim, "text")


def test_ids_start_where_they_are_told_and_the_rows_stay_the_same():
    plain = rows_of(SyntheticRecord(claims=50, seed=3))
    moved = rows_of(SyntheticRecord(claims=50, seed=3, start={model: 1000 for model in RECORD_MODELS}))
    assert column(moved[m.Claim], m.Claim, "id")[0] == 1000
    assert column(moved[m.Claim], m.Claim, "slug") == column(plain[m.Claim], m.Claim, "slug")
    assert column(moved[m.Claim], m.Claim, "text") == column(plain[m.Claim], m.Claim, "text")


def test_every_kind_is_present_in_a_small_record():
    rows = rows_of(SyntheticRecord(claims=600, seed=1))
    assert set(column(rows[m.Claim], m.Claim, "kind")) == set(m.ClaimKind.values)
    assert set(column(rows[m.Claim], m.Claim, "status")) == set(m.ClaimStatus.values)
    assert set(column(rows[m.Source], m.Source, "kind")) == set(m.SourceKind.values)
    assert set(column(rows[m.Agency], m.Agency, "kind")) == set(m.AgencyKind.values)
    assert set(column(rows[m.Outlet], m.Outlet, "kind")) == set(m.OutletKind.values)
    assert set(column(rows[m.Attribution], m.Attribution, "stance")) == set(m.Stance.values)
    assert set(column(rows[m.ReportedRole], m.ReportedRole, "mission_fit")) == set(m.MissionFit.values)
    assert set(column(rows[m.CommentRequest], m.CommentRequest, "response")) >= {"none", "declined"}
    assert set(column(rows[m.Document], m.Document, "kind")) == set(m.DocumentKind.values) - {"other"}
    lines_per_claim = Counter(column(rows[m.Attribution], m.Attribution, "claim_id"))
    assert set(lines_per_claim.values()) == {1, 2, 3, 4, 5}
    assert rows[m.AttributionHop] and rows[m.Citation] and rows[m.Figure]
    assert rows[m.SourceConfidentialNote] and rows[m.DataAccess] and rows[m.StatedMission]


def test_a_realistic_hierarchy_departments_components_offices():
    rows = rows_of(SyntheticRecord(claims=10, seed=1))[m.Agency]
    parents = dict(zip(column(rows, m.Agency, "id"), column(rows, m.Agency, "parent_id"), strict=True))

    def depth(pk):
        return 0 if parents[pk] is None else 1 + depth(parents[pk])

    depths = Counter(depth(pk) for pk in parents)
    assert 30 <= len(rows) <= 100  # dozens
    assert depths[0] >= 8 and depths[1] >= 16 and depths[2] >= 10
    acronyms = column(rows, m.Agency, "acronym")
    assert len(set(acronyms)) == len(acronyms)


def test_documents_tens_of_thousands_for_a_million_claims_without_generating_them():
    record = SyntheticRecord(claims=1_000_000, seed=1)
    assert 10_000 <= record.reporting_count <= 99_999


# --- loaded ---------------------------------------------------------------------------------------------


@pytest.fixture
def loaded(db):
    report = record_load(claims=300, seed=5, progress_stream=None)
    return report


def test_the_loaded_record_has_what_the_generator_counted(loaded):
    for model in RECORD_MODELS:
        assert model.objects.count() == loaded.counts[model._meta.label], model
    assert loaded.counts["agencies.Claim"] == 300
    assert loaded.method == ("copy" if connection.vendor == "postgresql" else "bulk_create")


def test_the_loaded_record_keeps_the_database_constraints(loaded):
    connection.check_constraints()  # foreign keys are checked at commit; a test never commits


def test_no_history_rows_for_synthetic_data(loaded):
    for model in RECORD_MODELS:
        assert model.history.count() == 0, model


def test_the_loaded_record_holds_the_invariants(loaded):
    claims = list(
        m.Claim.objects.prefetch_related("claim_agencies", "attributions__hops", "attributions__document")
    )
    assert all(claim.claim_agencies.all() for claim in claims)
    assert all(claim.attributions.all() for claim in claims)
    cites = set(m.Citation.objects.values_list("citing_id", "cited_id"))
    for claim in claims:
        lines = sorted(claim.attributions.all(), key=lambda a: a.position)
        # A claim is dated no more precisely than the document it first appeared in.
        assert isinstance(claim.made, PartialDate)
        assert claim.made == lines[0].document.published
        for line in lines:
            chain = [
                line.document_id,
                *(hop.document_id for hop in sorted(line.hops.all(), key=lambda h: h.position)),
            ]
            assert len(set(chain)) == len(chain)  # never the same document twice, never itself a via
            # Via documents follow real citations: each got the claim from one it cites.
            assert all((a, b) in cites for a, b in zip(chain, chain[1:], strict=False))
    assert not m.ReportedRole.objects.filter(role_claims__isnull=True).exists()
    assert not m.DataAccess.objects.filter(access_claims__isnull=True).exists()
    for figure in m.Figure.objects.all():
        assert figure.period_start.start <= figure.period_end.end
    assert not m.Source.objects.exclude(kind=m.SourceKind.ANONYMOUS).filter(count__isnull=False).exists()


def test_confidential_notes_are_stored_encrypted(loaded):
    note = m.SourceConfidentialNote.objects.first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT notes FROM {m.SourceConfidentialNote._meta.db_table} WHERE id = %s", [note.pk]
        )
        stored = cursor.fetchone()[0]
    assert note.notes.startswith("Real name ")
    assert stored != note.notes and is_encrypted(stored)


def test_the_derived_answers_have_something_to_find(loaded):
    evidence = [selectors.claim_evidence(claim) for claim in selectors.claims_with_evidence()]
    assert any(e.anonymous_only for e in evidence)
    assert any(e.single_outlet for e in evidence)
    assert any(e.independent_origins >= 2 for e in evidence)
    # Statuses mostly agree with the evidence; the rest is flagged, as the record would be.
    assert sum(1 for e in evidence if e.warnings) < len(evidence) * 0.15
    assert selectors.mission_drift()
    assert selectors.open_comment_requests().exists()


def test_contested_figures_and_comparable_rates():
    rows = rows_of(SyntheticRecord(claims=3000, seed=2))[m.Figure]
    periods = Counter((r[3], r[6], r[7], r[8]) for r in rows)  # metric, start, end, geography
    assert any(n >= 2 for n in periods.values())
    assert "people per month" in column(rows, m.Figure, "unit")


def test_new_rows_after_a_load_get_fresh_ids(loaded):
    claim = f.ClaimFactory()
    assert claim.pk > loaded.counts["agencies.Claim"]


def test_the_selective_search_term_is_rare_but_present():
    rows = rows_of(SyntheticRecord(claims=20_000, seed=1))
    texts = column(rows[m.Claim], m.Claim, "text")
    hits = sum(SELECTIVE_TERM in text for text in texts)
    assert 0 < hits < len(texts) / 1000


# --- safety and the bulk paths --------------------------------------------------------------------------


def test_refuses_a_database_that_holds_a_record(db):
    f.AgencyFactory()
    with pytest.raises(RecordNotEmpty):
        record_load(claims=10, progress_stream=None)
    record_load(claims=10, force=True, prefix="syn", progress_stream=None)
    with pytest.raises(RecordNotEmpty, match="prefix"):
        record_load(claims=10, force=True, prefix="syn", progress_stream=None)
    record_load(claims=10, force=True, prefix="more", progress_stream=None)
    assert m.Claim.objects.filter(slug__startswith="more-").count() == 10


def _wipe():
    with connection.cursor() as cursor:
        for model in reversed(RECORD_MODELS):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    assert record_is_empty()


def test_statements_grow_with_batches_never_with_rows(db):
    with CaptureQueriesContext(connection) as small:
        small_report = record_load(claims=60, progress_stream=None)
    _wipe()
    with CaptureQueriesContext(connection) as large:
        large_report = record_load(claims=900, progress_stream=None)
    assert large_report.rows > 4 * small_report.rows
    if connection.vendor == "postgresql":
        # One COPY per batch (psycopg's copy() is not in the captured queries): the queries around
        # it are the same whatever the size, and so is the number of COPY statements here.
        assert len(large.captured_queries) == len(small.captured_queries)
        assert large_report.statements == small_report.statements
    else:
        inserts = [q for q in large.captured_queries if q["sql"].startswith("INSERT")]
        assert len(inserts) == large_report.statements
        assert len(inserts) < large_report.rows / 20
    assert len(large.captured_queries) < 60 + large_report.rows / 20


def test_the_command(db):
    out = call_command_output("generate_synthetic", "--claims", "40", "--seed", "2", "--quiet")
    assert "no history rows" in out and "agencies.Claim: 40" in out
    with pytest.raises(CommandError, match="--force"):
        call_command("generate_synthetic", "--claims", "5", "--quiet")
    with pytest.raises(CommandError, match="prefix"):
        call_command("generate_synthetic", "--claims", "5", "--force", "--prefix", "Not A Slug", "--quiet")
    call_command_output("generate_synthetic", "--claims", "5", "--force", "--prefix", "second", "--quiet")
    assert m.Claim.objects.count() == 45


def call_command_output(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()
