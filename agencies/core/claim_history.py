"""A claim's history with the rows edited with it: the agencies, attribution lines, via documents and
figures it gained, changed and lost, and who did it. A selector: a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agencies.core.figures import figure_value
from agencies.models import Agency, Attribution, AttributionHop, ClaimAgency, Document, Figure, Source

# The newest changes of each kind shown on the claim's history page.
LINES_SHOWN = 100
_ACTIONS = {"+": "added", "~": "changed", "-": "removed"}


@dataclass(frozen=True)
class LineChange:
    when: datetime
    what: str  # "attribution line", "via document", ...
    action: str  # added, changed, removed
    label: str
    user: str
    reason: str


def claim_line_changes(claim_id: int, *, limit: int = LINES_SHOWN) -> list[LineChange]:
    """Newest first: every change to the rows that belong to the claim, the deleted ones included."""

    def recent(model, **lookup) -> list:
        return list(model.history.filter(**lookup).select_related("history_user")[:limit])

    agencies = recent(ClaimAgency, claim_id=claim_id)
    lines = recent(Attribution, claim_id=claim_id)
    line_ids = Attribution.history.filter(claim_id=claim_id).values_list("id", flat=True)
    hops = recent(AttributionHop, attribution_id__in=line_ids)
    figures = recent(Figure, claim_id=claim_id)
    documents = _labels(Document, {row.document_id for row in [*lines, *hops]}, "slug")
    sources = _labels(Source, {row.origin_id for row in lines}, "slug")
    named = {
        pk: agency.label for pk, agency in Agency.objects.in_bulk({r.agency_id for r in agencies}).items()
    }

    def line(row) -> str:
        return f"{row.stance} · {documents.get(row.document_id, '?')} from {sources.get(row.origin_id, '?')}"

    changes = [
        *(_change(row, "agency", named.get(row.agency_id, "?")) for row in agencies),
        *(_change(row, "attribution line", line(row)) for row in lines),
        *(_change(row, "via document", documents.get(row.document_id, "?")) for row in hops),
        *(_change(row, "figure", f"{row.slug}: {figure_value(row.value)} {row.unit}") for row in figures),
    ]
    return sorted(changes, key=lambda change: change.when, reverse=True)[:limit]


def _labels(model, pks: set, field: str) -> dict:
    return dict(model.objects.filter(pk__in=pks).values_list("pk", field))


def _change(row, what: str, label: str) -> LineChange:
    return LineChange(
        when=row.history_date,
        what=what,
        action=_ACTIONS.get(row.history_type, "changed"),
        label=label,
        user=getattr(row.history_user, "username", "") or "system",
        reason=row.history_change_reason or "",
    )
