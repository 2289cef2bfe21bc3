"""The conditions the filters use agree with the selectors that decide the same facts in Python.

Random records (seeded, so a failure can be replayed) of lines, outlets, hops and figures; the
database's answer and claim_evidence's / contested_figures' must be the same sets.
"""

import random

import pytest

from agencies import models as m
from agencies.core import conditions as claim_conditions
from agencies.core import selectors
from agencies.core.filters import _independent_origins
from tests import factories as f

pytestmark = pytest.mark.django_db

UNITS = [
    "people",
    "people per month",
    "a week",
    "removals/day",
    "monthly",
    "per year",
    "people a year",
    "cases",
]
PERIODS = [
    ("2025-01-20", "2025-04-28"),
    ("2025-01-21", "2025-04-30"),
    ("2025-01-17", "2025-04-25"),
    ("2025-01", "2025-04"),
    ("2025", "2025"),
    ("2024-01", "2025-01"),
    ("2025-02", "2025-02"),
    ("2025-02-01", "2025-02-28"),
    ("2025-03-05", "2025-02-01"),  # ends before it starts: never compared
]


def random_record(seed: int):
    rng = random.Random(seed)
    outlets = [f.OutletFactory() for _ in range(3)] + [None]
    sources = [
        f.AnonymousSourceFactory(),
        f.SourceFactory(kind=m.SourceKind.OFFICIAL, name=""),
        f.SourceFactory(),
        f.SourceFactory(kind=m.SourceKind.DATASET, name=""),
    ]
    documents = [f.DocumentFactory(outlet=rng.choice(outlets)) for _ in range(8)]
    for _ in range(30):
        claim = f.ClaimFactory()
        for position in range(rng.randint(0, 4)):
            f.AttributionFactory(
                claim=claim,
                document=rng.choice(documents),
                via=rng.sample(documents, rng.randint(0, 2)),
                origin=rng.choice(sources),
                stance=rng.choice(
                    [m.Stance.SUPPORTS, m.Stance.SUPPORTS, m.Stance.DISPUTES, m.Stance.MENTIONS]
                ),
                position=position,
            )
        if rng.random() < 0.6:
            start, end = rng.choice(PERIODS)
            f.FigureFactory(
                claim=claim,
                metric=rng.choice(["removals", "arrests"]),
                value=rng.choice([57000, 139000, 60000, 37660, 1000, 0, 52000, 171000]),
                unit=rng.choice(UNITS),
                period_start=start,
                period_end=end,
                geography=rng.choice(["", "", "United States", " united states ", "Texas"]),
            )


@pytest.mark.parametrize("seed", range(6))
def test_evidence_flags_agree_with_claim_evidence(seed):
    random_record(seed)
    evidence = {claim.pk: selectors.claim_evidence(claim) for claim in selectors.claims_with_evidence()}

    in_sql = set(m.Claim.objects.filter(claim_conditions.anonymous_only()).values_list("pk", flat=True))
    assert in_sql == {pk for pk, e in evidence.items() if e.anonymous_only}

    in_sql = set(m.Claim.objects.filter(claim_conditions.single_outlet()).values_list("pk", flat=True))
    assert in_sql == {pk for pk, e in evidence.items() if e.single_outlet}

    counted = dict(m.Claim.objects.annotate(n=_independent_origins()).values_list("pk", "n"))
    assert counted == {pk: e.independent_origins for pk, e in evidence.items()}


def with_statuses_and_answers(seed: int) -> None:
    """Every status, and claims answering earlier ones (denials, disputes, some since refuted)."""
    rng = random.Random(seed)
    claims = list(m.Claim.objects.order_by("pk"))
    for index, claim in enumerate(claims):
        claim.status = rng.choice(m.ClaimStatus.values)
        if index and rng.random() < 0.3:
            claim.answers = rng.choice(claims[:index])
    m.Claim.objects.bulk_update(claims, ["status", "answers"])


@pytest.mark.parametrize("seed", range(12))
def test_the_warnings_condition_selects_the_claims_with_warnings(seed):
    random_record(seed)
    with_statuses_and_answers(seed)
    warned = {
        claim.pk for claim in selectors.claims_with_evidence() if selectors.claim_evidence(claim).warnings
    }
    in_sql = set(m.Claim.objects.filter(claim_conditions.status_warnings()).values_list("pk", flat=True))
    assert in_sql == warned
    assert set(m.Claim.objects.exclude(claim_conditions.status_warnings()).values_list("pk", flat=True)) == (
        set(m.Claim.objects.values_list("pk", flat=True)) - warned
    )


