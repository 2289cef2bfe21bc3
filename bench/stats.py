"""The bench's arithmetic and its report: medians, ratios, figures against targets, results.json, the table.

Pure functions on plain values: no Django, no database, so that they are tested on their own.

results.json is `{"scale": N, "figures": {NAME: FIGURE}, "meta": {...}}` where a FIGURE is
`{"value": X, "unit": U, "target": T}` plus how to read the target (`"better": "lower"` means the
value must be at most T, `"higher"` at least T), the number of runs it is the median of, and a note.
A figure that could not be measured has the value null and a note that says why.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LOWER, HIGHER = "lower", "higher"


def median(values: Iterable[float]) -> float:
    values = [float(v) for v in values]
    if not values:
        raise ValueError("the median of no values")
    return statistics.median(values)


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0..100) by linear interpolation between closest ranks; p50 is the median."""
    ordered = sorted(float(v) for v in values)
    if not ordered:
        raise ValueError("a percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not between 0 and 100")
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def median_ratio(pairs: Iterable[tuple[float, float]]) -> float | None:
    """The median of ratios each taken within one run: run-to-run drift cancels inside a pair."""
    ratios = [r for r in (ratio(a, b) for a, b in pairs) if r is not None]
    return median(ratios) if ratios else None


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None
    unit: str
    target: float | None = None
    better: str = LOWER
    runs: int | None = None
    note: str = ""

    def __post_init__(self):
        if self.better not in (LOWER, HIGHER):
            raise ValueError(f"{self.name}: better is {LOWER!r} or {HIGHER!r}, not {self.better!r}")

    @property
    def verdict(self) -> str:
        """'ok', 'MISS', 'n/a' (not measured) or '' (a figure without a target)."""
        if self.value is None:
            return "n/a"
        if self.target is None:
            return ""
        met = self.value <= self.target if self.better == LOWER else self.value >= self.target
        return "ok" if met else "MISS"

    @property
    def off_by(self) -> float | None:
        """How far a missed target is: value / target for 'lower', target / value for 'higher'."""
        if self.verdict != "MISS":
            return None
        return ratio(self.value, self.target) if self.better == LOWER else ratio(self.target, self.value)

    def as_json(self) -> dict:
        entry: dict = {"value": _rounded(self.value), "unit": self.unit, "target": _rounded(self.target)}
        if self.target is not None:
            entry["better"] = self.better
        if self.runs is not None:
            entry["runs"] = self.runs
        if self.note:
            entry["note"] = self.note
        return entry


def _rounded(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, int) or float(value).is_integer():
        return float(value) if isinstance(value, float) else value
    return float(f"{value:.4g}") if abs(value) < 1000 else round(value, 1)


def results_document(scale: int, figures: Sequence[Figure], meta: dict | None = None) -> dict:
    names = [figure.name for figure in figures]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"figures named twice: {', '.join(sorted(duplicates))}")
    document = {"scale": scale, "figures": {figure.name: figure.as_json() for figure in figures}}
    if meta:
        document["meta"] = meta
    validate_results(document)
    return document


def validate_results(document: dict) -> None:
    """Raise ValueError unless `document` has the shape results.json promises."""
    if not isinstance(document, dict):
        raise ValueError("results are a JSON object")
    if not isinstance(document.get("scale"), int) or isinstance(document.get("scale"), bool):
        raise ValueError("results.scale is the number of claims, an integer")
    figures = document.get("figures")
    if not isinstance(figures, dict) or not figures:
        raise ValueError("results.figures is a non-empty object")
    for name, figure in figures.items():
        if not isinstance(figure, dict):
            raise ValueError(f"figures[{name!r}] is an object")
        missing = {"value", "unit", "target"} - set(figure)
        if missing:
            raise ValueError(f"figures[{name!r}] lacks {', '.join(sorted(missing))}")
        for key in ("value", "target"):
            value = figure[key]
            if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
                raise ValueError(f"figures[{name!r}].{key} is a number or null")
        if not isinstance(figure["unit"], str) or not figure["unit"]:
            raise ValueError(f"figures[{name!r}].unit is a non-empty string")
        if figure["target"] is not None and figure.get("better") not in (LOWER, HIGHER):
            raise ValueError(f"figures[{name!r}] has a target but no 'better' of {LOWER!r} or {HIGHER!r}")
        if figure["value"] is None and not figure.get("note"):
            raise ValueError(f"figures[{name!r}] has no value and no note saying why")


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer() and abs(value) >= 10:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(document: dict) -> str:
    """results.json as a table for people: figure, value, unit, target, verdict; notes underneath."""
    rows = [("figure", "value", "unit", "target", "")]
    notes = []
    for name, figure in document["figures"].items():
        target = figure["target"]
        shown_target = (
            "" if target is None else ("≤ " if figure.get("better") == LOWER else "≥ ") + _number(target)
        )
        verdict = Figure(name, figure["value"], figure["unit"], target, figure.get("better", LOWER)).verdict
        rows.append((name, _number(figure["value"]), figure["unit"], shown_target, verdict))
        if figure.get("note"):
            notes.append(f"  {name}: {figure['note']}")
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    aligns = ["<", ">", "<", ">", "<"]

    def line(row) -> str:
        return "  ".join(
            f"{cell:{align}{width}}" for cell, align, width in zip(row, aligns, widths, strict=True)
        )

    out = [f"Oversight bench at {document['scale']:,} claims", line(rows[0]).rstrip()]
    out.append("  ".join("-" * width for width in widths))
    out += [line(row).rstrip() for row in rows[1:]]
    if notes:
        out += ["", "Notes:", *notes]
    return "\n".join(out)


def pages_markdown(document: dict) -> str:
    """The reader pages of results.json as a Markdown table for the README: each page's p50 at
    1,000 claims (its time at SCALE over its ratio), at SCALE, the ratio and the verdicts."""
    figures = document["figures"]
    scale = f"{document['scale']:,}"
    out = [
        f"| page | ms at 1,000 | ms at {scale} | ratio | |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, figure in figures.items():
        if not (name.startswith("page.") and name.endswith(".ms")):
            continue
        page = name[len("page.") : -len(".ms")]
        ms = figure["value"]
        page_ratio = figures.get(f"page.{page}.ratio", {}).get("value")
        small = ratio(ms, page_ratio)
        verdicts = {
            Figure(key, figures[key]["value"], figures[key]["unit"], figures[key]["target"]).verdict
            for key in (name, f"page.{page}.ratio")
            if key in figures
        }
        verdict = "MISS" if "MISS" in verdicts else ("n/a" if verdicts == {"n/a"} else "ok")
        out.append(f"| `{page}` | {_number(small)} | {_number(ms)} | {_number(page_ratio)} | {verdict} |")
    return "\n".join(out)
