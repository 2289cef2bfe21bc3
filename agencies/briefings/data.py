"""The data a briefing is built from: one call, `briefing_data`, reads everything from the record.

It returns plain, immutable values (strings, numbers, lists) rather than model instances, so that:
the template cannot reach back into the database (no query per row, no field the data did not
choose to show), the fingerprint is a hash of exactly what is printed, and a public briefing cannot
print what it never loaded: confidential notes are only ever queried for an internal one.

The number of queries depends on the scope (a few per agency named in it), never on the size of
the record: related rows come through select_related/prefetch_related, derived answers from
agencies.core.selectors.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from agencies.briefings.scope import ResolvedScope, resolve_scope
from agencies.core import selectors
from agencies.core.dates import PartialDate
from agencies.core.figures import (
    ChainStep,
    ChainView,
    ClaimRef,
    ContestedView,
    FigureSide,
    StatusCount,
    figure_side,
    figure_value,
    ratio_label,
)
from agencies.core.scope import (
    ScopeFacts,
    agency_scope,
    comment_outcome,
    comment_requests,
    scope_claims_q,
    scope_facts,
    telling_rates,
)
from agencies.models import (
    UNNAMED_KINDS,
    Agency,
    Claim,
    ClaimAgency,
    ClaimStatus,
    DataAccess,
    DataAccessClaim,
    DataSystem,
    Document,
    Figure,
    ReportedRole,
    RoleClaim,
    SourceConfidentialNote,
    SourceKind,
    Stance,
    StatedMission,
)

PUBLIC, INTERNAL = "public", "internal"
AUDIENCES = (PUBLIC, INTERNAL)

# --- What the template receives ---------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    """A document in the numbered register of sources. The URL is text, never fetched."""

    number: int
    outlet: str
    title: str
    kind: str
    published: str
    authors: list[str]
    url: str
    archived_url: str


@dataclass
class AnswerView:
    """A claim answering (or answered by) a printed claim: 'disputed by C7: USPS denies…'."""

    slug: str
    text: str
    status_label: str
    contests: bool
    number: int | None = None  # set once every claim of the briefing is numbered

    @property
    def ref(self) -> str:
        return f"C{self.number}" if self.number else self.slug


@dataclass(frozen=True)
class ClaimView:
    number: int
    slug: str
    text: str
    kind: str
    status: str
    status_label: str
    made: str
    about: list[str]
    chains: list[ChainView]
    independent_origins: int
    anonymous_only: bool
    single_outlet: bool
    warnings: list[str]
    figures: list[str]
    answered_by: list[AnswerView] = field(default_factory=list)
    answers: AnswerView | None = None


@dataclass(frozen=True)
class MissionView:
    text: str
    as_of: str
    source: int | None
    source_label: str
    current: bool


@dataclass(frozen=True)
class RoleView:
    summary: str
    category: str
    status_label: str
    first_reported: str
    mission_fit: str
    mission_fit_label: str
    rationale: str
    partner: str
    claims: list[ClaimRef]


@dataclass(frozen=True)
class AccessView:
    system: str
    holder: str
    seeker: str
    status_label: str
    claims: list[ClaimRef]


@dataclass(frozen=True)
class DataSystemView:
    name: str
    description: str
    accesses: list[AccessView]


@dataclass(frozen=True)
class AgencySection:
    anchor: str
    name: str
    acronym: str
    label: str
    kind: str
    website: str
    parent: str
    children: list[str]
    depth: int
    missions: list[MissionView]
    roles: list[RoleView]
    data_systems: list[DataSystemView]
    access_sought: list[AccessView]
    claims: list[ClaimView]
    also: list[ClaimRef]  # claims about this agency printed under another one, above it
    also_below: list[ClaimRef]  # ... and below it


@dataclass(frozen=True)
class ConnectedAgency:
    """An agency outside the scope that the scope's roles, data or claims involve."""

    label: str
    name: str
    parent: str
    mission: str
    mission_source: int | None
    reasons: list[str]


@dataclass(frozen=True)
class RateView:
    metric: str
    first: FigureSide  # the earlier period
    second: FigureSide
    ratio: str
    larger: str  # "earlier" or "later": which period's monthly rate is the larger


@dataclass(frozen=True)
class DriftView:
    agency: str
    mission: str
    mission_source: int | None
    summary: str
    status_label: str
    partner: str
    rationale: str
    claims: list[ClaimRef]
    anonymous_only: int  # how many of those claims rest only on anonymous or unnamed sources


@dataclass(frozen=True)
class KeyFindings:
    drift: list[DriftView]
    statuses: list[StatusCount]
    claims: int
    anonymous_only: int
    anonymous_share: str
    single_outlet: int
    warnings: int
    contested: int
    open_requests: int
    declined_requests: int
    answered_requests: int


@dataclass(frozen=True)
class TimelineEntry:
    when: str
    precision: str
    kind: str
    text: str