@pytest.mark.parametrize("seed", range(12))
def test_contested_figures_agree_with_the_selector(seed):
    random_record(seed)
    pairs = selectors.contested_figures()
    expected = {figure.pk for pair in pairs for figure in (pair.first.figure, pair.second.figure)}
    figure_claims = set(m.Figure.objects.filter(pk__in=expected).values_list("claim_id", flat=True))
    assert selectors.contested_figure_claim_ids() == figure_claims

    disputed = set(m.Attribution.objects.filter(stance=m.Stance.DISPUTES).values_list("claim_id", flat=True))
    figures = set(m.Figure.objects.filter(pk__in=expected).values_list("claim_id", flat=True))
    assert set(m.Claim.objects.filter(claim_conditions.contested()).values_list("pk", flat=True)) == (
        disputed | figures
    )
    # The explorer decides it for one page of rows at a time, from the rows' own figures.
    claims = list(m.Claim.objects.prefetch_related("figures").order_by("?"))
    decided = set()
    for start in range(0, len(claims), 7):
        decided |= selectors.contested_claim_ids(claims[start : start + 7])
    assert decided == disputed | figures

    # A briefing on a selection: the pairs with a side among its claims, found without the others.
    chosen = {claim.pk for claim in claims[::3]}
    key = lambda pair: (pair.first.figure.pk, pair.second.figure.pk)  # noqa: E731
    assert sorted(map(key, selectors.contested_figures(claims=chosen))) == sorted(
        key(pair) for pair in pairs if {pair.first.claim.pk, pair.second.claim.pk} & chosen
    )


def test_the_seed_pair_is_contested(db):
    from django.core.management import call_command

    call_command("load_seeds", verbosity=0)
    claims = selectors.contested_figure_claim_ids()
    assert set(m.Figure.objects.filter(claim__in=claims).values_list("slug", flat=True)) == {
        "homan-139k",
        "ice-57k",
    }


@pytest.mark.parametrize(
    ("unit", "days"),
    [
        ("people", None),
        ("people per month", "30.4375"),
        ("removals a week", "7"),
        ("cases/day", "1"),
        ("monthly", "30.4375"),
        ("people per annum", "365.25"),
        ("annual removals", "365.25"),
        ("daily arrests", "1"),
        ("per-monthly", "30.4375"),
        ("daylight", None),
        ("a monthly", "30.4375"),
    ],
)
def test_rate_units_are_read_as_per_day_week_month_or_year(unit, days):
    python = selectors._rate_days(unit)
    assert (python is None and days is None) or str(python.normalize()) == days


def test_every_filter_at_once_runs_on_this_database():
    """SQLite refuses deeply nested SQL: the heaviest selection, negated flags included, must run."""
    import itertools

    from django.http import QueryDict

    from agencies.core.filters import ClaimFilter
    from agencies.explorer.rows import explorer_claims
    from tests.factories import bulk_record

    bulk_record(30)
    base = (
        "agency=bulk-parent&agency=bulk-child&outlet=bulk-outlet-1&outlet=bulk-outlet-2&status=unverified"
        "&status=disputed&kind=role&origin_kind=anonymous&origin_kind=person&made_after=2025-03"
        "&made_before=2026&q=mail&sort=-origins"
    )
    for flags in itertools.product(["true", "false"], repeat=3):
        query = base + "&anonymous_only={}&single_outlet={}&contested={}".format(*flags)
        claims = explorer_claims(ClaimFilter(QueryDict(query), queryset=m.Claim.objects.all()).qs)
        assert claims.count() == len(list(claims[:1000]))


@pytest.mark.parametrize("seed", range(4))
def test_the_kept_contested_figures_follow_every_change_of_the_figures(seed):
    random_record(seed)
    rng = random.Random(seed)
    figures = list(m.Figure.objects.order_by("pk"))
    changes = [
        lambda figure: setattr(figure, "value", rng.choice([57000, 139000, 1000])) or figure.save(),
        lambda figure: setattr(figure, "period_start", rng.choice(PERIODS)[0]) or figure.save(),
        lambda figure: setattr(figure, "geography", "Texas") or figure.save(),
        lambda figure: figure.delete(),
        lambda figure: f.FigureFactory(
            claim=figure.claim,
            metric=figure.metric,
            value=figure.value * 3,
            unit=figure.unit,
            period_start=figure.period_start,
            period_end=figure.period_end,
            geography=figure.geography,
        ),
    ]
    assert selectors.kept_contested_figure_claim_ids() == selectors.contested_figure_claim_ids()
    for figure in rng.sample(figures, min(len(figures), 8)):
        rng.choice(changes)(figure)
        assert selectors.kept_contested_figure_claim_ids() == selectors.contested_figure_claim_ids()


@pytest.mark.parametrize("seed", range(4))
def test_the_outlet_condition_lists_or_asks_each_claim_alike(seed, monkeypatch):
    random_record(seed)
    for outlet in m.Outlet.objects.all():
        listed = set(
            m.Claim.objects.filter(claim_conditions.through_outlets([outlet.pk])).values_list("pk", flat=True)
        )
        monkeypatch.setattr(claim_conditions, "FEW", 0)  # as if the outlet were in very many claims
        each = set(
            m.Claim.objects.filter(claim_conditions.through_outlets([outlet.pk])).values_list("pk", flat=True)
        )
        monkeypatch.undo()
        assert listed == each
