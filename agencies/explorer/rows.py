"""Reads for the researchers' pages: the claims explorer, its exports, the agency index and pages.

Like agencies.core.selectors, every function here runs a fixed number of queries whatever the size of
the record: the explorer reads evidence for the rows of one page only, exports read it chunk by
chunk, and the agency page reads each kind of related row once.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.safestring import SafeString

from agencies.core import selectors
from agencies.core.charts import contested_chart
from agencies.core.figures import (
    ClaimRef,
    ContestedView,
    FigureSide,
    StatusCount,
    figure_side,
    figure_value,
    ratio_label,
)
from agencies.core.pagination import Counts, estimated_counts_by
from agencies.core.scope import (
    RequestsPage,
    ScopedRequest,
    ScopeFindings,
    agency_scope,
    scope_findings,
    scope_requests,
)
from agencies.core.selectors import ClaimEvidence, EvidencedClaim, claim_evidence, claims_with_evidence
from agencies.models import (
    Agency,
    Claim,
    ClaimAgency,
    ClaimStatus,
    CommentRequest,
    DataAccess,
    DataAccessClaim,
    DataSystem,
    Figure,
    MissionFit,
    ReportedRole,
    RoleClaim,
    StatedMission,
)

# Rows an export reads at a time: the evidence of each chunk comes in one query per related table.
EXPORT_CHUNK = 500

# --- The explorer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    claim: Claim
    evidence: ClaimEvidence
    agencies: list[Agency]
    figures: list[Figure]
    contested: bool

    @property
    def figure_texts(self) -> list[str]:
        return [figure_text(figure) for figure in self.figures]

    @property
    def flags(self) -> list[tuple[str, str]]:
        """(css name, label) of what the evidence says about the claim, for small badges."""
        flags = []
        if self.evidence.anonymous_only:
            flags.append(("anonymous", "anonymous only"))
        if self.evidence.single_outlet:
            flags.append(("single-outlet", "single outlet"))
        if self.contested:
            flags.append(("contested", "contested"))
        flags += [("answered", f"disputed by {answer.slug}") for answer in self.evidence.disputed_by]
        if self.evidence.warnings:
            flags.append(("warning", "status vs evidence"))
        return flags


def explorer_claims(qs: QuerySet[Claim]) -> QuerySet[Claim]:
    """Claims with what a row shows: evidence, agencies and figures (claim_rows adds whether they are
    contested). Prefetches run once per evaluation (per page, or per chunk of an export)."""
    return claims_with_evidence(qs).prefetch_related(
        Prefetch(
            "claim_agencies",
            queryset=ClaimAgency.objects.select_related("agency").order_by("position", "id"),
        ),
        Prefetch("figures", queryset=Figure.objects.order_by("metric", "period_start", "slug")),
    )


def claim_row(claim: Claim, *, contested: bool) -> ClaimRow:
    return ClaimRow(
        claim=claim,
        evidence=claim_evidence(claim),
        agencies=[link.agency for link in claim.claim_agencies.all()],
        figures=list(claim.figures.all()),
        contested=contested,
    )


def claim_rows(claims: Iterable[Claim]) -> list[ClaimRow]:
    """Rows for claims read through explorer_claims. Whether each is contested is decided for these
    rows alone (selectors.contested_claim_ids), never by pairing every figure of the record."""
    claims = list(claims)
    contested = selectors.contested_claim_ids(claims)
    return [claim_row(claim, contested=claim.pk in contested) for claim in claims]


# --- Exports --------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "id",
    "text",
    "kind",
    "status",
    "made",
    "made_precision",
    "agencies",
    "agency_ids",
    "independent_origins",
    "anonymous_only",
    "single_outlet",
    "contested",
    "warnings",
    "figures",
    "lines",
]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); also with
# their full-width and small forms (＝ ＋ － ＠ ﹦...), which some read as the same.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def figure_text(figure: Figure) -> str:
    """'139,000 people (removals), 20 Jan 2025 – 28 Apr 2025, press briefing'."""
    start, end = figure.period_start, figure.period_end
    period = ""
    if start is not None and end is not None:
        period = start.display() if start == end else f"{start.display()} – {end.display()}"
    text = f"{figure_value(figure.value)} {figure.unit} ({figure.metric})"
    if period:
        text += f", {period}"
    return f"{text}, {figure.basis}" if figure.basis else text


def export_record(row: ClaimRow) -> dict:
    """A claim as the exports write it: public fields only (sources by their public label)."""
    claim, evidence = row.claim, row.evidence
    return {
        "id": claim.slug,
        "text": claim.text,
        "kind": claim.kind,
        "status": claim.status,
        "made": claim.made.isoformat() if claim.made else None,
        "made_precision": claim.made.precision if claim.made else None,
        "agencies": [
            {"id": agency.slug, "name": agency.name, "acronym": agency.acronym} for agency in row.agencies
        ],
        "independent_origins": evidence.independent_origins,
        "anonymous_only": evidence.anonymous_only,
        "single_outlet": evidence.single_outlet,
        "contested": row.contested,
        "warnings": list(evidence.warnings),
        "figures": [
            {
                "id": figure.slug,
                "metric": figure.metric,
                "value": format(figure.value.normalize(), "f"),
                "unit": figure.unit,
                "period_start": figure.period_start.isoformat() if figure.period_start else None,
                "period_end": figure.period_end.isoformat() if figure.period_end else None,
                "geography": figure.geography,
                "basis": figure.basis,
            }
            for figure in row.figures
        ],
        "lines": [
            {
                "stance": chain.stance,
                "chain": [*chain.steps, chain.origin_label],
                "origin_kind": chain.origin_kind,
                "quote": chain.quote,
                "locator": chain.locator,
            }
            for chain in evidence.chains
        ],
        "answers": evidence.answers.slug if evidence.answers else None,
        "answered_by": [
            {"id": answer.slug, "kind": answer.kind, "status": answer.status, "text": answer.text}
            for answer in evidence.answered_by
        ],
    }


def _batches(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def export_records(qs: QuerySet[Claim]) -> Iterator[dict]:
    """Every claim of `qs`, in its order, read EXPORT_CHUNK at a time (never all in memory).

    Inside a transaction: there PostgreSQL's server-side cursor hands rows over as it reads them;
    outside one it is declared WITH HOLD and copies out every row of the selection before the first."""
    with transaction.atomic(using=qs.db):
        for chunk in _batches(explorer_claims(qs).iterator(chunk_size=EXPORT_CHUNK), EXPORT_CHUNK):
            for row in claim_rows(chunk):
                yield export_record(row)


def spreadsheet_safe(value: str) -> str:
    """A text cell no spreadsheet will run as a formula: a leading quote makes it text."""
    first = unicodedata.normalize("NFKC", value[:1])  # ＝ → =, ﹢ → +, ＠ → @
    return "'" + value if first.startswith(FORMULA_STARTS) or value.startswith(FORMULA_STARTS) else value


def _csv_cells(record: dict) -> list:
    lines = [
        f"{line['stance']}: {' → '.join(line['chain'])}"
        + (f" “{line['quote']}”" if line["quote"] else "")
        + (f" ({line['locator']})" if line["locator"] else "")
        for line in record["lines"]
    ]
    cells = {
        **record,
        "agencies": "; ".join(a["acronym"] or a["name"] for a in record["agencies"]),
        "agency_ids": "; ".join(a["id"] for a in record["agencies"]),
        "anonymous_only": "yes" if record["anonymous_only"] else "no",
        "single_outlet": "yes" if record["single_outlet"] else "no",
        "contested": "yes" if record["contested"] else "no",
        "warnings": "; ".join(record["warnings"]),
        "figures": "; ".join(
            f"{f['value']} {f['unit']} ({f['metric']}), {f['period_start'] or '?'} – {f['period_end'] or '?'}"
            for f in record["figures"]
        ),
        "lines": " | ".join(lines),
    }
    return [
        spreadsheet_safe(value) if isinstance(value, str) else ("" if value is None else value)
        for value in (cells[column] for column in CSV_COLUMNS)
    ]


def csv_stream(records: Iterable[dict]) -> Iterator[str]:
    """CSV text in pieces: a byte-order mark first, so that spreadsheets read the file as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(_csv_cells(record))
        yield buffer.getvalue()