@dataclass(frozen=True)
class CommentRequestView:
    agency: str
    agency_name: str
    outlet: str
    document: str
    source: int | None
    requested: str
    response: str  # the outcome's label: "Declined", "Responded", "No response by publication"
    response_status: str  # none | declined | responded
    outcome: str  # "declined to comment", "responded: “…”", "no response by publication"
    connected: bool  # asked of an agency connected to the scope, not one of its own


@dataclass(frozen=True)
class BriefingData:
    audience: str
    scope: dict
    scope_label: str
    title: str
    short_title: str
    subject: str
    summary: str  # the paragraph a reader takes in first
    agencies: list[AgencySection]
    connected: list[ConnectedAgency]
    other_claims: list[ClaimView]
    findings: KeyFindings
    contested: list[ContestedView]
    rates: list[RateView]
    timeline: list[TimelineEntry]
    comment_requests: list[CommentRequestView]
    sources: list[SourceRef]
    confidential_sources: int  # chains carrying a confidential note (internal only)
    # The thresholds the methodology states: part of what is printed, so part of the fingerprint.
    period_tolerance_days: int = selectors.PERIOD_TOLERANCE_DAYS
    value_tolerance: str = f"{selectors.VALUE_TOLERANCE * 100:.0f}%"

    def canonical(self) -> dict[str, Any]:
        """Everything the briefing prints, as JSON-ready values: what the fingerprint hashes."""
        return dataclasses.asdict(self)


# --- Building ---------------------------------------------------------------------------------------


def _display(date: PartialDate | None, empty: str = "undated") -> str:
    return date.display() if date is not None else empty


def _agency_label(agency: Agency) -> str:
    return agency.acronym or agency.name


def _document_label(document: Document | None) -> str:
    if document is None:
        return ""
    return document.outlet.name if document.outlet_id else document.title


class _Register:
    """The numbered list of sources, numbered in order of first mention."""

    def __init__(self):
        self.numbers: dict[int, int] = {}
        self.entries: list[SourceRef] = []

    def ref(self, document: Document | None) -> int | None:
        if document is None:
            return None
        if document.pk not in self.numbers:
            number = len(self.entries) + 1
            self.numbers[document.pk] = number
            self.entries.append(
                SourceRef(
                    number=number,
                    outlet=document.outlet.name if document.outlet_id else "",
                    title=document.title,
                    kind=document.get_kind_display(),
                    published=_display(document.published),
                    authors=[str(a) for a in document.authors or []]
                    if isinstance(document.authors, list)
                    else [],
                    url=document.url,
                    archived_url=document.archived_url,
                )
            )
        return self.numbers[document.pk]


class _Builder:
    def __init__(self, audience: str, resolved: ResolvedScope):
        self.audience = audience
        self.resolved = resolved
        self.register = _Register()
        self.numbers: dict[int, int] = {}  # claim pk -> number printed
        self.notes: dict[int, str] = {}

    # Claims -----------------------------------------------------------------------------------------

    def chains(self, claim: Claim, evidence: selectors.ClaimEvidence) -> list[ChainView]:
        views = []
        # claim_evidence builds one chain per attribution, in the same order as the prefetch.
        for chain, attribution in zip(evidence.chains, claim.attributions.all(), strict=True):
            documents = [attribution.document, *(hop.document for hop in attribution.hops.all())]
            views.append(
                ChainView(
                    stance=chain.stance,
                    stance_label=Stance(chain.stance).label,
                    steps=[
                        ChainStep(label=label, source=self.register.ref(document))
                        for label, document in zip(chain.steps, documents, strict=True)
                    ],
                    origin=chain.origin_label,
                    origin_kind=SourceKind(chain.origin_kind).label,
                    unnamed=chain.origin_kind in UNNAMED_KINDS,
                    quote=chain.quote,
                    locator=chain.locator,
                    confidential=self.notes.get(chain.origin_id, ""),
                )
            )
        return views

    def claim_view(self, claim: Claim) -> ClaimView:
        evidence = selectors.claim_evidence(claim)
        self.numbers.setdefault(claim.pk, len(self.numbers) + 1)
        return ClaimView(
            number=self.numbers[claim.pk],
            slug=claim.slug,
            text=claim.text,
            kind=claim.get_kind_display(),
            status=claim.status,
            status_label=claim.get_status_display(),
            made=_display(claim.made),
            about=[_agency_label(link.agency) for link in claim.claim_agencies.all()],
            chains=self.chains(claim, evidence),
            independent_origins=evidence.independent_origins,
            anonymous_only=evidence.anonymous_only,
            single_outlet=evidence.single_outlet,
            warnings=list(evidence.warnings),
            figures=[
                f"{figure_value(f.value)} {f.unit} ({f.metric}), "
                f"{_display(f.period_start)} – {_display(f.period_end)}" + (f", {f.basis}" if f.basis else "")
                for f in claim.figures.all()
            ],
            answered_by=[_answer_view(answer) for answer in evidence.answered_by],
            answers=_answer_view(evidence.answers) if evidence.answers else None,
        )

    def number_answers(self, views: Iterable[ClaimView]) -> None:
        """Point each answer at the number its claim got in this briefing, once all are numbered."""
        numbers = {view.slug: view.number for view in views}
        for view in views:
            for answer in [*view.answered_by, *([view.answers] if view.answers else [])]:
                answer.number = numbers.get(answer.slug)

    def claim_ref(self, claim: Claim) -> ClaimRef:
        return ClaimRef(
            number=self.numbers.get(claim.pk),
            text=claim.text,
            status=claim.status,
            status_label=claim.get_status_display(),
        )

    # Figures ----------------------------------------------------------------------------------------

    def side(self, reading: selectors.FigureReading, concerns: list[str], per_month: bool) -> FigureSide:
        return figure_side(
            reading,
            per_month=per_month,
            claim=self.claim_ref(reading.claim),
            concerns=concerns,
            lines=self.chains(reading.claim, reading.evidence),
        )


