"""Every read that derives something from the record: chains, independence, drift, figures, timeline.

Each selector runs a fixed number of queries whatever the size of the record: related rows come
through select_related/prefetch_related and the derivation happens in Python on what was fetched.
`agency=None` means the whole record; an agency (or its id) means it and its sub-agencies at any depth.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.core.cache import cache
from django.db import connections, router
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum

from agencies.core import answers as answer_rules
from agencies.core import pagination
from agencies.core.dates import PartialDate
from agencies.core.figures import figure_value
from agencies.models import (
    UNNAMED_KINDS,
    Agency,
    Attribution,
    AttributionHop,
    Claim,
    ClaimAgency,
    ClaimStatus,
    CommentRequest,
    CommentResponse,
    Document,
    Figure,
    MissionFit,
    ReportedRole,
    RoleClaim,
    Stance,
    StatedMission,
)

# Two figures cover "the same period" when both ends are within this many days of each other.
PERIOD_TOLERANCE_DAYS = 3
# Two values are contested when they differ by more than this share of the larger one.
VALUE_TOLERANCE = Decimal("0.10")
DAYS_PER_MONTH = Decimal("365.25") / 12
ARROW = " → "


# --- Attribution chains and what they say about a claim -------------------------------------------


@dataclass(frozen=True)
class Chain:
    """One attribution line: where the claim appears, the documents it came through, who it is from."""

    attribution_id: int
    stance: str
    steps: list[str]
    origin_label: str
    origin_kind: str
    quote: str
    locator: str
    # Outlet of the document closest to the origin: the one whose reporting the line rests on.
    reporting_outlet_id: int | None
    origin_id: int

    @property
    def text(self) -> str:
        return ARROW.join([*self.steps, self.origin_label])


@dataclass(frozen=True)
class Answer:
    """A claim that answers (denies or disputes) another, as the answered claim's evidence shows it."""

    claim_id: int
    slug: str
    kind: str
    text: str
    status: str

    @property
    def contests(self) -> bool:
        return answer_rules.contests(self.status)

    @property
    def short_text(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:79] + "…"

    @property
    def label(self) -> str:
        """'disputed by usps-denies: USPS denies that …' (or '(refuted)' when it no longer contests)."""
        spent = "" if self.contests else f" ({self.status})"
        return f"disputed by {self.slug}{spent}: {self.short_text}"


def _answer(claim: Claim) -> Answer:
    return Answer(claim_id=claim.pk, slug=claim.slug, kind=claim.kind, text=claim.text, status=claim.status)


@dataclass(frozen=True)
class ClaimEvidence:
    chains: list[Chain]
    independent_origins: int
    anonymous_only: bool
    single_outlet: bool
    warnings: list[str]
    # Claims that answer this one (denials, disputes), and the claim this one answers.
    answered_by: list[Answer] = field(default_factory=list)
    answers: Answer | None = None

    @property
    def disputed_by(self) -> list[Answer]:
        """The answers that contest the claim: every one but those refuted or retracted."""
        return [answer for answer in self.answered_by if answer.contests]

    @property
    def supporting(self) -> list[Chain]:
        return [chain for chain in self.chains if chain.stance == Stance.SUPPORTS]

    @property
    def disputing(self) -> list[Chain]:
        return [chain for chain in self.chains if chain.stance == Stance.DISPUTES]


def _evidence_prefetches(prefix: str = "") -> list[Prefetch]:
    """What claim_evidence reads, for claims reached through `prefix` ("" or "role_claims__claim__")."""
    return [
        Prefetch(
            f"{prefix}attributions",
            queryset=Attribution.objects.select_related("document__outlet", "origin__affiliation").order_by(
                "position", "id"
            ),
        ),
        Prefetch(
            f"{prefix}attributions__hops",
            queryset=AttributionHop.objects.select_related("document__outlet").order_by("position", "id"),
        ),
        # The claims answering these, and the one each answers (no query when none answers another).
        Prefetch(f"{prefix}answered_by", queryset=Claim.objects.only(*_ANSWER_FIELDS).order_by("slug")),
        Prefetch(f"{prefix}answers", queryset=Claim.objects.only(*_ANSWER_FIELDS)),
    ]


_ANSWER_FIELDS = ("pk", "slug", "kind", "text", "status", "answers_id")


def claims_with_evidence(qs: QuerySet[Claim] | None = None) -> QuerySet[Claim]:
    """Claims ready for claim_evidence: four queries in all (five when a claim answers another),
    however many claims and lines."""
    if qs is None:
        qs = Claim.objects.all()
    return qs.prefetch_related(*_evidence_prefetches())


def _document_label(document: Document) -> str:
    return document.outlet.name if document.outlet else document.title