def json_stream(records: Iterable[dict], *, header: dict) -> Iterator[str]:
    """{...header, "claims": [...]} in pieces, one claim at a time."""
    opening = json.dumps(header, ensure_ascii=False)[:-1]
    yield opening + (', "claims": [' if header else '{"claims": [')
    first = True
    for record in records:
        yield ("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]}\n"


# --- Agencies -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyNode:
    agency: Agency
    depth: int
    claims: int | None  # claims about this agency itself (None: not counted)
    outside_roles: int | None  # its reported roles outside its stated mission
    estimated: bool = False  # `claims` is the planner's estimate (a large record)


def _tree(agencies: list[Agency], roots: list[Agency]) -> list[tuple[Agency, int]]:
    children: dict[int | None, list[Agency]] = defaultdict(list)
    for agency in agencies:
        children[agency.parent_id].append(agency)
    ordered, seen = [], set()

    def visit(agency: Agency, depth: int):
        if agency.pk in seen:  # a mistaken cycle in parents still ends
            return
        seen.add(agency.pk)
        ordered.append((agency, depth))
        for child in sorted(children[agency.pk], key=lambda a: (a.name.lower(), a.slug)):
            visit(child, depth + 1)

    for root in sorted(roots, key=lambda a: (a.name.lower(), a.slug)):
        visit(root, 0)
    return ordered


def agency_tree(*, counts: bool = True) -> list[AgencyNode]:
    """Every agency, depth-first under its parent, with how many claims are about it.

    The claims are counted per agency in one aggregate, or on a large record estimated from the
    planner's statistics (a million claims' links cost more to count than the rest of the page).
    Without `counts` (the explorer's agency filter, which shows none) nothing is counted."""
    agencies = Agency.objects.all()
    claims = Counts({}, estimated=False)
    if counts:
        agencies = agencies.annotate(
            outside_count=_count(
                ReportedRole.objects.filter(agency=OuterRef("pk"), mission_fit=MissionFit.OUTSIDE),
                "agency_id",
            ),
        )
        claims = estimated_counts_by(ClaimAgency, "agency")
    agencies = list(agencies)
    ids = {agency.pk for agency in agencies}
    roots = [agency for agency in agencies if agency.parent_id not in ids]
    return [
        AgencyNode(
            agency=agency,
            depth=depth,
            claims=claims.get(agency.pk) if counts else None,
            outside_roles=getattr(agency, "outside_count", None),
            estimated=claims.estimated,
        )
        for agency, depth in _tree(agencies, roots)
    ]


def _count(qs: QuerySet, field_name: str):
    counted = qs.order_by().values(field_name).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1]), Value(0))