def _answer_view(answer: selectors.Answer) -> AnswerView:
    return AnswerView(
        slug=answer.slug,
        text=answer.text,
        status_label=ClaimStatus(answer.status).label,
        contests=answer.contests,
    )


def _tree_order(agencies: dict[int, Agency], roots: Iterable[int]) -> list[tuple[Agency, int]]:
    """Depth-first, children by name, each agency once: [(agency, depth), ...]."""
    children: dict[int, list[Agency]] = defaultdict(list)
    for agency in agencies.values():
        if agency.parent_id in agencies:
            children[agency.parent_id].append(agency)
    ordered, seen = [], set()

    def visit(agency: Agency, depth: int):
        if agency.pk in seen:
            return
        seen.add(agency.pk)
        ordered.append((agency, depth))
        for child in sorted(children[agency.pk], key=lambda a: (a.name.lower(), a.slug)):
            visit(child, depth + 1)

    for pk in roots:
        visit(agencies[pk], 0)
    return ordered


def _agencies_with_profile(ids: Iterable[int], claims: set[int] | None = None):
    """Agencies with their missions, roles, data systems and accesses; with `claims` (ids: a
    briefing on a selection), only the roles and accesses that rest on one of those claims."""
    roles, accesses = ReportedRole.objects.all(), DataAccess.objects.all()
    if claims is not None:
        roles = roles.filter(pk__in=RoleClaim.objects.filter(claim_id__in=claims).values("role_id"))
        accesses = accesses.filter(
            pk__in=DataAccessClaim.objects.filter(claim_id__in=claims).values("access_id")
        )
    return (
        Agency.objects.filter(pk__in=list(ids))
        .select_related("parent")
        .prefetch_related(
            Prefetch("children", queryset=Agency.objects.order_by("name", "slug")),
            _missions(),
            Prefetch(
                "roles",
                queryset=roles.select_related("partner")
                .prefetch_related(
                    Prefetch(
                        "role_claims",
                        queryset=RoleClaim.objects.select_related("claim").order_by("position", "id"),
                    )
                )
                .order_by("slug"),
            ),
            Prefetch(
                "data_systems",
                queryset=DataSystem.objects.prefetch_related(
                    Prefetch(
                        "accesses",
                        queryset=accesses.select_related("seeker")
                        .prefetch_related(_access_claims())
                        .order_by("seeker__name", "id"),
                    )
                ).order_by("name", "slug"),
            ),
            Prefetch(
                "data_accesses",
                queryset=accesses.select_related("system__agency")
                .prefetch_related(_access_claims())
                .order_by("system__agency__name", "system__name", "id"),
            ),
        )
    )


def _missions() -> Prefetch:
    return Prefetch(
        "missions",
        queryset=StatedMission.objects.select_related("document__outlet").order_by("position", "id"),
    )


def _access_claims() -> Prefetch:
    return Prefetch(
        "access_claims", queryset=DataAccessClaim.objects.select_related("claim").order_by("position", "id")
    )


def _claims(qs) -> list[Claim]:
    claims = selectors.claims_with_evidence(qs).prefetch_related(
        Prefetch(
            "claim_agencies", queryset=ClaimAgency.objects.select_related("agency").order_by("position", "id")
        ),
        Prefetch("figures", queryset=Figure.objects.order_by("metric", "period_start", "slug")),
    )
    # Newest first, undated last, then by slug: the same order on every database (sorts are stable).
    ordered = sorted(claims, key=lambda claim: claim.slug)
    ordered.sort(key=lambda claim: claim.made.isoformat() if claim.made else "", reverse=True)
    return ordered


