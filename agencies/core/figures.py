"""How figures read wherever they are printed: a figure, a ratio, a count by status, and the two sides
of a comparison of figures with the lines they rest on. The briefing and the explorer's agency page
print them the same way because they print them through these."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the selectors print their figures through this module
    from agencies.core.selectors import FigureReading


def figure_value(value: Decimal) -> str:
    """A figure as the record holds it: every digit, grouped, no trailing zeros (12,500 or 0.25)."""
    return f"{value.normalize():,f}"


def figure_whole(value: Decimal) -> str:
    """A derived figure (a monthly rate) to the unit: its decimals are the arithmetic's, not the source's."""
    return f"{value.quantize(Decimal(1)):,}"


def ratio_label(value: Decimal | None) -> str:
    """How many times one figure is the other, to a tenth; a dash when they cannot be compared."""
    return "—" if value is None else f"{value.quantize(Decimal('0.1'))}×"


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class ChainStep:
    label: str
    source: int | None  # number in the register


@dataclass(frozen=True)
class ChainView:
    """One attribution line: document → via documents → origin."""

    stance: str
    stance_label: str
    steps: list[ChainStep]
    origin: str
    origin_kind: str
    unnamed: bool
    quote: str
    locator: str
    confidential: str  # internal briefings only; always "" in a public one


@dataclass(frozen=True)
class ClaimRef:
    number: int | None  # None when the claim is not printed in this briefing
    text: str
    status: str
    status_label: str


@dataclass(frozen=True)
class FigureSide:
    value: str
    amount: float  # for the chart
    unit: str
    period: str
    basis: str
    geography: str
    who: str
    claim: ClaimRef
    concerns: list[str]
    monthly: str
    lines: list[ChainView]


@dataclass(frozen=True)
class ContestedView:
    metric: str
    first: FigureSide  # the larger
    second: FigureSide
    ratio: str
    compared_as: str


def figure_side(
    reading: FigureReading,
    *,
    per_month: bool,
    claim: ClaimRef,
    concerns: list[str] | None = None,
    lines: list[ChainView] | None = None,
) -> FigureSide:
    """One side of a figures comparison as printed: the briefing's tables and the agency page's."""
    who = []
    for chain in reading.evidence.supporting:
        if chain.origin_label not in who:
            who.append(chain.origin_label)
    return FigureSide(
        value=figure_value(reading.value),
        amount=float(reading.monthly_rate if per_month else reading.value),
        unit=reading.unit,
        period=reading.period_display,
        basis=reading.basis,
        geography=reading.geography,
        who="; ".join(who),
        claim=claim,
        concerns=concerns or [],
        monthly=figure_whole(reading.monthly_rate),
        lines=lines or [],
    )