@dataclass(frozen=True)
class RoleEntry:
    role: ReportedRole
    claims: list[EvidencedClaim]

    @property
    def category(self) -> str:
        return self.role.category.replace("_", " ")


@dataclass(frozen=True)
class MissionAndRoles:
    """An agency's stated missions (newest last: the last is current) set against its reported roles."""

    agency: Agency
    missions: list[StatedMission]
    roles: list[RoleEntry]

    @property
    def current(self) -> StatedMission | None:
        return self.missions[-1] if self.missions else None

    @property
    def earlier(self) -> list[StatedMission]:
        return self.missions[:-1]


@dataclass(frozen=True)
class AccessEntry:
    access: DataAccess
    claims: list[EvidencedClaim]


@dataclass(frozen=True)
class SystemEntry:
    system: DataSystem
    accesses: list[AccessEntry]


@dataclass(frozen=True)
class TimelineRow:
    when: str  # as precise as the record: "May 2025", "20 Jan 2025 – 28 Apr 2025"
    precision: str  # year | month | day
    kind: str
    text: str


@dataclass(frozen=True)
class ConnectedEntry:
    agency: Agency
    reasons: list[str]


@dataclass
class AgencyProfile:
    agency: Agency
    ancestors: list[Agency]  # the top of the hierarchy first
    subtree: list[tuple[Agency, int]]  # the agency first, then its sub-agencies depth-first
    missions_and_roles: list[MissionAndRoles]
    partner_roles: list[RoleEntry]  # roles other agencies are reported to play for this one
    systems: list[SystemEntry]  # data systems the agency (or a sub-agency) holds
    sought: list[AccessEntry]  # access it seeks to other agencies' systems
    statuses: list[StatusCount]
    claims: int
    claims_estimated: bool  # a large scope's claims are estimated (pagination.EXACT_UP_TO)
    facts: ScopeFindings  # the scope's facts, as Findings shows them (first pages)
    chart: SafeString
    timeline: TimelineSection
    connected: list[ConnectedEntry]

    @property
    def contested(self) -> list[selectors.ContestedFigures]:
        return self.facts.contested

    @property
    def rates(self) -> list[selectors.ComparableRates]:
        return self.facts.rates

    @property
    def comment_requests(self) -> list[ScopedRequest]:
        return self.facts.comment_requests

    @property
    def open_requests(self) -> list[CommentRequest]:
        return [entry.request for entry in self.facts.open_requests]


