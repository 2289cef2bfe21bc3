import datetime as dt
from decimal import Decimal

import pytest

from agencies import models as m
from agencies.core import selectors
from agencies.core.dates import PartialDate
from agencies.core.selectors import comparable_rates, contested_figures
from tests import factories as f

pytestmark = pytest.mark.django_db


def figure(value, start, end, unit="people", agencies=(), metric="deportations", **kwargs):
    claim = f.ClaimFactory(kind=m.ClaimKind.FIGURE, agencies=list(agencies))
    return f.FigureFactory(
        claim=claim, metric=metric, value=value, unit=unit, period_start=start, period_end=end, **kwargs
    )


def test_contested_figures_over_the_same_period():
    homan = figure(139000, "2025-01-20", "2025-04-28", basis="press briefing", geography="United States")
    ice = figure(57000, "2025-01-20", "2025-04-28", basis="ICE data", geography="United States")

    (pair,) = contested_figures()

    assert (pair.first.figure, pair.second.figure) == (homan, ice)
    assert (pair.first.claim, pair.second.claim) == (homan.claim, ice.claim)
    assert pair.metric == "deportations"
    assert pair.compared_as == "count"
    assert pair.ratio == Decimal(139000) / Decimal(57000)
    assert pair.first.period_start == PartialDate(2025, 1, 20)
    assert pair.first.label == "139,000 people, 20 Jan 2025 – 28 Apr 2025 (press briefing)"
    assert pair.second.value == Decimal(57000)
    assert pair.first.evidence.chains == []


@pytest.mark.parametrize(
    ("other", "found"),
    [
        ((125099, "2025-01-20", "2025-04-28"), True),  # just over 10% of the larger apart
        ((125100, "2025-01-20", "2025-04-28"), False),  # exactly 10%: not beyond the tolerance
        ((130000, "2025-01-20", "2025-04-28"), False),
        ((139000, "2025-01-20", "2025-04-28"), False),
        ((57000, "2025-01-23", "2025-04-25"), True),  # both ends within 3 days
        ((57000, "2025-01-17", "2025-05-01"), True),
        ((57000, "2025-01-24", "2025-04-28"), False),  # starts 4 days apart
        ((57000, "2025-01-20", "2025-05-02"), False),  # ends 4 days apart
        ((57000, "2025-02-01", "2025-04-28"), False),
    ],
)
def test_contested_only_beyond_value_tolerance_and_within_period_tolerance(other, found):
    figure(139000, "2025-01-20", "2025-04-28")
    value, start, end = other
    figure(value, start, end)
    figure(139000, "2025-01-20", "2025-04-28", metric="arrests")  # another metric never compares

    assert bool(contested_figures()) is found


def test_month_precision_periods_span_the_whole_month():
    # "2025-05" runs May 1..31: a figure to May 31 covers the same period.
    figure(1000, "2025-05", "2025-05")
    figure(5000, "2025-05-01", "2025-05-31")
    figure(9000, "2025-05-15", "2025-05-31")

    (pair,) = contested_figures()

    assert {pair.first.value, pair.second.value} == {Decimal(1000), Decimal(5000)}
    month = pair.second
    assert (month.start, month.end, month.days) == (dt.date(2025, 5, 1), dt.date(2025, 5, 31), 31)
    assert month.period_display == "May 2025"


def test_different_places_are_never_contested():
    figure(139000, "2025-01-20", "2025-04-28", geography="United States")
    figure(5000, "2025-01-20", "2025-04-28", geography="Texas")
    assert contested_figures() == []


def test_a_rate_and_a_count_over_the_same_period_compare_per_month():
    figure(57000, "2025-01", "2025-01", unit="people per month")
    figure(10000, "2025-01", "2025-01")

    (pair,) = contested_figures()

    assert pair.compared_as == "per month"
    assert pair.first.is_rate is True