def briefing_data(*, scope: Any, audience: str) -> BriefingData:
    """Everything a briefing prints, read from the record. Raises ValidationError for a bad scope.

    In four steps: the scope (which claims and agencies), the selection's rules (which roles and
    accesses are shown), the derived facts (drift, contested figures, rates, requests, timeline) and
    the views built from them, in reading order.
    """
    if audience not in AUDIENCES:
        raise ValidationError(f"Unknown audience {audience!r}: use public or internal.", code="audience")
    selection = _selection(resolve_scope(scope))
    derived = _derived(selection)
    builder = _Builder(audience, selection.resolved)
    builder.notes = _confidential_notes(audience, selection, derived)
    return _build(builder, selection, derived)


# --- Scope and selection: which claims, which agencies get a section ---------------------------------


@dataclass
class _Selection:
    resolved: ResolvedScope
    claims: list[Claim]
    section_ids: set[int]
    agencies: dict[int, Agency]  # the sections' agencies, with their profile
    ordered: list[tuple[Agency, int]]  # the sections in reading order, with their depth
    root_ids: list[int]
    facts: ScopeFacts | None  # an agency scope's facts (None for a selection of claims)
    connected: dict[int, list[str]] = field(default_factory=dict)  # agency pk -> why it is involved

    @property
    def is_selection(self) -> bool:
        return self.resolved.claim_filter is not None

    @functools.cached_property
    def selected(self) -> set[int]:
        return {claim.pk for claim in self.claims}

    @property
    def involved(self) -> set[int]:
        return set(self.section_ids) | set(self.connected)

    def roles(self, agency: Agency) -> list[ReportedRole]:
        """The agency's roles a briefing shows: on a selection, those resting on a selected claim."""
        roles = list(agency.roles.all())
        if self.is_selection:
            roles = [r for r in roles if any(link.claim_id in self.selected for link in r.role_claims.all())]
        return roles

    def accesses(self, accesses: Iterable[DataAccess]) -> list[DataAccess]:
        accesses = list(accesses)
        if self.is_selection:
            accesses = [
                a for a in accesses if any(link.claim_id in self.selected for link in a.access_claims.all())
            ]
        return accesses


def _selection(resolved: ResolvedScope) -> _Selection:
    facts = None
    if resolved.claim_filter is None:
        # The one definition of an agency's scope, shared with its page and Findings.
        scope = agency_scope(resolved.roots)
        facts = scope_facts(scope)
        root_ids: list[int] | None = list(scope.roots)
        claims = _claims(Claim.objects.filter(scope_claims_q(scope.own)))
        section_ids = set(scope.own)
    else:
        claims = _claims(resolved.claim_filter.qs)
        section_ids = {link.agency_id for claim in claims for link in claim.claim_agencies.all()}
        root_ids = None
    by_selection = None if resolved.claim_filter is None else {claim.pk for claim in claims}
    agencies = {agency.pk: agency for agency in _agencies_with_profile(section_ids, by_selection)}
    if root_ids is None:
        root_ids = sorted(
            (pk for pk, a in agencies.items() if a.parent_id not in agencies),
            key=lambda pk: (agencies[pk].name.lower(), agencies[pk].slug),
        )
    selection = _Selection(
        resolved=resolved,
        claims=claims,
        section_ids=section_ids,
        agencies=agencies,
        ordered=_tree_order(agencies, root_ids),
        root_ids=root_ids,
        facts=facts,
    )
    if facts is not None:
        selection.connected = {
            pk: [reason.replace("this scope covers", "this briefing covers") for reason in reasons]
            for pk, reasons in scope.connected.items()
        }
    else:
        selection.connected = _selection_connected(selection)
    return selection


def _selection_connected(selection: _Selection) -> dict[int, list[str]]:
    """Agencies outside a selection that its roles, data systems and claims involve, and why."""
    connected: dict[int, list[str]] = defaultdict(list)

    def connect(agency: Agency | None, reason: str):
        if (
            agency is not None
            and agency.pk not in selection.section_ids
            and reason not in connected[agency.pk]
        ):
            connected[agency.pk].append(reason)

    for agency, _depth in selection.ordered:
        label = _agency_label(agency)
        for role in selection.roles(agency):
            connect(role.partner, f"partner in a role reported of {label}")
        for system in agency.data_systems.all():
            for access in selection.accesses(system.accesses.all()):
                connect(access.seeker, f"seeks or holds access to {label}'s data systems")
        for access in selection.accesses(agency.data_accesses.all()):
            connect(access.system.agency, f"holds data systems {label} seeks access to")
    for claim in selection.claims:
        for link in claim.claim_agencies.all():
            connect(link.agency, "named in claims this briefing covers")
    return connected


# --- Derived facts: through the core's selectors, never computed here a second time ------------------


