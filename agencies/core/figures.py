"""How a figure, a ratio and a count by status read wherever they are printed: the briefing and the
explorer's agency page print them the same way because they print them through these."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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
