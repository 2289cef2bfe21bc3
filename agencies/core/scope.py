"""One definition of what an agency's scope holds, read by its page, Findings and its briefing alike.

An agency's scope is the agency and its sub-agencies at any depth ("own"), and the agencies outside
them that the record connects to them ("connected", each with why): partners in the roles they are
reported to play, agencies reported to play a role for them, agencies seeking or holding access to
data systems on either side, and agencies named in the claims about them. The facts of a scope:

- roles outside a stated mission: those of its own agencies, and those other agencies are reported
  to play for them;
- contested figure pairs with a side about an agency of the scope, own or connected;
- figures over different periods whose rates say something (they differ, and neither side is
  already contested for its period);
- comment requests to an agency of the scope, with every outcome.

Each fact is shown marked with the agencies it concerns, so that a reader sees when it comes from a
connected agency. A fixed number of queries, whatever the size of the record.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from agencies.core import selectors
from agencies.core.selectors import comment_outcome
from agencies.models import (
    Agency,
    Claim,
    ClaimAgency,
    CommentRequest,
    CommentResponse,
    DataAccess,
    DataAccessClaim,
    ReportedRole,
    RoleClaim,
)


def _label(agency: Agency) -> str:
    return agency.acronym or agency.name


@dataclass(frozen=True)
class AgencyScope:
    roots: list[int]
    own: list[int]  # the roots and their sub-agencies, roots first
    connected: dict[int, list[str]] = field(default_factory=dict)  # outside own: why each appears

    @property
    def involved(self) -> set[int]:
        return set(self.own) | set(self.connected)

    def is_own(self, agency_id: int) -> bool:
        return agency_id in self.own


def scope_claims_q(own: Iterable[int]) -> Q:
    """Claims of a scope: about one of its own agencies, or resting one of their roles or one of
    the data accesses on their side (as holder or seeker)."""
    own = list(own)
    return Q(pk__in=ClaimAgency.objects.filter(agency_id__in=own).values("claim_id")) | _resting_on_q(own)


def _resting_on_q(own: list[int]) -> Q:
    """Claims one of these agencies' roles or data accesses (on either side) rests on."""
    return Q(pk__in=RoleClaim.objects.filter(role__agency_id__in=own).values("claim_id")) | Q(
        pk__in=DataAccessClaim.objects.filter(
            Q(access__system__agency_id__in=own) | Q(access__seeker_id__in=own)
        ).values("claim_id")
    )