@dataclass
class _Derived:
    drift: list
    contested: list[selectors.ContestedFigures]
    rates: list[selectors.ComparableRates]
    about: dict[int, list[tuple[int, str]]]  # claim pk of a compared figure -> its agencies
    requests: list
    events: list
    connected_agencies: dict[int, Agency]

    def concerns(self, reading: selectors.FigureReading) -> list[str]:
        return [label for _, label in self.about[reading.claim.pk]]


def _derived(selection: _Selection) -> _Derived:
    """For an agency scope, the scope's facts; for a selection, what its claims touch."""
    if selection.facts is not None:
        drift, contested, rates = selection.facts.drift, selection.facts.contested, selection.facts.rates
    else:
        by_selection = selection.selected
        drift = [
            entry
            for entry in selectors.mission_drift(set(selection.section_ids), resting_on=by_selection)
            if entry.agency.pk in selection.section_ids
            and any(ec.claim.pk in by_selection for role in entry.roles for ec in role.claims)
        ]
        contested = selectors.contested_figures(claims=by_selection)
        rates = telling_rates(selectors.comparable_rates(claims=by_selection), contested)
    about = _figure_agencies([*contested, *rates])
    involved = selection.involved

    def concerns_briefing(pair) -> bool:
        return any(
            reading.claim.pk in selection.selected or any(pk in involved for pk, _ in about[reading.claim.pk])
            for reading in (pair.first, pair.second)
        )

    cited = _cited_documents(selection.claims)
    return _Derived(
        drift=drift,
        contested=[pair for pair in contested if concerns_briefing(pair)],
        rates=[pair for pair in rates if concerns_briefing(pair)],
        about=about,
        requests=_requests(selection, cited),
        events=_events(selection, cited),
        connected_agencies=_connected_agencies(selection.connected),
    )


def _figure_agencies(pairs: list) -> dict[int, list[tuple[int, str]]]:
    paired_claims = {r.claim.pk for pair in pairs for r in (pair.first, pair.second)}
    about: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for link in (
        ClaimAgency.objects.filter(claim_id__in=paired_claims)
        .select_related("agency")
        .order_by("claim_id", "position", "id")
    ):
        about[link.claim_id].append((link.agency_id, _agency_label(link.agency)))
    return about


def _cited_documents(claims: list[Claim]) -> set[int]:
    return {
        document.pk
        for claim in claims
        for attribution in claim.attributions.all()
        for document in [attribution.document, *(hop.document for hop in attribution.hops.all())]
    }


def _requests(selection: _Selection, cited: set[int]) -> list:
    if selection.facts is not None:
        return [entry.request for entry in selection.facts.comment_requests]
    # A selection: the requests made for the documents it cites.
    return [r for r in comment_requests(selection.involved) if r.document_id in cited]


def _events(selection: _Selection, cited: set[int]) -> list:
    if not selection.is_selection:
        events, seen = [], set()
        for pk in selection.root_ids:
            for event in selectors.timeline(pk):
                key = (event.kind, event.obj.pk)
                if key not in seen:
                    seen.add(key)
                    events.append(event)
        events.sort(key=lambda e: e.date.isoformat())  # stable: each root's order within a day kept
        return events
    return selectors.timeline_of(
        claims=selection.selected,
        documents=cited,
        roles={role.pk for agency, _ in selection.ordered for role in selection.roles(agency)},
        agencies=selection.section_ids,
    )


def _connected_agencies(connected: dict[int, list[str]]) -> dict[int, Agency]:
    if not connected:
        return {}
    return {
        a.pk: a
        for a in Agency.objects.filter(pk__in=list(connected))
        .select_related("parent")
        .prefetch_related(_missions())
    }


def _confidential_notes(audience: str, selection: _Selection, derived: _Derived) -> dict[int, str]:
    """The confidentiality rule, in one place: a public briefing never prints who an anonymous source
    is, because it never reads it. An internal one reads the notes of the sources it prints, only."""
    if audience != INTERNAL:
        return {}
    origins = {a.origin_id for claim in selection.claims for a in claim.attributions.all()}
    for pair in [*derived.contested, *derived.rates]:
        for reading in (pair.first, pair.second):
            origins |= {a.origin_id for a in reading.claim.attributions.all()}
    return dict(
        SourceConfidentialNote.objects.filter(source_id__in=origins).values_list("source_id", "notes")
    )


# --- Building the views, in reading order: sections number claims and sources as they first appear ---