def _chain(attribution: Attribution) -> Chain:
    documents = [attribution.document, *(hop.document for hop in attribution.hops.all())]
    return Chain(
        attribution_id=attribution.pk,
        stance=attribution.stance,
        steps=[_document_label(document) for document in documents],
        origin_label=attribution.origin.public_label,
        origin_kind=attribution.origin.kind,
        quote=attribution.quote,
        locator=attribution.locator,
        reporting_outlet_id=documents[-1].outlet_id,
        origin_id=attribution.origin_id,
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _status_warnings(
    status: str,
    chains: list[Chain],
    independent: int,
    single_outlet: bool,
    disputed_by: Sequence[Answer] = (),
) -> list[str]:
    """Where the claim's status and its evidence disagree: never silently. A claim answered by a
    denial or a dispute counts as disputed, as a disputing line would."""
    supporting = [chain for chain in chains if chain.stance == Stance.SUPPORTS]
    disputing = [chain for chain in chains if chain.stance == Stance.DISPUTES]
    warnings = []
    if status in (ClaimStatus.CORROBORATED, ClaimStatus.CONFIRMED):
        warnings += [f"marked {status} but {answer.label}" for answer in disputed_by]
    if not chains:
        warnings.append("no attribution: nothing traces this claim to a document")
    if status == ClaimStatus.CORROBORATED:
        if independent < 2:
            warnings.append(f"marked corroborated with {_plural(independent, 'independent origin')}")
        elif single_outlet:
            warnings.append("marked corroborated but every supporting line passes through one outlet")
    if status == ClaimStatus.CONFIRMED and not supporting:
        warnings.append("marked confirmed with no supporting line")
    if status in (ClaimStatus.DISPUTED, ClaimStatus.REFUTED) and not disputing and not disputed_by:
        warnings.append(f"marked {status} with no disputing line")
    return warnings


def claim_evidence(claim: Claim) -> ClaimEvidence:
    """The chains of a claim and what they add up to. No query when the claim came from
    claims_with_evidence (or a selector using the same prefetches)."""
    chains = [_chain(attribution) for attribution in claim.attributions.all()]
    supporting = [chain for chain in chains if chain.stance == Stance.SUPPORTS]
    # Re-reporting is not corroboration: lines from one origin count once, whatever they passed through.
    independent = len({chain.origin_id for chain in supporting})
    anonymous_only = bool(supporting) and all(chain.origin_kind in UNNAMED_KINDS for chain in supporting)
    outlets = {chain.reporting_outlet_id for chain in supporting}
    single_outlet = len(outlets) == 1 and None not in outlets
    answered_by = [_answer(answer) for answer in claim.answered_by.all()]
    disputed_by = [answer for answer in answered_by if answer.contests]
    return ClaimEvidence(
        chains=chains,
        independent_origins=independent,
        anonymous_only=anonymous_only,
        single_outlet=single_outlet,
        warnings=_status_warnings(claim.status, chains, independent, single_outlet, disputed_by),
        answered_by=answered_by,
        answers=_answer(claim.answers) if claim.answers is not None else None,
    )


@dataclass(frozen=True)
class EvidencedClaim:
    claim: Claim
    evidence: ClaimEvidence


# --- Agencies -------------------------------------------------------------------------------------


def _agency_pk(agency: Agency | int) -> int:
    return agency.pk if isinstance(agency, Agency) else int(agency)


def agency_subtree_ids(agency: Agency | int) -> list[int]:
    """The agency and its descendants at any depth, the agency first. One query (a recursive CTE)."""
    root = _agency_pk(agency)
    connection = connections[router.db_for_read(Agency)]
    table = connection.ops.quote_name(Agency._meta.db_table)
    # UNION (not UNION ALL) drops rows already seen, so a mistaken cycle in parents still ends.
    sql = (
        f"WITH RECURSIVE subtree(id) AS ("  # noqa: S608 - only the table name is interpolated
        f" SELECT id FROM {table} WHERE id = %s"
        f" UNION SELECT child.id FROM {table} child JOIN subtree ON child.parent_id = subtree.id"
        f") SELECT id FROM subtree"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [root])
        ids = {row[0] for row in cursor.fetchall()}
    if root not in ids:
        return []
    return [root, *sorted(ids - {root})]


# A scope: None (the whole record), an agency or its id (it and its sub-agencies), or a collection of
# agency ids taken as they are (a briefing's agencies and those connected to them).
Scope = Agency | int | set[int] | frozenset[int] | list[int] | tuple[int, ...] | None


def _scope(agency: Scope) -> list[int] | None:
    if agency is None:
        return None
    if isinstance(agency, set | frozenset | list | tuple):
        return sorted(agency)
    return agency_subtree_ids(agency)


def _claims_about(ids: list[int]) -> QuerySet[ClaimAgency, Mapping[str, object]]:
    return ClaimAgency.objects.filter(agency_id__in=ids).values("claim_id")


@dataclass(frozen=True)
class DriftingRole:
    role: ReportedRole
    claims: list[EvidencedClaim]


@dataclass(frozen=True)
class MissionDrift:
    agency: Agency
    mission: StatedMission | None  # current stated mission: the highest position
    roles: list[DriftingRole]  # its roles whose mission fit is "outside"


def mission_drift(
    agency: Scope = None, *, resting_on: Iterable[int] | None = None, played_for: Iterable[int] | None = None
) -> list[MissionDrift]:
    """Per agency, the reported roles outside its stated mission and the claims they rest on; with
    `resting_on` (claim ids), only the roles that rest on one of those claims; with `played_for`
    (agency ids), also the roles any agency is reported to play for one of those."""
    ids = _scope(agency)
    roles = (
        ReportedRole.objects.filter(mission_fit=MissionFit.OUTSIDE)
        .select_related("agency", "partner")
        .prefetch_related(
            Prefetch(
                "role_claims", queryset=RoleClaim.objects.select_related("claim").order_by("position", "id")
            ),
            *_evidence_prefetches("role_claims__claim__"),
        )
        .order_by("agency__name", "agency_id", "slug")
    )
    if ids is not None:
        played = Q(partner_id__in=list(played_for)) if played_for is not None else Q(pk__in=[])
        roles = roles.filter(Q(agency_id__in=ids) | played)
    if resting_on is not None:
        roles = roles.filter(pk__in=RoleClaim.objects.filter(claim_id__in=list(resting_on)).values("role_id"))
    by_agency: dict[int, list[ReportedRole]] = defaultdict(list)
    for role in roles:
        by_agency[role.agency_id].append(role)
    if not by_agency:
        return []
    current = StatedMission.objects.filter(agency=OuterRef("agency")).order_by("-position", "-id")
    latest = current.values("pk")[:1]
    missions = {
        mission.agency_id: mission
        for mission in StatedMission.objects.filter(
            agency_id__in=by_agency, pk=Subquery(latest)
        ).select_related("document__outlet")
    }
    return [
        MissionDrift(
            agency=agency_roles[0].agency,
            mission=missions.get(agency_id),
            roles=[
                DriftingRole(
                    role=role,
                    claims=[
                        EvidencedClaim(claim=link.claim, evidence=claim_evidence(link.claim))
                        for link in role.role_claims.all()
                    ],
                )
                for role in agency_roles
            ],
        )
        for agency_id, agency_roles in by_agency.items()
    ]


def open_comment_requests(agency: Scope = None) -> QuerySet[CommentRequest]:
    """Agencies asked for comment that have not (yet) answered, oldest request first."""
    ids = _scope(agency)
    qs = CommentRequest.objects.filter(response=CommentResponse.NONE).select_related(
        "agency", "document__outlet"
    )
    if ids is not None:
        qs = qs.filter(agency_id__in=ids)
    return qs.order_by(F("requested").asc(nulls_last=True), "agency__name", "document__title", "pk")


def comment_outcome(request: CommentRequest) -> str:
    """'declined to comment', 'responded: “…”', 'no response by publication'."""
    if request.response == CommentResponse.DECLINED:
        return "declined to comment"
    if request.response == CommentResponse.RESPONDED:
        text = " ".join(request.response_text.split())
        return f"responded: “{text}”" if text else "responded"
    return "no response by publication"


def claims_by_status(ids: list[int]) -> tuple[dict[str, int], bool]:
    """Claims about these agencies by status, and whether that is an estimate. Counted in SQL up to
    pagination.EXACT_UP_TO links; past it, on a large PostgreSQL record, estimated from a sample of
    the table of claims' agencies (TABLESAMPLE SYSTEM: a share of its pages, about SAMPLE_SIZE of
    the agencies' links), scaled up by that share. Two queries either way."""
    links = pagination.estimated_counts_by(ClaimAgency, "agency")
    about = sum(links.get(pk) for pk in ids)
    if not links.estimated or about <= pagination.EXACT_UP_TO:
        claims = Claim.objects.filter(pk__in=ClaimAgency.objects.filter(agency_id__in=ids).values("claim_id"))
        return pagination.counts_by(claims, "status"), False
    percent = min(100.0, 100.0 * pagination.SAMPLE_SIZE / about)
    sql = (
        f"SELECT c.status, count(DISTINCT c.id) FROM {ClaimAgency._meta.db_table} ca"  # noqa: S608 - names only
        " TABLESAMPLE SYSTEM (%s) REPEATABLE (1)"
        f" JOIN {Claim._meta.db_table} c ON c.id = ca.claim_id WHERE ca.agency_id = ANY(%s) GROUP BY c.status"
    )
    with connections[router.db_for_read(ClaimAgency)].cursor() as cursor:
        cursor.execute(sql, [percent, list(ids)])
        sample = dict(cursor.fetchall())
    return {status: round(n * 100 / percent) for status, n in sample.items()}, True


# --- Figures --------------------------------------------------------------------------------------

_RATE_UNIT = re.compile(
    r"(?:\bper\s+|/\s*|\ba\s+)(day|week|month|year|annum)s?\b|\b(daily|weekly|monthly|yearly|annual(?:ly)?)\b"
)
_DAYS_IN = {
    "day": Decimal(1),
    "daily": Decimal(1),
    "week": Decimal(7),
    "weekly": Decimal(7),
    "month": DAYS_PER_MONTH,
    "monthly": DAYS_PER_MONTH,
    "year": Decimal("365.25"),
    "annum": Decimal("365.25"),
    "yearly": Decimal("365.25"),
    "annual": Decimal("365.25"),
    "annually": Decimal("365.25"),
}


def _rate_days(unit: str) -> Decimal | None:
    """Days in the period a rate unit is per ("people per month" -> 30.4375); None for a count."""
    match = _RATE_UNIT.search(unit.lower())
    if not match:
        return None
    return _DAYS_IN[match.group(1) or match.group(2)]


@dataclass(frozen=True)
class FigureReading:
    """A figure with its period resolved to days and its value as a rate."""

    figure: Figure
    claim: Claim
    evidence: ClaimEvidence
    start: dt.date  # first day the period may cover: start of period_start
    end: dt.date  # last day: end of period_end
    days: int  # inclusive
    is_rate: bool  # the unit already says per day/week/month/year
    monthly_rate: Decimal
    daily_rate: Decimal

    @property
    def metric(self) -> str:
        return self.figure.metric

    @property
    def value(self) -> Decimal:
        return self.figure.value

    @property
    def unit(self) -> str:
        return self.figure.unit

    @property
    def period_start(self) -> PartialDate:
        return cast(PartialDate, self.figure.period_start)  # _reading takes dated figures only

    @property
    def period_end(self) -> PartialDate:
        return cast(PartialDate, self.figure.period_end)  # _reading takes dated figures only

    @property
    def basis(self) -> str:
        return self.figure.basis

    @property
    def geography(self) -> str:
        return self.figure.geography

    @property
    def period_display(self) -> str:
        start, end = self.period_start, self.period_end
        return start.display() if start == end else f"{start.display()} – {end.display()}"

    @property
    def label(self) -> str:
        """'139,000 people, 20 Jan 2025 – 28 Apr 2025 (press briefing)'."""
        text = f"{figure_value(self.value)} {self.unit}, {self.period_display}"
        return f"{text} ({self.basis})" if self.basis else text


@dataclass(frozen=True)
class ContestedFigures:
    """Two figures on one metric over the same period whose values differ beyond VALUE_TOLERANCE."""

    metric: str
    first: FigureReading  # the larger
    second: FigureReading
    ratio: Decimal | None  # larger / smaller; None when the smaller is 0
    compared_as: str  # "count", or "per month" when either figure is a rate


@dataclass(frozen=True)
class ComparableRates:
    """Two figures on one metric over different periods, both as a monthly (and daily) rate."""

    metric: str
    first: FigureReading  # the earlier period
    second: FigureReading
    first_monthly: Decimal
    second_monthly: Decimal
    first_daily: Decimal
    second_daily: Decimal
    ratio: Decimal | None  # larger monthly rate / smaller; None when the smaller is 0
    differs: bool  # the rates differ by more than VALUE_TOLERANCE


@dataclass(frozen=True)
class _Measure:
    """A figure's period resolved to days and its value as a rate: all that comparing two needs."""

    start: dt.date
    end: dt.date
    days: int
    is_rate: bool
    monthly_rate: Decimal
    daily_rate: Decimal
    value: Decimal
    geography: str


def _measure(figure) -> _Measure | None:
    """`figure`: a Figure, or a row with its period, value, unit and geography."""
    if figure.period_start is None or figure.period_end is None:
        return None
    start, end = figure.period_start.start, figure.period_end.end
    if end < start:
        return None
    days = (end - start).days + 1
    rate_days = _rate_days(figure.unit)
    # A count spreads over its period's days; a rate is already per day/week/month/year.
    per_days = Decimal(days) if rate_days is None else rate_days
    return _Measure(
        start=start,
        end=end,
        days=days,
        is_rate=rate_days is not None,
        # Multiply before dividing so that 57,000 a month stays exactly 57,000.
        monthly_rate=figure.value * DAYS_PER_MONTH / per_days,
        daily_rate=figure.value / per_days,
        value=figure.value,
        geography=figure.geography,
    )


def _reading(figure: Figure) -> FigureReading | None:
    measure = _measure(figure)
    if measure is None:
        return None
    return FigureReading(
        figure=figure,
        claim=figure.claim,
        evidence=claim_evidence(figure.claim),
        start=measure.start,
        end=measure.end,
        days=measure.days,
        is_rate=measure.is_rate,
        monthly_rate=measure.monthly_rate,
        daily_rate=measure.daily_rate,
    )


def _ratio(a: Decimal, b: Decimal) -> Decimal | None:
    low, high = sorted((abs(a), abs(b)))
    return None if low == 0 else high / low


def _apart(a: Decimal, b: Decimal) -> bool:
    high = max(abs(a), abs(b))
    return high != 0 and abs(a - b) / high > VALUE_TOLERANCE


def _same_geography(a: FigureReading | _Measure, b: FigureReading | _Measure) -> bool:
    # A figure without geography is taken to match; two named, different places never compare.
    ga, gb = a.geography.strip().lower(), b.geography.strip().lower()
    return not ga or not gb or ga == gb


def _same_period(a: FigureReading | _Measure, b: FigureReading | _Measure) -> bool:
    return (
        abs((a.start - b.start).days) <= PERIOD_TOLERANCE_DAYS
        and abs((a.end - b.end).days) <= PERIOD_TOLERANCE_DAYS
    )


def _readings_by_metric(
    agency: Scope, claims: Iterable[int] | None = None
) -> dict[str, list[tuple[FigureReading, bool]]]:
    """Figures on every metric the scope has a figure for, each with whether it is in scope itself,
    sorted by period start. A pair is shown when either side is in scope: a briefing on ICE shows
    ICE's figure contested by one only the White House is said to have given.

    With `claims` (ids), the scope is those claims' figures, and beside them only the figures of
    the same metric whose period starts near theirs (_near_in_time): what can contest them."""
    ids = _scope(agency)
    figures = Figure.objects.select_related("claim").prefetch_related(*_evidence_prefetches("claim__"))
    if claims is not None:
        claims = list(claims)
        own = Figure.objects.filter(claim_id__in=claims).only(
            "pk", "claim_id", "metric", "value", "unit", "period_start", "period_end", "geography"
        )
        measured = [(figure, measure) for figure in own if (measure := _measure(figure)) is not None]
        figures = figures.filter(Q(claim_id__in=claims) | _near_in_time(measured)).annotate(
            in_scope=Exists(Claim.objects.filter(pk=OuterRef("claim_id"), pk__in=claims))
        )
    elif ids is not None:
        in_scope = Q(claim__in=_claims_about(ids))
        figures = figures.filter(metric__in=Figure.objects.filter(in_scope).values("metric")).annotate(
            in_scope=Exists(_claims_about(ids).filter(claim_id=OuterRef("claim_id")))
        )
    grouped: dict[str, list[tuple[FigureReading, bool]]] = defaultdict(list)
    for figure in figures.order_by("metric", "pk"):
        reading = _reading(figure)
        if reading is not None:
            grouped[figure.metric].append((reading, getattr(figure, "in_scope", True)))
    for readings in grouped.values():
        readings.sort(key=lambda pair: (pair[0].start, pair[0].end, pair[0].figure.pk))
    return grouped


def _starting_together(items: list[tuple]) -> Iterator[tuple[tuple, tuple]]:
    """The sweep: `items` ((reading, anything) pairs) sorted by start, each paired with the next
    ones whose start is within PERIOD_TOLERANCE_DAYS, and no others."""
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            if (second[0].start - first[0].start).days > PERIOD_TOLERANCE_DAYS:
                break
            yield first, second


def _contest(a, b) -> tuple[bool, Decimal, Decimal] | None:
    """Whether two figures on one metric contest each other (FigureReadings or _Measures): the same
    period and place, values apart. Returns (compared as counts, value a, value b), else None."""
    if not _same_period(a, b) or not _same_geography(a, b):
        return None
    as_count = not a.is_rate and not b.is_rate
    va, vb = (a.value, b.value) if as_count else (a.monthly_rate, b.monthly_rate)
    return (as_count, va, vb) if _apart(va, vb) else None


def contested_figures(agency: Scope = None, *, claims: Iterable[int] | None = None) -> list[ContestedFigures]:
    """Same metric, both period ends within PERIOD_TOLERANCE_DAYS, values more than VALUE_TOLERANCE
    apart relative to the larger. Counts compare as counts; if either is a rate, both compare per month.
    With `claims` (ids): the pairs in which one side is a figure of those claims."""
    pairs = []
    for _metric, readings in sorted(_readings_by_metric(agency, claims).items()):
        for (a, a_in), (b, b_in) in _starting_together(readings):
            if not (a_in or b_in):
                continue
            if _contest(a, b) is not None:
                pairs.append(_contested_pair(a, b))
    return pairs


def _contested_pair(a: FigureReading, b: FigureReading) -> ContestedFigures:
    as_count = not a.is_rate and not b.is_rate
    va, vb = (a.value, b.value) if as_count else (a.monthly_rate, b.monthly_rate)
    first, second = (a, b) if abs(va) >= abs(vb) else (b, a)
    return ContestedFigures(
        metric=a.metric,
        first=first,
        second=second,
        ratio=_ratio(va, vb),
        compared_as="count" if as_count else "per month",
    )


def comparable_rates(agency: Scope = None, *, claims: Iterable[int] | None = None) -> list[ComparableRates]:
    """Every pair on one metric over different periods, each side as a monthly and daily rate: a count
    over a period is value / days (inclusive) * 365.25 / 12; a unit per day/week/month/year is a rate.
    With `claims` (ids): pairs of those claims' figures, and of them with figures starting near them."""
    pairs = []
    for _metric, readings in sorted(_readings_by_metric(agency, claims).items()):
        # Every different-period pair is an answer, so the output itself is quadratic in the figures.
        for i, (a, a_in) in enumerate(readings):
            for b, b_in in readings[i + 1 :]:
                if not (a_in or b_in) or _same_period(a, b) or not _same_geography(a, b):
                    continue
                pairs.append(_rates_pair(a, b))
    return pairs


def _rates_pair(a: FigureReading, b: FigureReading) -> ComparableRates:
    """`a` over the earlier period."""
    return ComparableRates(
        metric=a.metric,
        first=a,
        second=b,
        first_monthly=a.monthly_rate,
        second_monthly=b.monthly_rate,
        first_daily=a.daily_rate,
        second_daily=b.daily_rate,
        ratio=_ratio(a.monthly_rate, b.monthly_rate),
        differs=_apart(a.monthly_rate, b.monthly_rate),
    )


def contested_figure_claim_ids() -> set[int]:
    """Claims asserting a figure that another figure contests, over the whole record: one query
    reading only what comparing needs, then the sweep of contested_figures. For the explorer's
    "contested" filter; the planner could not pair a million claims' figures in SQL in time."""
    by_metric: dict[str, list[tuple[_Measure, int]]] = defaultdict(list)
    figures = Figure.objects.filter(period_start__isnull=False, period_end__isnull=False).only(
        "claim_id", "metric", "value", "unit", "period_start", "period_end", "geography"
    )
    for figure in figures.order_by().iterator(chunk_size=10_000):
        measure = _measure(figure)
        if measure is not None:
            by_metric[figure.metric].append((measure, figure.claim_id))
    found: set[int] = set()
    for readings in by_metric.values():
        readings.sort(key=lambda pair: pair[0].start)
        for (a, a_claim), (b, b_claim) in _starting_together(readings):
            if _contest(a, b) is not None:
                found.update((a_claim, b_claim))
    return found


def kept_contested_figure_claim_ids() -> frozenset[int]:
    """contested_figure_claim_ids, derived once for each state of the record's figures and kept (the
    cache) until a figure is added, removed or changed: the filter then costs one small query."""
    using = router.db_for_read(Figure)
    state = Figure.objects.using(using).aggregate(
        n=Count("pk"), last=Max("pk"), changed=Max("updated_at"), total=Sum("value")
    )
    fingerprint = repr((connections[using].settings_dict["NAME"], sorted(state.items())))
    key = "contested-figure-claims:" + hashlib.sha256(fingerprint.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = frozenset(contested_figure_claim_ids())
        cache.set(key, found, timeout=None)
    return found


def _near_in_time(figures: Iterable[tuple[Figure, _Measure]]) -> Q:
    """Figures that may share a period with these, found by the (metric, period_start) index.

    period_start holds an ISO prefix ("2025", "2025-05", "2025-05-12"), and a prefix sorts before
    every longer text it starts: a figure whose period starts within PERIOD_TOLERANCE_DAYS of a day D
    has a period_start between the year of D - tolerance and D + tolerance, as text."""
    tolerance = dt.timedelta(days=PERIOD_TOLERANCE_DAYS)
    near = Q(pk__in=[])
    for figure, measure in figures:
        low, high = measure.start - tolerance, measure.start + tolerance
        near |= Q(
            metric=figure.metric, period_start__gte=f"{low.year:04d}", period_start__lte=high.isoformat()
        )
    return near


def contested_claim_ids(claims: Iterable[Claim]) -> set[int]:
    """Which of these claims are contested: a line disputes the claim, a claim answers it (a denial,
    a dispute), or a figure it asserts is contested by another figure anywhere in the record
    (contested_figures' rules).

    For the rows of one page or one export chunk: two queries whatever the record's size, comparing
    the rows' figures only with those of the same metric near in time. The claims' figures must be
    prefetched (`prefetch_related("figures")`)."""
    claims = list(claims)
    pks = [claim.pk for claim in claims]
    # A claim answered by a denial or a dispute (not since refuted or retracted) is contested too.
    contested = set(
        Attribution.objects.filter(claim__in=pks, stance=Stance.DISPUTES)
        .order_by()
        .values_list("claim_id", flat=True)
        .union(
            Claim.objects.filter(answers__in=pks)
            .exclude(status__in=answer_rules.SPENT_STATUSES)
            .order_by()
            .values_list("answers_id", flat=True)
        )
    )
    own = [
        (figure, measure)
        for claim in claims
        if claim.pk not in contested
        for figure in claim.figures.all()
        if (measure := _measure(figure)) is not None
    ]
    if not own:
        return contested
    others: dict[str, list[tuple[int, _Measure]]] = defaultdict(list)
    near = Figure.objects.filter(_near_in_time(own)).only(
        "pk", "metric", "value", "unit", "period_start", "period_end", "geography"
    )
    for other in near.order_by():
        measure = _measure(other)
        if measure is not None:
            others[other.metric].append((other.pk, measure))
    for figure, measure in own:
        if figure.claim_id in contested:
            continue
        if any(pk != figure.pk and _contest(measure, theirs) for pk, theirs in others[figure.metric]):
            contested.add(figure.claim_id)
    return contested


# --- Figures a page at a time ---------------------------------------------------------------------

# A page of figure pairs is the pairs of a page of the scope's figures, newest period first.
FIGURES_PER_PAGE = 10
# Two periods are comparable as rates when they overlap or one follows the other within this many
# days (the month before against the month after), and they start within RATE_NEAR_DAYS (the
# monthly average of a year against its next first month).
RATE_GAP_DAYS = 31
RATE_NEAR_DAYS = 400
_MEASURED_FIELDS = ("pk", "claim_id", "metric", "value", "unit", "period_start", "period_end", "geography")


@dataclass(frozen=True)
class FigurePairsPage:
    """Contested pairs and telling rate pairs that one page of a scope's figures takes part in."""

    contested: list[ContestedFigures]
    rates: list[ComparableRates]
    page: int
    figures: int  # the scope's figures with a period on this page
    per_page: int
    has_next: bool  # the scope has older figures, on the next page

    @property
    def first_figure(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def last_figure(self) -> int:
        return (self.page - 1) * self.per_page + self.figures


@dataclass(frozen=True)
class _Candidate:
    pk: int
    metric: str
    key: tuple[str, int]  # the order pages run in, newest first: (period_start as stored, pk)
    measure: _Measure
    in_scope: bool


def _figures_in_scope(ids: list[int] | None) -> QuerySet[Figure]:
    figures = Figure.objects.filter(period_start__isnull=False, period_end__isnull=False)
    if ids is None:
        return figures
    # Per figure, is its claim about the scope: an index probe each, never the scope's every claim.
    return figures.filter(
        Exists(ClaimAgency.objects.filter(claim_id=OuterRef("claim_id"), agency_id__in=ids))
    )


def _candidate(figure, in_scope: bool) -> _Candidate | None:
    """`figure`: a Figure, or a row with _MEASURED_FIELDS."""
    measure = _measure(figure)
    if measure is None:
        return None
    key = (figure.period_start.isoformat(), figure.pk)
    return _Candidate(figure.pk, figure.metric, key, measure, in_scope)


def _candidates(window: list[_Candidate], ids: list[int] | None) -> dict[str, list[_Candidate]]:
    """Every figure that may pair with one of the window's (and everything that may contest those),
    by metric, sorted by start: one query by the (metric, period_start) index."""
    margin = dt.timedelta(days=PERIOD_TOLERANCE_DAYS)
    ranges: dict[str, tuple[dt.date, dt.date]] = {}
    for item in window:
        low = item.measure.start - dt.timedelta(days=RATE_NEAR_DAYS) - margin
        high = item.measure.end + dt.timedelta(days=RATE_GAP_DAYS) + margin
        known = ranges.get(item.metric, (low, high))
        ranges[item.metric] = (min(known[0], low), max(known[1], high))
    near = Q(pk__in=[])
    for metric, (low, high) in ranges.items():
        # ISO prefixes sort before every longer text they start (see _near_in_time).
        near |= Q(metric=metric, period_start__gte=f"{low.year:04d}", period_start__lte=high.isoformat())
    figures = Figure.objects.filter(near)
    if ids is not None:
        figures = figures.annotate(
            in_scope=Exists(ClaimAgency.objects.filter(claim_id=OuterRef("claim_id"), agency_id__in=ids))
        )
    grouped: dict[str, list[_Candidate]] = defaultdict(list)
    # Rows, not model instances: thousands of them on a large record, and only compared.
    fields = [*_MEASURED_FIELDS, *(["in_scope"] if ids is not None else [])]
    for figure in figures.order_by().values_list(*fields, named=True):
        if (candidate := _candidate(figure, getattr(figure, "in_scope", True))) is not None:
            grouped[candidate.metric].append(candidate)
    for items in grouped.values():
        items.sort(key=lambda item: (item.measure.start, item.measure.end, item.pk))
    return grouped


def _owned(a: _Candidate, b: _Candidate, window: set[int]) -> bool:
    """A pair is on the page of its in-scope side that comes first (newest), so it is on one page."""
    owner = max((item for item in (a, b) if item.in_scope), key=lambda item: item.key)
    return owner.pk in window


def _rate_comparable(a: _Candidate, b: _Candidate) -> bool:
    x, y = a.measure, b.measure
    gap = dt.timedelta(days=RATE_GAP_DAYS)
    return (
        not _same_period(x, y)
        and _same_geography(x, y)
        and y.start <= x.end + gap
        and x.start <= y.end + gap
        and abs((x.start - y.start).days) <= RATE_NEAR_DAYS
        and _apart(x.monthly_rate, y.monthly_rate)
    )


def figure_pairs_page(agency: Scope = None, *, page: int = 1, per_page: int | None = None) -> FigurePairsPage:
    """The contested pairs (contested_figures' rules) and the telling rate pairs of one page of the
    scope's figures, newest period first. Rate pairs are bounded to comparable periods: overlapping
    or adjacent (RATE_GAP_DAYS), starting within RATE_NEAR_DAYS, rates apart, neither figure
    contested. Work follows the page, not the record: a fixed number of queries, one of them reading
    only what comparing needs for the figures near the page's in time."""
    ids = _scope(agency)
    per_page = per_page or FIGURES_PER_PAGE
    offset = (page - 1) * per_page
    rows = list(
        _figures_in_scope(ids)
        .only(*_MEASURED_FIELDS)
        .order_by("-period_start", "-pk")[offset : offset + per_page + 1]
    )
    window = [item for figure in rows[:per_page] if (item := _candidate(figure, True)) is not None]
    contested: list[tuple[_Candidate, _Candidate]] = []
    rates: list[tuple[_Candidate, _Candidate]] = []
    if window:
        in_window = {item.pk for item in window}
        disputed: set[int] = set()
        for items in _candidates(window, ids).values():
            for (_, a), (_, b) in _starting_together([(item.measure, item) for item in items]):
                if (a.in_scope or b.in_scope) and _contest(a.measure, b.measure):
                    disputed.update((a.pk, b.pk))
                    if _owned(a, b, in_window):
                        contested.append((a, b))
            rates += _telling_rates_of(window, items, disputed, in_window)
    readings = _readings_of({item.pk for pair in [*contested, *rates] for item in pair})
    return FigurePairsPage(
        contested=[_contested_pair(readings[a.pk], readings[b.pk]) for a, b in contested],
        rates=[_rates_pair(readings[a.pk], readings[b.pk]) for a, b in rates],
        page=page,
        figures=len(rows[:per_page]),
        per_page=per_page,
        has_next=len(rows) > per_page,
    )


def _telling_rates_of(
    window: list[_Candidate], items: list[_Candidate], disputed: set[int], in_window: set[int]
) -> list[tuple[_Candidate, _Candidate]]:
    """Rate pairs of the window's figures with the candidates on their metric (`items`)."""
    pairs: dict[tuple[int, int], tuple[_Candidate, _Candidate]] = {}
    for a in window:
        if a.metric != items[0].metric or a.pk in disputed:
            continue
        for b in items:
            if b.pk == a.pk or b.pk in disputed or not _owned(a, b, in_window):
                continue
            if _rate_comparable(a, b):
                first, second = sorted(
                    (a, b), key=lambda item: (item.measure.start, item.measure.end, item.pk)
                )
                pairs[(first.pk, second.pk)] = (first, second)
    return list(pairs.values())


def _readings_of(pks: set[int]) -> dict[int, FigureReading]:
    if not pks:
        return {}
    figures = Figure.objects.filter(pk__in=pks).select_related("claim")
    # Each was measured already (a candidate), so each has a reading.
    return {
        f.pk: cast(FigureReading, _reading(f))
        for f in figures.prefetch_related(*_evidence_prefetches("claim__"))
    }


# --- Timeline -------------------------------------------------------------------------------------


TIMELINE_LABELS = {  # how an event's kind is written on a page and in a briefing
    "claim": "Claim made",
    "role": "Role first reported",
    "figure": "Figure period",
    "document": "Published",
    "mission": "Mission stated",
    "comment_request": "Comment requested",
}


@dataclass(frozen=True)
class TimelineEvent:
    date: PartialDate  # as precise as the record, no more: date.display() for people
    kind: str  # claim | role | figure | document | mission | comment_request
    text: str
    obj: Any  # the row the event comes from
    until: PartialDate | None = None  # figures: the end of the period

    @property
    def when(self) -> str:
        if self.until is None or self.until == self.date:
            return self.date.display()
        return f"{self.date.display()} – {self.until.display()}"


_KIND_ORDER = {"mission": 0, "document": 1, "claim": 2, "role": 3, "figure": 4, "comment_request": 5}


def _dated(events: Iterable[TimelineEvent]) -> list[TimelineEvent]:
    # ISO text sorts chronologically and puts "2025-05" before "2025-05-12": a month starts on its first day.
    return sorted(
        (event for event in events if event.date is not None),
        key=lambda e: (e.date.isoformat(), _KIND_ORDER[e.kind], e.text, e.obj.pk),
    )


def _document_text(document: Document) -> str:
    return f"{document.outlet.name}: {document.title}" if document.outlet else document.title


def timeline(agency: Scope = None) -> list[TimelineEvent]:
    """Dated events in order: claims made, roles first reported, figure periods, documents published,
    missions stated, comment requests. In scope: what is about the agencies (roles: as performer or
    partner), and the documents those claims, missions and requests appear in."""
    return _timeline_events(*_timeline_sources(_scope(agency)))


# Each source of the timeline (in _timeline_sources' order) and the date it is placed at.
_TIMELINE_DATES = ("made", "first_reported", "period_start", "published", "as_of", "requested")
TIMELINE_PER_PAGE = 50


@dataclass(frozen=True)
class TimelinePage:
    events: list[TimelineEvent]  # oldest first, as the timeline reads
    page: int  # 1: the latest events; 2: the ones before them...
    has_next: bool  # there are earlier events


def timeline_page(agency: Scope = None, *, page: int = 1, per_page: int | None = None) -> TimelinePage:
    """The timeline a page at a time, latest first: each source reads its latest rows in SQL (by
    the date's index order, probing each row for the scope), never its whole history. Within one
    date and kind, events come in the order they were recorded (the whole timeline orders by text)."""
    per_page = per_page or TIMELINE_PER_PAGE
    keep = page * per_page + 1
    sources = [
        [qs.order_by(f"-{date}", "-pk")[:keep] for qs in querysets]
        for querysets, date in zip(_timeline_page_sources(_scope(agency)), _TIMELINE_DATES, strict=True)
    ]
    (claims,), (roles,), (figures,), documents, (missions,), (requests,) = sources
    # A document cited by the scope's claims and asked about in its comment requests comes once.
    documents = list({d.pk: d for qs in documents for d in qs}.values())
    events = sorted(
        _timeline_events(claims, roles, figures, documents, missions, requests),
        key=lambda e: (e.date.isoformat(), _KIND_ORDER[e.kind], e.obj.pk),
        reverse=True,
    )
    shown = events[(page - 1) * per_page : page * per_page]
    return TimelinePage(events=shown[::-1], page=page, has_next=len(events) > page * per_page)


def _timeline_base() -> tuple[QuerySet, ...]:
    """Every dated row of each source, in _TIMELINE_DATES' order."""
    return (
        Claim.objects.filter(made__isnull=False),
        ReportedRole.objects.filter(first_reported__isnull=False).select_related("agency", "partner"),
        Figure.objects.filter(period_start__isnull=False).select_related("claim"),
        Document.objects.filter(published__isnull=False).select_related("outlet"),
        StatedMission.objects.filter(as_of__isnull=False).select_related("agency"),
        CommentRequest.objects.filter(requested__isnull=False).select_related("agency", "document__outlet"),
    )


def _timeline_sources(ids: list[int] | None) -> tuple[QuerySet, ...]:
    claims, roles, figures, documents, missions, requests = _timeline_base()
    if ids is not None:
        about = _claims_about(ids)
        claims = claims.filter(pk__in=about)
        roles = roles.filter(Q(agency_id__in=ids) | Q(partner_id__in=ids))
        figures = figures.filter(claim_id__in=about)
        missions = missions.filter(agency_id__in=ids)
        requests = requests.filter(agency_id__in=ids)
        documents = documents.filter(
            Q(pk__in=Attribution.objects.filter(claim_id__in=about).values("document_id"))
            | Q(pk__in=AttributionHop.objects.filter(attribution__claim_id__in=about).values("document_id"))
            | Q(pk__in=StatedMission.objects.filter(agency_id__in=ids).values("document_id"))
            | Q(pk__in=CommentRequest.objects.filter(agency_id__in=ids).values("document_id"))
        )
    return claims, roles, figures, documents, missions, requests


def _timeline_page_sources(ids: list[int] | None) -> list[list[QuerySet]]:
    """_timeline_sources' rows, as querysets whose latest rows the planner finds by walking the
    date's index and probing each row (one correlated EXISTS each; an OR of them is hashed whole)."""
    claims, roles, figures, documents, missions, requests = _timeline_base()
    if ids is None:
        return [[claims], [roles], [figures], [documents], [missions], [requests]]

    def about(claim: str) -> Exists:
        return Exists(ClaimAgency.objects.filter(claim_id=OuterRef(claim), agency_id__in=ids))

    own = Q(agency_id__in=ids)
    return [
        [claims.filter(about("pk"))],
        [roles.filter(own | Q(partner_id__in=ids))],
        [figures.filter(about("claim_id"))],
        [
            documents.filter(
                Exists(Attribution.objects.filter(about("claim_id"), document_id=OuterRef("pk")))
            ),
            documents.filter(
                Exists(
                    AttributionHop.objects.filter(about("attribution__claim_id"), document_id=OuterRef("pk"))
                )
            ),
            documents.filter(
                Q(pk__in=StatedMission.objects.filter(own).values("document_id"))
                | Q(pk__in=CommentRequest.objects.filter(own).values("document_id"))
            ),
        ],
        [missions.filter(own)],
        [requests.filter(own)],
    ]


def timeline_of(
    *, claims: Iterable[int], documents: Iterable[int], roles: Iterable[int], agencies: Iterable[int]
) -> list[TimelineEvent]:
    """Dated events of exactly these claims (and their figures), documents and roles, and the
    missions stated by these agencies: a briefing on a selection of claims, however large the record."""
    claims, documents, agencies = list(claims), list(documents), list(agencies)
    return _timeline_events(
        Claim.objects.filter(made__isnull=False, pk__in=claims),
        ReportedRole.objects.filter(first_reported__isnull=False, pk__in=list(roles)).select_related(
            "agency", "partner"
        ),
        Figure.objects.filter(period_start__isnull=False, claim_id__in=claims).select_related("claim"),
        Document.objects.filter(published__isnull=False, pk__in=documents).select_related("outlet"),
        StatedMission.objects.filter(as_of__isnull=False, agency_id__in=agencies).select_related("agency"),
        CommentRequest.objects.filter(requested__isnull=False, document_id__in=documents).select_related(
            "agency", "document__outlet"
        ),
    )


def _timeline_events(claims, roles, figures, documents, missions, requests) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    events += [TimelineEvent(c.made, "claim", c.text, c) for c in claims]
    events += [TimelineEvent(r.first_reported, "role", f"{r.agency.label}: {r.summary}", r) for r in roles]
    events += [TimelineEvent(f.period_start, "figure", str(f), f, until=f.period_end) for f in figures]
    events += [TimelineEvent(d.published, "document", _document_text(d), d) for d in documents]
    events += [TimelineEvent(s.as_of, "mission", f"{s.agency.label} states: {s.text}", s) for s in missions]
    events += [
        TimelineEvent(
            r.requested,
            "comment_request",
            f"{_document_text(r.document)}: asked {r.agency.label} for comment; {comment_outcome(r)}",
            r,
        )
        for r in requests
    ]
    return _dated(events)
