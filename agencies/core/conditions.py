"""What the selectors derive about a claim, asked of the database instead: SQL conditions.

`agencies.core.selectors.claim_evidence` decides the evidence flags in Python for claims already
fetched. Filtering a million claims by them cannot fetch every claim first, so the same definitions
are written here as expressions the database evaluates (Exists, Subquery, Case), and
tests/explorer/test_conditions.py checks that both agree on the same record. Contested figures are
the exception: the selectors' sweep reads every figure once (a few per hundred claims) faster than
any plan PostgreSQL finds for pairing them, and the condition filters by the claims it found.

Full-text search is agencies.core.search's.
"""

from __future__ import annotations

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, When

from agencies.core import answers as answer_rules
from agencies.core import selectors
from agencies.models import (
    UNNAMED_KINDS,
    Attribution,
    AttributionHop,
    Claim,
    ClaimStatus,
    Stance,
)

# --- Evidence flags (as claim_evidence decides them) ----------------------------------------------


def _supporting(claim_ref) -> QuerySet[Attribution]:
    return Attribution.objects.filter(claim=claim_ref, stance=Stance.SUPPORTS)


def _contesting_answers(claim_ref) -> QuerySet[Claim]:
    """Claims answering this one that still contest it (a denial or a dispute not since refuted)."""
    return Claim.objects.filter(answers=claim_ref).exclude(status__in=answer_rules.SPENT_STATUSES)


def anonymous_only() -> Q:
    """Every supporting line ends in an anonymous source or an unnamed official (and there is one)."""
    supporting = _supporting(OuterRef("pk"))
    return Q(Exists(supporting)) & ~Q(Exists(supporting.exclude(origin__kind__in=UNNAMED_KINDS)))


def _reporting_outlet():
    """The outlet of the document closest to the origin: the last via document, else the document."""
    hops = AttributionHop.objects.filter(attribution=OuterRef("pk"))
    last_hop = hops.order_by("-position", "-id").values("document__outlet_id")[:1]
    return Case(
        When(Exists(hops), then=Subquery(last_hop)),
        default=F("document__outlet_id"),
        output_field=IntegerField(),
    )


def single_outlet() -> Q:
    """Every supporting line rests on one outlet's reporting (and that outlet is known)."""
    lines = _supporting(OuterRef("pk")).annotate(reporting_outlet=_reporting_outlet())
    first = (
        _supporting(OuterRef("claim_id"))
        .annotate(reporting_outlet=_reporting_outlet())
        .order_by("pk")
        .values("reporting_outlet")[:1]
    )
    return (
        Q(Exists(lines))
        & ~Q(Exists(lines.filter(reporting_outlet__isnull=True)))
        & ~Q(Exists(lines.exclude(reporting_outlet=Subquery(first))))
    )


def _two_independent_origins() -> Exists:
    """Supporting lines from at least two origins: claim_evidence's independent_origins >= 2."""
    first = _supporting(OuterRef("claim_id")).order_by("pk").values("origin_id")[:1]
    return Exists(_supporting(OuterRef("pk")).exclude(origin_id=Subquery(first)))


def status_warnings() -> Q:
    """The claim's status and its evidence disagree: selectors._status_warnings would say something.
    One condition per warning, in its order there."""
    contesting = Exists(_contesting_answers(OuterRef("pk")))
    lines = Attribution.objects.filter(claim=OuterRef("pk"))
    corroborated, confirmed = ClaimStatus.CORROBORATED, ClaimStatus.CONFIRMED
    return (
        (Q(status__in=[corroborated, confirmed]) & Q(contesting))
        | ~Q(Exists(lines))
        | (Q(status=corroborated) & (~Q(_two_independent_origins()) | single_outlet()))
        | (Q(status=confirmed) & ~Q(Exists(_supporting(OuterRef("pk")))))
        | (
            Q(status__in=[ClaimStatus.DISPUTED, ClaimStatus.REFUTED])
            & ~Q(Exists(lines.filter(stance=Stance.DISPUTES)))
            & ~Q(contesting)
        )
    )


# --- Contested (as the explorer's rows show it) ----------------------------------------------------


def contested() -> Q:
    """A line disputes the claim, a claim answers it (a denial or a dispute not since refuted or
    retracted), or a figure it asserts is contested by another figure. Which
    figures are contested is read first, and kept until the figures change
    (selectors.kept_contested_figure_claim_ids): a list of ids."""
    disputed = Exists(Attribution.objects.filter(claim=OuterRef("pk"), stance=Stance.DISPUTES))
    answered = Exists(_contesting_answers(OuterRef("pk")))
    return Q(disputed) | Q(answered) | Q(pk__in=sorted(selectors.kept_contested_figure_claim_ids()))