@dataclass(frozen=True)
class TimelineSection:
    """One page of an agency's timeline: page 1 holds its latest events."""

    rows: list[TimelineRow]
    page: int
    has_next: bool  # earlier events are on the next page

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def timeline_section(agency: Agency, *, page: int = 1, ids: list[int] | None = None) -> TimelineSection:
    """`ids`: the agency's subtree when the caller has it."""
    found = selectors.timeline_page(ids if ids is not None else agency, page=page)
    rows = [
        TimelineRow(
            when=e.when, precision=e.date.precision, kind=selectors.TIMELINE_LABELS[e.kind], text=e.text
        )
        for e in found.events
    ]
    return TimelineSection(rows=rows, page=page, has_next=found.has_next)


def agency_findings(agency: Agency) -> ScopeFindings:
    """The facts of the agency's scope, each list's first page."""
    return scope_findings(agency_scope(agency.pk))


def agency_figures_page(agency: Agency, *, page: int) -> selectors.FigurePairsPage:
    """A further page of the figure pairs of the agency's scope."""
    return selectors.figure_pairs_page(agency_scope(agency.pk).involved, page=page)


def agency_requests_page(agency: Agency, *, page: int) -> RequestsPage:
    """A further page of the comment requests of the agency's scope."""
    return scope_requests(agency_scope(agency.pk), page=page)


def agency_profile(agency: Agency) -> AgencyProfile:
    """What the agency's briefing holds, on one page: hierarchy, stated missions against reported roles,
    data systems and access sought, claims by status, contested figures, timeline, comment requests.
    Sub-agencies at any depth are included, as in its briefing. Long lists show their first page."""
    agency, ancestors, subtree, by_pk = _hierarchy(agency)
    ids = [a.pk for a, _depth in subtree]
    related = _related(agency, subtree, ids)
    statuses, total, estimated = _claims_by_status(ids)
    facts = agency_findings(agency)
    return AgencyProfile(
        agency=agency,
        ancestors=ancestors,
        subtree=subtree,
        **related,
        statuses=statuses,
        claims=total,
        claims_estimated=estimated,
        facts=facts,
        chart=contested_svg(facts.contested),
        timeline=timeline_section(agency, ids=ids),
        connected=[
            ConnectedEntry(agency=by_pk[pk], reasons=reasons)
            for pk, reasons in sorted(facts.scope.connected.items(), key=lambda kv: by_pk[kv[0]].name.lower())
        ],
    )


def _hierarchy(agency: Agency) -> tuple[Agency, list[Agency], list[tuple[Agency, int]], dict[int, Agency]]:
    """The agency, its ancestors (the top first), its subtree depth-first, every agency by id."""
    by_pk = {a.pk: a for a in Agency.objects.all()}
    agency = by_pk[agency.pk]
    subtree = _tree(list(by_pk.values()), [agency])
    ancestors, seen, parent_id = [], {agency.pk}, agency.parent_id
    while parent_id is not None and parent_id in by_pk and parent_id not in seen:
        seen.add(parent_id)
        ancestors.insert(0, by_pk[parent_id])
        parent_id = by_pk[parent_id].parent_id
    return agency, ancestors, subtree, by_pk


def _claims_by_status(ids: list[int]) -> tuple[list[StatusCount], int, bool]:
    """Claims about the agencies by status (selectors.claims_by_status), their total, whether estimated."""
    counts, estimated = selectors.claims_by_status(ids)
    statuses = [StatusCount(status=s.value, label=s.label, count=counts.get(s.value, 0)) for s in ClaimStatus]
    return statuses, sum(counts.values()), estimated


def _side(reading: selectors.FigureReading, per_month: bool) -> FigureSide:
    claim = reading.claim
    ref = ClaimRef(number=None, text=claim.text, status=claim.status, status_label=claim.get_status_display())
    return figure_side(reading, per_month=per_month, claim=ref)