def _build(builder: _Builder, selection: _Selection, derived: _Derived) -> BriefingData:
    home = _claim_homes(selection)
    claims_by_agency: dict[int, list[Claim]] = defaultdict(list)
    also_by_agency: dict[int, list[Claim]] = defaultdict(list)
    for claim in selection.claims:
        if claim.pk in home:
            claims_by_agency[home[claim.pk]].append(claim)
        for link in claim.claim_agencies.all():
            if link.agency_id in selection.agencies and link.agency_id != home.get(claim.pk):
                also_by_agency[link.agency_id].append(claim)

    heads = []  # (agency, depth, missions, claims), numbering missions and claims in reading order
    claim_views: list[ClaimView] = []
    for agency, depth in selection.ordered:
        missions = _mission_views(builder, agency)
        home_claims = [builder.claim_view(claim) for claim in claims_by_agency[agency.pk]]
        claim_views += home_claims
        heads.append((agency, depth, missions, home_claims))
    other_claims = [builder.claim_view(claim) for claim in selection.claims if claim.pk not in home]
    claim_views += other_claims
    builder.number_answers(claim_views)

    # Roles and data come after the claims are numbered, so that they can point at them.
    sections, printed_before = [], 0  # claims numbered in the sections before this one
    for agency, depth, missions, home_claims in heads:
        sections.append(
            _agency_section(
                builder,
                selection,
                agency,
                depth,
                missions,
                home_claims,
                also_by_agency[agency.pk],
                printed_before,
            )
        )
        printed_before += len(home_claims)
    connected_views = _connected_views(builder, selection, derived)
    contested = [_contested_view(builder, derived, pair) for pair in derived.contested]
    rates = [_rate_view(builder, derived, pair) for pair in derived.rates]
    requests = [_request_view(builder, r, selection.section_ids) for r in derived.requests]
    drift = [_drift_view(builder, entry, role) for entry in derived.drift for role in entry.roles]
    timeline = [
        TimelineEntry(
            when=e.when, precision=e.date.precision, kind=selectors.TIMELINE_LABELS[e.kind], text=e.text
        )
        for e in derived.events
    ]
    title, short_title, subject, scope_label = _titles(
        selection.resolved, selection.ordered, builder.audience
    )
    return BriefingData(
        summary=_summary(
            subject=short_title,
            sections=sections,
            drift=drift,
            claims=claim_views,
            contested=contested,
            requests=requests,
        ),
        audience=builder.audience,
        scope=selection.resolved.normalised,
        scope_label=scope_label,
        title=title,
        short_title=short_title,
        subject=subject,
        agencies=sections,
        connected=connected_views,
        other_claims=other_claims,
        findings=_findings(claim_views, drift, contested, requests),
        contested=contested,
        rates=rates,
        timeline=timeline,
        comment_requests=requests,
        sources=builder.register.entries,
        confidential_sources=sum(1 for view in claim_views for chain in view.chains if chain.confidential),
    )


def _claim_homes(selection: _Selection) -> dict[int, int]:
    """The section each claim is printed in: its first agency with a section, else the agency whose
    role rests on it."""
    home: dict[int, int] = {}
    for claim in selection.claims:
        for link in claim.claim_agencies.all():
            if link.agency_id in selection.agencies:
                home.setdefault(claim.pk, link.agency_id)
                break
    for agency, _depth in selection.ordered:  # claims about no agency in the section, but resting its roles
        for role in selection.roles(agency):
            for link in role.role_claims.all():
                if link.claim_id in selection.selected:
                    home.setdefault(link.claim_id, agency.pk)
    return home


def _mission_views(builder: _Builder, agency: Agency) -> list[MissionView]:
    missions = list(agency.missions.all())
    return [
        MissionView(
            text=mission.text,
            as_of=_display(mission.as_of),
            source=builder.register.ref(mission.document),
            source_label=_document_label(mission.document),
            current=index == len(missions) - 1,
        )
        for index, mission in enumerate(missions)
    ]


def _agency_section(
    builder: _Builder,
    selection: _Selection,
    agency: Agency,
    depth: int,
    missions: list[MissionView],
    claims: list[ClaimView],
    also: list[Claim],
    printed_before: int,
) -> AgencySection:
    first_number = printed_before + 1
    also_refs = [builder.claim_ref(claim) for claim in also]
    return AgencySection(
        anchor=f"agency-{agency.slug}",
        name=agency.name,
        acronym=agency.acronym,
        label=_agency_label(agency),
        kind=agency.get_kind_display(),
        website=agency.website,
        parent=str(agency.parent) if agency.parent_id else "",
        children=[str(child) for child in agency.children.all()],
        depth=depth,
        missions=missions,
        roles=[_role_view(builder, role) for role in selection.roles(agency)],
        data_systems=[
            DataSystemView(
                name=system.name,
                description=system.description,
                accesses=[
                    _access_view(builder, access, agency)
                    for access in selection.accesses(system.accesses.all())
                ],
            )
            for system in agency.data_systems.all()
            if not selection.is_selection or selection.accesses(system.accesses.all())
        ],
        access_sought=[
            _access_view(builder, access, access.system.agency)
            for access in selection.accesses(agency.data_accesses.all())
        ],
        claims=claims,
        also=[ref for ref in also_refs if ref.number is not None and ref.number < first_number],
        also_below=[ref for ref in also_refs if ref.number is None or ref.number >= first_number],
    )