def test_comparable_rates_first_month_against_last_year_monthly_average():
    first_month = figure(37660, "2025-01-20", "2025-02-19", basis="DHS data")
    average = figure(57000, "2024-01", "2025-01", unit="people per month", basis="DHS data")

    (pair,) = comparable_rates()

    assert (pair.first.figure, pair.second.figure) == (average, first_month)  # earlier period first
    # 37,660 over 31 days (inclusive) is about 37k a month; 57,000 a month is a rate as it is.
    assert pair.second.days == 31
    assert pair.second_monthly == Decimal(37660) * Decimal("30.4375") / 31
    assert round(pair.second_monthly) == 36977
    assert pair.first_monthly == Decimal(57000)
    assert pair.first.days == 397  # 1 Jan 2024 to 31 Jan 2025
    assert round(pair.first_daily, 2) == round(Decimal(57000) / Decimal("30.4375"), 2)
    assert round(pair.second_daily, 2) == round(Decimal(37660) / 31, 2)
    assert pair.ratio == pair.first_monthly / pair.second_monthly
    assert 1.54 < pair.ratio < 1.55
    assert pair.differs is True


def test_comparable_rates_leave_same_period_pairs_to_contested_figures():
    figure(139000, "2025-01-20", "2025-04-28")
    figure(57000, "2025-01-20", "2025-04-28")
    figure(37660, "2025-01-20", "2025-02-19")

    pairs = comparable_rates()

    assert len(pairs) == 2
    assert all(p.first.value == 37660 or p.second.value == 37660 for p in pairs)
    assert len(contested_figures()) == 1


def test_rates_that_agree_are_comparable_but_do_not_differ():
    figure(3000, "2024-01", "2024-12", unit="arrests per year", metric="arrests")
    figure(250, "2025-03", "2025-03", unit="arrests/month", metric="arrests")
    figure(8, "2025-06-01", "2025-06-03", unit="arrests a day", metric="arrests")

    pairs = comparable_rates()

    assert len(pairs) == 3
    yearly, monthly, daily = pairs[0].first, pairs[0].second, pairs[2].second
    assert yearly.monthly_rate == Decimal(250)
    assert monthly.monthly_rate == Decimal(250)
    assert daily.monthly_rate == Decimal(8) * Decimal("30.4375")
    assert not pairs[0].differs
    assert pairs[1].differs is False  # 250 against 243.5 a month


def test_figures_without_a_period_are_left_out():
    figure(139000, "2025-01-20", "2025-04-28")
    figure(57000, None, "2025-04-28")
    assert contested_figures() == [] and comparable_rates() == []


def test_an_agency_sees_pairs_where_either_side_is_about_it():
    dhs = f.AgencyFactory()
    ice = f.AgencyFactory(parent=dhs)
    white_house = f.AgencyFactory()
    figure(139000, "2025-01-20", "2025-04-28", agencies=[white_house])
    figure(57000, "2025-01-20", "2025-04-28", agencies=[ice])
    figure(37660, "2025-01-20", "2025-02-19", agencies=[white_house])
    figure(1, "2025-01-20", "2025-04-28", agencies=[white_house], metric="arrests")
    figure(2000, "2025-01-20", "2025-04-28", agencies=[white_house], metric="arrests")

    assert len(contested_figures(dhs)) == 1
    assert len(contested_figures(ice)) == 1
    assert len(contested_figures(white_house)) == 2
    # Only the 57,000 is about ICE: its pair with the 37,660 is shown, the White House's pair is not.
    (rates,) = comparable_rates(dhs)
    assert {rates.first.value, rates.second.value} == {Decimal(57000), Decimal(37660)}


@pytest.mark.parametrize(
    ("start", "partner_start", "contested"),
    [
        ("2025-04-28", "2025-05", True),  # 1 May is 3 days on: a month-precise start is found
        ("2025-04-27", "2025-05", False),  # 4 days: too far
        ("2025-12-30", "2026", True),  # across a year, by a year-precise start
        ("2026-01-03", "2025-12-31", True),  # a day-precise start in the year before
        ("2025-05-04", "2025-05", True),  # 1 May is 3 days back
        ("2025-05-05", "2025-05", False),
    ],
)
def test_a_page_finds_the_figures_that_contest_its_own_near_in_time(start, partner_start, contested):
    mine = figure(139000, start, "2026-06")
    figure(57000, partner_start, "2026-06")
    figure(1, "2025-05-01", "2026-06", metric="arrests")  # another metric never contests
    claims = list(m.Claim.objects.filter(pk=mine.claim_id).prefetch_related("figures"))

    assert selectors.contested_claim_ids(claims) == ({mine.claim_id} if contested else set())
    assert bool(contested_figures()) == contested  # the same rule as over the whole record
