"""The contested-figures chart: an SVG the project draws itself, inlined in the briefing's HTML and
the explorer's agency page.

Every label comes from the record, so every label is escaped; nothing in the SVG points outside it.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from agencies.core.figures import ContestedView, FigureSide

WIDTH = 680  # user units; drawn 170 mm wide, so 4 units to the millimetre
LABEL_WIDTH = 250
BAR_X = 262
BAR_WIDTH = 330
ROW = 34
HEADER = 30
GAP = 16
COLOURS = ("#1f3b57", "#b08d57")  # the larger figure, the smaller one
FONT = "Briefing Sans, Briefing Fallback, sans-serif"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(
    x: float, y: float, text: str, *, size: float, weight: int = 400, fill: str = "#1a1a1a", anchor="start"
):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" font-weight="{weight}" '
        f'fill="{fill}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _value(side: FigureSide, per_month: bool) -> str:
    return f"≈ {side.monthly} a month" if per_month else side.value


def _spoken(side: FigureSide, pair: ContestedView) -> str:
    said = f"{side.who or 'source not recorded'}, {side.value} {side.unit}".rstrip()
    return said + (f", about {side.monthly} a month" if pair.compared_as != "count" else "")


def contested_chart(pairs: list[ContestedView]) -> SafeString:
    """Each contested pair as two horizontal bars, each pair drawn to its own scale."""
    if not pairs:
        return mark_safe("")  # noqa: S308 - empty
    parts, y = [], 0.0
    for pair in pairs:
        per_month = pair.compared_as != "count"
        heading = f"{pair.metric.capitalize()} · {pair.first.period}"
        if pair.second.period != pair.first.period:
            heading += f" / {pair.second.period}"
        heading += f" · {pair.ratio} apart" + (" (per month)" if per_month else "")
        parts.append(_text(0, y + 18, _clip(heading, 95), size=13, weight=600))
        parts.append(
            f'<line x1="0" y1="{y + 25:.1f}" x2="{WIDTH}" y2="{y + 25:.1f}" '
            f'stroke="#c9c4b8" stroke-width="0.8"/>'
        )
        y += HEADER
        largest = max(pair.first.amount, pair.second.amount) or 1.0
        for side, colour in zip((pair.first, pair.second), COLOURS, strict=True):
            who = side.who or "source not recorded"
            parts.append(_text(0, y + 14, _clip(who, 40), size=12, weight=600))
            # The same second line under every bar: the unit, then the basis where it adds something.
            detail = side.unit + (f" · {side.basis}" if side.basis and side.basis != side.who else "")
            parts.append(_text(0, y + 28, _clip(detail, 46), size=10.5, fill="#5b5b5b"))
            width = max(2.0, BAR_WIDTH * side.amount / largest) if side.amount > 0 else 0.0
            parts.append(
                f'<rect x="{BAR_X}" y="{y + 6:.1f}" width="{width:.1f}" height="{ROW - 14}" fill="{colour}"/>'
            )
            parts.append(_text(BAR_X + width + 6, y + 21, _value(side, per_month), size=12, weight=600))
            y += ROW
        y += GAP
    height = y - GAP + 4
    # What the picture shows, for a reader who cannot see it.
    described = "; ".join(
        f"{pair.metric}: {_spoken(pair.first, pair)} against {_spoken(pair.second, pair)}" for pair in pairs
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{escape("Contested figures, each pair drawn to its own scale: " + described)}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="170mm" height="{height / 4:.1f}mm">'
        + "".join(parts)
        + "</svg>"
    )
    return mark_safe(svg)  # noqa: S308 - every text above went through escape()
