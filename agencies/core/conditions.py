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

from typing import Any

from django.db import connections, router
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.expressions import RawSQL

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


def _per_claim(lines: QuerySet[Attribution], **aggregates) -> Any:
    """`lines` grouped by their claim with `aggregates` (typed Any: the stubs cannot see annotated
    names). An EXISTS over a grouped subquery stays a test of one claim at a time: PostgreSQL would
    plan a plain one as the set of every claim that passes, read in full, before a page's first row."""
    return lines.order_by().values("claim_id").annotate(**aggregates)


def _any_per_claim(lines: QuerySet[Attribution]) -> Exists:
    """Whether the claim has one of `lines`, asked of each claim as a page reads it (_per_claim)."""
    return Exists(_per_claim(lines, lines_found=Count("pk")).filter(lines_found__gt=0))


def single_outlet() -> Q:
    """Every supporting line rests on one outlet's reporting (and that outlet is known)."""
    lines = _supporting(OuterRef("pk")).annotate(reporting_outlet=_reporting_outlet())
    counted = _per_claim(
        lines,
        outlets=Count("reporting_outlet", distinct=True),
        unknown=Count("pk") - Count("reporting_outlet"),
    )
    return Q(Exists(counted.filter(outlets=1, unknown=0)))


def _two_independent_origins() -> Exists:
    """Supporting lines from at least two origins: claim_evidence's independent_origins >= 2."""
    counted = _per_claim(_supporting(OuterRef("pk")), origins=Count("origin_id", distinct=True))
    return Exists(counted.filter(origins__gte=2))


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
            & ~Q(_any_per_claim(lines.filter(stance=Stance.DISPUTES)))
            & ~Q(contesting)
        )
    )


# --- Which lines a claim has ------------------------------------------------------------------------

# Up to this many matches, a condition is the list of the claims found (few_or_each).
FEW = 5_000


def few_or_each(ids: QuerySet, each: Q) -> Q:
    """`ids` (a query of claim ids, one row per match) read up to FEW rows: the claims found when
    they are few, else `each`, the same condition asked of each claim as a page reads it. The
    planner cannot tell a rare value from a common one here: a short list is quick for a rare one,
    and a page of a common one fills from its first claims."""
    matched = list(ids[: FEW + 1])
    return Q(pk__in=sorted(set(matched))) if len(matched) <= FEW else each


def through_outlets(outlets: list[int]) -> Q:
    """A line of the claim appears in, or passed through, a document of one of these outlets."""
    in_documents = Attribution.objects.filter(document__outlet_id__in=outlets).values_list(
        "claim_id", flat=True
    )
    in_hops = AttributionHop.objects.filter(document__outlet_id__in=outlets).values_list(
        "attribution__claim_id", flat=True
    )
    lines = Attribution.objects.filter(claim=OuterRef("pk")).filter(
        Q(document__outlet_id__in=outlets) | Q(hops__document__outlet_id__in=outlets)
    )
    return few_or_each(in_documents.order_by().union(in_hops.order_by(), all=True), Q(_any_per_claim(lines)))


# --- Contested (as the explorer's rows show it) ----------------------------------------------------


def contested() -> Q:
    """A line disputes the claim, a claim answers it (a denial or a dispute not since refuted or
    retracted), or a figure it asserts is contested by another figure. Which
    figures are contested is read first, and kept until the figures change
    (selectors.kept_contested_figure_claim_ids): a list of ids."""
    disputed = _any_per_claim(Attribution.objects.filter(claim=OuterRef("pk"), stance=Stance.DISPUTES))
    answered = Exists(_contesting_answers(OuterRef("pk")))
    return Q(disputed) | Q(answered) | _pk_among(sorted(selectors.kept_contested_figure_claim_ids()))


def _pk_among(ids: list[int]) -> Q:
    """pk IN ids. On PostgreSQL one array parameter: planning ten thousand placeholders takes longer
    than the page."""
    if connections[router.db_for_read(Claim)].vendor != "postgresql":
        return Q(pk__in=ids)
    return Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [ids]))  # noqa: S611 - fixed SQL, ids as a parameter