def _role_view(builder: _Builder, role: ReportedRole) -> RoleView:
    return RoleView(
        summary=role.summary,
        category=role.category.replace("_", " "),
        status_label=role.get_status_display(),
        first_reported=_display(role.first_reported),
        mission_fit=role.mission_fit,
        mission_fit_label=role.get_mission_fit_display(),
        rationale=role.rationale,
        partner=str(role.partner) if role.partner_id else "",
        claims=[builder.claim_ref(link.claim) for link in role.role_claims.all()],
    )


def _connected_views(builder: _Builder, selection: _Selection, derived: _Derived) -> list[ConnectedAgency]:
    agencies = derived.connected_agencies
    views = []
    for pk in sorted(agencies, key=lambda pk: (agencies[pk].name.lower(), pk)):
        agency = agencies[pk]
        missions = list(agency.missions.all())
        current = missions[-1] if missions else None
        views.append(
            ConnectedAgency(
                label=_agency_label(agency),
                name=agency.name,
                parent=str(agency.parent) if agency.parent_id else "",
                mission=current.text if current else "",
                mission_source=builder.register.ref(current.document) if current else None,
                reasons=selection.connected[pk],
            )
        )
    return views


def _contested_view(builder: _Builder, derived: _Derived, pair: selectors.ContestedFigures) -> ContestedView:
    per_month = pair.compared_as != "count"
    return ContestedView(
        metric=pair.metric.replace("_", " "),
        first=builder.side(pair.first, derived.concerns(pair.first), per_month),
        second=builder.side(pair.second, derived.concerns(pair.second), per_month),
        ratio=ratio_label(pair.ratio),
        compared_as=pair.compared_as,
    )


def _rate_view(builder: _Builder, derived: _Derived, pair: selectors.ComparableRates) -> RateView:
    return RateView(
        metric=pair.metric.replace("_", " "),
        first=builder.side(pair.first, derived.concerns(pair.first), True),
        second=builder.side(pair.second, derived.concerns(pair.second), True),
        ratio=ratio_label(pair.ratio),
        larger="earlier" if abs(pair.first_monthly) >= abs(pair.second_monthly) else "later",
    )


def _request_view(builder: _Builder, r, section_ids: set[int]) -> CommentRequestView:
    return CommentRequestView(
        agency=_agency_label(r.agency),
        agency_name=r.agency.name,
        outlet=r.document.outlet.name if r.document.outlet_id else "",
        document=r.document.title,
        source=builder.register.ref(r.document),
        requested=_display(r.requested, "date not recorded"),
        response=r.get_response_display(),
        response_status=r.response,
        outcome=comment_outcome(r),
        connected=r.agency_id not in section_ids,
    )


def _drift_view(builder: _Builder, entry, role) -> DriftView:
    return DriftView(
        agency=_agency_label(entry.agency),
        mission=entry.mission.text if entry.mission else "",
        mission_source=builder.register.ref(entry.mission.document) if entry.mission else None,
        summary=role.role.summary,
        status_label=role.role.get_status_display(),
        partner=_agency_label(role.role.partner) if role.role.partner_id else "",
        rationale=role.role.rationale,
        claims=[builder.claim_ref(ec.claim) for ec in role.claims],
        anonymous_only=sum(1 for ec in role.claims if ec.evidence.anonymous_only),
    )


def _findings(claim_views, drift, contested, requests) -> KeyFindings:
    counts: dict[str, int] = defaultdict(int)
    for view in claim_views:
        counts[view.status] += 1
    anonymous_only = sum(1 for view in claim_views if view.anonymous_only)
    total = len(claim_views)
    return KeyFindings(
        drift=drift,
        # Only the statuses some claim has: a table of zeros says nothing.
        statuses=[
            StatusCount(status=s.value, label=s.label, count=counts[s.value])
            for s in ClaimStatus
            if counts[s.value]
        ],
        claims=total,
        anonymous_only=anonymous_only,
        anonymous_share=f"{round(100 * anonymous_only / total)}%" if total else "—",
        single_outlet=sum(1 for view in claim_views if view.single_outlet),
        warnings=sum(1 for view in claim_views if view.warnings),
        contested=len(contested),
        open_requests=sum(1 for r in requests if r.response_status == "none"),
        declined_requests=sum(1 for r in requests if r.response_status == "declined"),
        answered_requests=sum(1 for r in requests if r.response_status == "responded"),
    )


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _listing(items: list[str], limit: int = 3) -> str:
    items = list(dict.fromkeys(item for item in items if item))
    if len(items) > limit:
        return "; ".join(items[:limit]) + f"; and {len(items) - limit} more"
    return "; ".join(items)