def contested_svg(pairs: list[selectors.ContestedFigures]) -> SafeString:
    """The briefing's own chart of contested figures (every label escaped, no script or style)."""
    views = [
        ContestedView(
            metric=pair.metric.replace("_", " "),
            first=_side(pair.first, pair.compared_as != "count"),
            second=_side(pair.second, pair.compared_as != "count"),
            ratio=ratio_label(pair.ratio),
            compared_as=pair.compared_as,
        )
        for pair in pairs
    ]
    return contested_chart(views)


def _evidenced(ids: set[int]) -> dict[int, EvidencedClaim]:
    claims = claims_with_evidence(Claim.objects.filter(pk__in=ids)) if ids else []
    return {claim.pk: EvidencedClaim(claim=claim, evidence=claim_evidence(claim)) for claim in claims}


def _related(agency: Agency, subtree: list[tuple[Agency, int]], ids: list[int]) -> dict:
    """Missions against roles, roles played for the agencies, data systems and access sought, each
    with the claims it rests on and their evidence (read once for all of them)."""
    missions = defaultdict(list)
    for mission in StatedMission.objects.filter(agency_id__in=ids).select_related("document__outlet"):
        missions[mission.agency_id].append(mission)
    roles, partner_roles = _roles(ids)
    systems, sought = _systems(ids)
    accesses = [*(a for s in systems for a in s.accesses.all()), *sought]
    wanted = {link.claim_id for role in [*roles, *partner_roles] for link in role.role_claims.all()}
    wanted |= {link.claim_id for access in accesses for link in access.access_claims.all()}
    evidenced = _evidenced(wanted)

    def role_entry(role: ReportedRole) -> RoleEntry:
        return RoleEntry(role=role, claims=[evidenced[link.claim_id] for link in role.role_claims.all()])

    def access_entry(access: DataAccess) -> AccessEntry:
        return AccessEntry(
            access=access, claims=[evidenced[link.claim_id] for link in access.access_claims.all()]
        )

    roles_by_agency = defaultdict(list)
    for role in roles:
        roles_by_agency[role.agency_id].append(role_entry(role))
    return {
        "missions_and_roles": [
            MissionAndRoles(agency=a, missions=missions[a.pk], roles=roles_by_agency[a.pk])
            for a, _depth in subtree
            if missions[a.pk] or roles_by_agency[a.pk] or a.pk == agency.pk
        ],
        "partner_roles": [role_entry(role) for role in partner_roles],
        "systems": [
            SystemEntry(system=system, accesses=[access_entry(a) for a in system.accesses.all()])
            for system in systems
        ],
        "sought": [access_entry(access) for access in sought],
    }


def _roles(ids: list[int]) -> tuple[list[ReportedRole], list[ReportedRole]]:
    """The agencies' reported roles, and those other agencies are reported to play for them."""
    role_claims = Prefetch("role_claims", queryset=RoleClaim.objects.order_by("position", "id"))
    roles = ReportedRole.objects.select_related("agency", "partner").prefetch_related(role_claims)
    return (
        list(roles.filter(agency_id__in=ids).order_by("agency__name", "slug")),
        list(roles.filter(partner_id__in=ids).exclude(agency_id__in=ids).order_by("agency__name", "slug")),
    )


def _systems(ids: list[int]) -> tuple[list[DataSystem], list[DataAccess]]:
    """Data systems the agencies hold (with who seeks access), and access they seek to others'."""
    access_claims = Prefetch("access_claims", queryset=DataAccessClaim.objects.order_by("position", "id"))
    accesses = DataAccess.objects.select_related("seeker").prefetch_related(access_claims)
    systems = (
        DataSystem.objects.filter(agency_id__in=ids)
        .select_related("agency")
        .prefetch_related(Prefetch("accesses", queryset=accesses.order_by("seeker__name", "id")))
        .order_by("agency__name", "name")
    )
    sought = (
        DataAccess.objects.filter(seeker_id__in=ids)
        .exclude(system__agency_id__in=ids)
        .select_related("system__agency", "seeker")
        .prefetch_related(access_claims)
        .order_by("system__agency__name", "system__name")
    )
    return list(systems), list(sought)
