"""What a briefing covers: its scope checked against the record and put in its normal form, and the
claims it covers. A scope is {"agencies": [slugs or acronyms]} (sub-agencies included) or
{"filter": "<claims query string>"}: a selection is stored as its filter's query string, never as a
list of claims, so a selection of every claim is as small as one of a few."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper
from django.http import QueryDict

from agencies.core import selectors
from agencies.core.filters import ClaimFilter
from agencies.models import Agency, Claim, ClaimAgency, DataAccessClaim, RoleClaim


@dataclass
class ResolvedScope:
    normalised: dict
    roots: list[Agency] = field(default_factory=list)
    claim_filter: ClaimFilter | None = None


def resolve_scope(scope: Any) -> ResolvedScope:
    """The scope checked against the record, or a ValidationError naming what is wrong."""
    if not isinstance(scope, dict) or len(scope) != 1 or not ({"agencies", "filter"} & set(scope)):
        raise ValidationError(
            "A briefing's scope is {'agencies': [slugs or acronyms]} or {'filter': '<claims query string>'}.",
            code="invalid_scope",
        )
    if "agencies" in scope:
        return _agencies_scope(scope["agencies"])
    return _filter_scope(scope["filter"])


def _agencies_scope(names: Any) -> ResolvedScope:
    if isinstance(names, str):
        names = [names]
    if (
        not isinstance(names, list | tuple)
        or not names
        or not all(isinstance(n, str) and n.strip() for n in names)
    ):
        raise ValidationError("Name at least one agency, by its id (slug) or acronym.", code="no_agency")
    wanted = [name.strip() for name in names]
    found = list(
        Agency.objects.annotate(acronym_upper=Upper("acronym")).filter(
            Q(slug__in=[w.lower() for w in wanted]) | Q(acronym_upper__in=[w.upper() for w in wanted])
        )
    )
    by_slug = {agency.slug: agency for agency in found}
    by_acronym: dict[str, list[Agency]] = defaultdict(list)
    for agency in found:
        if agency.acronym:
            by_acronym[agency.acronym.upper()].append(agency)
    chosen: dict[int, Agency] = {}
    unknown, ambiguous = [], []
    for name in wanted:
        agency = by_slug.get(name.lower())
        if agency is None:
            matches = by_acronym.get(name.upper(), [])
            if len(matches) > 1:
                ambiguous.append(name)
                continue
            agency = matches[0] if matches else None
        if agency is None:
            unknown.append(name)
        else:
            chosen[agency.pk] = agency
    if unknown:
        raise ValidationError(f"Unknown agency: {', '.join(unknown)}.", code="unknown_agency")
    if ambiguous:
        raise ValidationError(
            f"More than one agency has the acronym {', '.join(ambiguous)}: name it by its id.",
            code="ambiguous",
        )
    roots = sorted(chosen.values(), key=lambda a: (a.name.lower(), a.slug))
    return ResolvedScope(normalised={"agencies": sorted(a.slug for a in roots)}, roots=roots)


def _filter_scope(query: Any) -> ResolvedScope:
    if not isinstance(query, str):
        raise ValidationError("A claims filter is a query string, such as 'status=disputed'.", code="invalid")
    data = QueryDict(query.strip().lstrip("?"))
    unknown = sorted(set(data) - set(ClaimFilter.base_filters))
    if unknown:
        known = ", ".join(ClaimFilter.base_filters)
        raise ValidationError(
            f"Unknown claims filter: {', '.join(unknown)} (known: {known}).", code="unknown_filter"
        )
    pairs = sorted((key, value.strip()) for key, values in data.lists() for value in values if value.strip())
    cleaned = QueryDict(mutable=True)
    for key, value in pairs:
        cleaned.appendlist(key, value)
    claim_filter = ClaimFilter(cleaned, queryset=Claim.objects.all())
    if not claim_filter.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in claim_filter.errors.items()
        )
        raise ValidationError(f"The claims filter is not valid: {problems}", code="invalid_filter")
    return ResolvedScope(normalised={"filter": urlencode(pairs)}, claim_filter=claim_filter)


def agencies_claims(agency_ids: Iterable[int]) -> QuerySet[Claim]:
    """An agency briefing's claims: about these agencies, their roles or their data systems."""
    agency_ids = set(agency_ids)
    return Claim.objects.filter(
        Q(pk__in=ClaimAgency.objects.filter(agency_id__in=agency_ids).values("claim_id"))
        | Q(pk__in=RoleClaim.objects.filter(role__agency_id__in=agency_ids).values("claim_id"))
        | Q(
            pk__in=DataAccessClaim.objects.filter(
                Q(access__system__agency_id__in=agency_ids) | Q(access__seeker_id__in=agency_ids)
            ).values("claim_id")
        )
    )


def scope_claims(resolved: ResolvedScope) -> QuerySet[Claim]:
    """The claims a briefing of this scope covers (what briefing_data reads), unevaluated."""
    if resolved.claim_filter is not None:
        return resolved.claim_filter.qs
    return agencies_claims(pk for root in resolved.roots for pk in selectors.agency_subtree_ids(root))