def _summary(*, subject, sections, drift, claims, contested, requests) -> str:
    """One paragraph: what is reported, resting on whom, against what stated mission, who denies it,
    what is contested, and who was asked for comment. Every word of it comes from the record."""
    if not claims:
        return f"The record holds no claim about {subject}."
    sentences = [
        _reported_sentence(sections, drift),
        _resting_sentence(claims),
        _denied_sentence(claims),
        _contested_sentence(contested),
        _asked_sentence(requests),
    ]
    return " ".join(sentence for sentence in sentences if sentence)


def _reported_sentence(sections, drift) -> str:
    """The first role outside a stated mission, else the first role, else the first stated mission."""
    if drift:
        d = drift[0]
        reported = f"{d.agency} is reported to be: “{d.summary.rstrip('.')}”"
        if d.partner and d.partner not in d.summary:
            reported += f", for {d.partner}"
        if d.mission:
            reported += f", outside its stated mission (“{_clip(d.mission, 110)}”)"
        if len(drift) > 1:
            reported += f"; {_plural(len(drift) - 1, 'other role')} outside a stated mission"
        return reported + "."
    roles = [(section.label, role.summary) for section in sections for role in section.roles]
    if roles:
        label, summary = roles[0]
        return f"{label} is reported to be: “{summary.rstrip('.')}”."
    missions = {section.label: section.missions[-1].text for section in sections if section.missions}
    if missions:
        label, text = next(iter(missions.items()))
        return f"{label}'s stated mission: “{_clip(text, 110)}”."
    return ""


def _resting_sentence(claims) -> str:
    supporting = [chain for claim in claims for chain in claim.chains if chain.stance == Stance.SUPPORTS]
    anonymous = sum(1 for claim in claims if claim.anonymous_only)
    rests = f"The briefing holds {_plural(len(claims), 'claim')}"
    if anonymous == len(claims):
        rests += ", every one resting only on anonymous or unnamed sources"
    elif anonymous:
        rests += f", {anonymous} of them resting only on anonymous or unnamed sources"
    if supporting:
        rests += f": from {_listing([chain.origin for chain in supporting])}"
        outlets = [chain.steps[-1].label for chain in supporting if chain.steps]
        if outlets:
            rests += f", as reported by {_listing(outlets)}"
    return rests + "."


def _denied_sentence(claims) -> str:
    denials = [claim for claim in claims if claim.kind == "Denial"]
    disputing = [
        chain.origin for claim in claims for chain in claim.chains if chain.stance == Stance.DISPUTES
    ]
    if not (denials or disputing):
        return "No denial or dispute is recorded."
    who = _listing(
        [chain.origin for claim in denials for chain in claim.chains if chain.stance == Stance.SUPPORTS]
        + disputing
    )
    return f"Denied or disputed by {who or 'an unrecorded source'}."


def _contested_sentence(contested) -> str:
    if not contested:
        return ""
    c = contested[0]
    text = f"Contested: {c.first.value} against {c.second.value} {c.metric}, {c.first.period}"
    text += f", {c.ratio} apart"
    if len(contested) > 1:
        text += f", and {_plural(len(contested) - 1, 'other pair')}"
    return text + "."


def _asked_sentence(requests) -> str:
    if not requests:
        return ""
    asked = _listing(
        [
            f"{r.agency} had not responded by publication"
            if r.response_status == "none"
            else f"{r.agency} {r.outcome}"
            for r in requests
        ]
    )
    return f"Asked for comment: {asked}."


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _access_view(builder: _Builder, access: DataAccess, holder: Agency) -> AccessView:
    return AccessView(
        system=access.system.name,
        holder=_agency_label(holder),
        seeker=_agency_label(access.seeker),
        status_label=access.get_status_display(),
        claims=[builder.claim_ref(link.claim) for link in access.access_claims.all()],
    )


def _titles(resolved: ResolvedScope, ordered, audience: str) -> tuple[str, str, str, str]:
    edition = (
        "internal edition, contains confidential source information"
        if audience == INTERNAL
        else "public edition"
    )
    if resolved.claim_filter is not None:
        label = resolved.claim_filter.describe()
        subject = f"{label}: what is reported, who says so and what it rests on ({edition})"
        return "Briefing: selected claims", "Selected claims", subject, label
    roots = resolved.roots
    names = [f"{a.name} ({a.acronym})" if a.acronym else a.name for a in roots]
    with_children = [a for a in roots if any(other.parent_id == a.pk for other, _ in ordered)]
    label = "; ".join(names) + (", sub-agencies included" if with_children else "")
    short = ", ".join(_agency_label(a) for a in roots)
    title = f"Briefing: {roots[0].name}" if len(roots) == 1 else f"Briefing: {short}"
    subject = f"What {short} is reported to be doing, who says so and what it rests on ({edition})"
    return title, short, subject, label


__all__ = [
    "AUDIENCES",
    "INTERNAL",
    "PUBLIC",
    "BriefingData",
    "briefing_data",
]