def agency_scope(agencies: Agency | int | Iterable[Agency | int]) -> AgencyScope:
    """The scope of one agency or several, sub-agencies included, and what the record connects to it."""
    if isinstance(agencies, Agency | int):
        agencies = [agencies]
    subtrees: dict[int, list[int]] = {}
    for agency in agencies:
        pk = agency.pk if isinstance(agency, Agency) else int(agency)
        if pk not in subtrees:
            subtrees[pk] = selectors.agency_subtree_ids(pk)
    # A root inside another root's subtree is covered by it.
    roots = [pk for pk in subtrees if not any(pk in ids for other, ids in subtrees.items() if other != pk)]
    own: list[int] = []
    for pk in roots:
        own += [sub for sub in subtrees[pk] if sub not in own]
    own_set = set(own)
    labels = {
        pk: acronym or name
        for pk, acronym, name in Agency.objects.filter(pk__in=own).values_list("pk", "acronym", "name")
    }

    def label(pk: int) -> str:
        return labels.get(pk, "")

    connected: dict[int, list[str]] = defaultdict(list)

    def connect(pk: int | None, reason: str) -> None:
        if pk is not None and pk not in own_set and reason not in connected[pk]:
            connected[pk].append(reason)

    for agency_id, partner_id in (
        ReportedRole.objects.filter(agency_id__in=own, partner__isnull=False)
        .order_by("agency__name", "slug")
        .values_list("agency_id", "partner_id")
    ):
        connect(partner_id, f"partner in a role reported of {label(agency_id)}")
    for agency_id, partner_id in (
        ReportedRole.objects.filter(partner_id__in=own)
        .order_by("agency__name", "slug")
        .values_list("agency_id", "partner_id")
    ):
        connect(agency_id, f"reported to play a role for {label(partner_id)}")
    for holder_id, seeker_id in (
        DataAccess.objects.filter(Q(system__agency_id__in=own) | Q(seeker_id__in=own))
        .order_by("system__agency__name", "system__name", "id")
        .values_list("system__agency_id", "seeker_id")
    ):
        if holder_id in own_set:
            connect(seeker_id, f"seeks or holds access to {label(holder_id)}'s data systems")
        if seeker_id in own_set:
            connect(holder_id, f"holds data systems {label(seeker_id)} seeks access to")
    about_own = ClaimAgency.objects.filter(claim_id=OuterRef("claim_id"), agency_id__in=own)
    resting = _resting_on_q(own)
    # Per agency, does one claim about it belong to the scope: a probe that stops at the first,
    # never a list of the scope's every claim (an agency's page at a million claims).
    named = (
        Agency.objects.exclude(pk__in=own)
        .filter(
            Exists(ClaimAgency.objects.filter(Exists(about_own), agency_id=OuterRef("pk")))
            | Exists(
                ClaimAgency.objects.filter(agency_id=OuterRef("pk"), claim__in=Claim.objects.filter(resting))
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    about = ", ".join(label(pk) for pk in roots)
    for pk in named:
        connect(pk, f"named in claims about {about}")
    return AgencyScope(roots=roots, own=own, connected=dict(connected))


@dataclass(frozen=True)
class ScopedRequest:
    request: CommentRequest
    connected: bool  # asked of an agency connected to the scope, not one of its own

    @property
    def outcome(self) -> str:
        return comment_outcome(self.request)


@dataclass(frozen=True)
class ScopeFacts:
    scope: AgencyScope | None  # None: the whole record
    drift: list[selectors.MissionDrift]
    contested: list[selectors.ContestedFigures]
    rates: list[selectors.ComparableRates]
    comment_requests: list[ScopedRequest]

    @property
    def outside_roles(self) -> list[selectors.DriftingRole]:
        return [role for entry in self.drift for role in entry.roles]

    @property
    def open_requests(self) -> list[ScopedRequest]:
        return [r for r in self.comment_requests if r.request.response == CommentResponse.NONE]

    @property
    def declined_requests(self) -> list[ScopedRequest]:
        return [r for r in self.comment_requests if r.request.response == CommentResponse.DECLINED]

    @property
    def answered_requests(self) -> list[ScopedRequest]:
        return [r for r in self.comment_requests if r.request.response == CommentResponse.RESPONDED]


def telling_rates(
    rates: Iterable[selectors.ComparableRates], contested: Iterable[selectors.ContestedFigures]
) -> list[selectors.ComparableRates]:
    """Rate pairs that say something: the rates differ, and neither figure is contested by another
    over its own period (the contested table shows that disagreement; its rate says nothing more)."""
    disputed = {reading.figure.pk for pair in contested for reading in (pair.first, pair.second)}
    return [
        pair
        for pair in rates
        if pair.differs and pair.first.figure.pk not in disputed and pair.second.figure.pk not in disputed
    ]


def scope_facts(scope: AgencyScope | None) -> ScopeFacts:
    """The facts of a scope (see the module's docstring); None: the whole record."""
    if scope is None:
        contested = selectors.contested_figures(None)
        return ScopeFacts(
            scope=None,
            drift=selectors.mission_drift(None),
            contested=contested,
            rates=telling_rates(selectors.comparable_rates(None), contested),
            comment_requests=[ScopedRequest(r, False) for r in comment_requests(None)],
        )
    own = set(scope.own)
    involved = scope.involved
    contested = selectors.contested_figures(involved)
    return ScopeFacts(
        scope=scope,
        drift=scope_drift(scope),
        contested=contested,
        rates=telling_rates(selectors.comparable_rates(involved), contested),
        comment_requests=[ScopedRequest(r, r.agency_id not in own) for r in comment_requests(involved)],
    )


def scope_drift(scope: AgencyScope | None) -> list[selectors.MissionDrift]:
    """Roles outside a stated mission: its own agencies', then those played for them; by name within
    each. As many as the scope has roles, whatever the number of claims."""
    if scope is None:
        return selectors.mission_drift(None)
    own = set(scope.own)
    drift = selectors.mission_drift(own, played_for=own)
    return sorted(drift, key=lambda e: (e.agency.pk not in own, e.agency.name.lower(), e.agency.pk))


# --- The same facts a page at a time: an agency's page and Findings --------------------------------

REQUESTS_PER_PAGE = 50


@dataclass(frozen=True)
class RequestsPage:
    """One page of a scope's comment requests (oldest first), with every outcome counted."""

    comment_requests: list[ScopedRequest]
    requests_page: int
    request_counts: dict[str, int]  # by response, over the whole scope

    @property
    def requests_total(self) -> int:
        return sum(self.request_counts.values())

    @property
    def requests_more(self) -> bool:
        return self.requests_page * REQUESTS_PER_PAGE < self.requests_total

    @property
    def open_count(self) -> int:
        return self.request_counts.get(CommentResponse.NONE, 0)

    @property
    def declined_count(self) -> int:
        return self.request_counts.get(CommentResponse.DECLINED, 0)

    @property
    def answered_count(self) -> int:
        return self.request_counts.get(CommentResponse.RESPONDED, 0)

    @property
    def open_requests(self) -> list[ScopedRequest]:
        """The unanswered among the page's requests."""
        return [r for r in self.comment_requests if r.request.response == CommentResponse.NONE]


def scope_requests(scope: AgencyScope | None, *, page: int = 1) -> RequestsPage:
    """A page of the scope's comment requests; None: the whole record. Counted by outcome in SQL
    when there are more than a page of them (one query more)."""
    own = set() if scope is None else set(scope.own)
    requests = _comment_requests_qs(None if scope is None else scope.involved)
    offset = (page - 1) * REQUESTS_PER_PAGE
    shown = list(requests[offset : offset + REQUESTS_PER_PAGE + 1])
    if offset == 0 and len(shown) <= REQUESTS_PER_PAGE:
        counts = dict(Counter(r.response for r in shown))  # all of them: no need to count again
    else:
        counts = dict(requests.order_by().values_list("response").annotate(n=Count("pk")))
    return RequestsPage(
        comment_requests=[
            ScopedRequest(r, scope is not None and r.agency_id not in own) for r in shown[:REQUESTS_PER_PAGE]
        ],
        requests_page=page,
        request_counts=counts,
    )


@dataclass(frozen=True)
class ScopeFindings(RequestsPage):
    """A scope's facts as its page and Findings show them: drift whole (it grows with roles, not
    claims), figure pairs for one page of the scope's figures (selectors.figure_pairs_page: rate
    pairs over comparable periods only), one page of comment requests with every outcome counted.
    Its briefing prints scope_facts whole."""

    scope: AgencyScope | None = None
    drift: list[selectors.MissionDrift] = field(default_factory=list)
    figures: selectors.FigurePairsPage | None = None

    @property
    def outside_roles(self) -> list[selectors.DriftingRole]:
        return [role for entry in self.drift for role in entry.roles]

    @property
    def contested(self) -> list[selectors.ContestedFigures]:
        return self.figures.contested if self.figures is not None else []

    @property
    def rates(self) -> list[selectors.ComparableRates]:
        return self.figures.rates if self.figures is not None else []


def scope_findings(
    scope: AgencyScope | None, *, figures_page: int = 1, requests_page: int = 1
) -> ScopeFindings:
    """The facts of a scope a page at a time (see ScopeFindings); None: the whole record."""
    requests = scope_requests(scope, page=requests_page)
    return ScopeFindings(
        comment_requests=requests.comment_requests,
        requests_page=requests.requests_page,
        request_counts=requests.request_counts,
        scope=scope,
        drift=scope_drift(scope),
        figures=selectors.figure_pairs_page(None if scope is None else scope.involved, page=figures_page),
    )


def comment_requests(ids: Iterable[int] | None) -> list[CommentRequest]:
    """Every comment request to these agencies (None: all), whatever its outcome: oldest first."""
    return list(_comment_requests_qs(ids))


def _comment_requests_qs(ids: Iterable[int] | None) -> QuerySet[CommentRequest]:
    qs = CommentRequest.objects.select_related("agency", "document__outlet")
    if ids is not None:
        qs = qs.filter(agency_id__in=list(ids))
    return qs.order_by(F("requested").asc(nulls_last=True), "agency__name", "document__title", "pk")
