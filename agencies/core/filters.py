"""django-filter FilterSets: one definition of "which claims" for the explorer, its exports and the
scope of a briefing (a briefing's `filter` scope is the query string of ClaimFilter).

Every filter is a condition the database evaluates (subqueries, Exists, annotations): none fetches
claims to decide in Python, so a filter costs the same few queries on ten claims or a million.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from agencies.core import conditions as claim_conditions
from agencies.core import search
from agencies.core.dates import PartialDate, PartialDateFormField, overlap_lookups
from agencies.core.selectors import agency_subtree_ids
from agencies.models import (
    Agency,
    Attribution,
    Claim,
    ClaimAgency,
    ClaimKind,
    ClaimStatus,
    Outlet,
    SourceKind,
    Stance,
)


class PartialDateFilter(django_filters.Filter):
    field_class = PartialDateFormField


class FlagFormField(forms.Field):
    """Yes, no or either. Anything else is an error: a typo must not quietly select every claim."""

    TRUE = frozenset({"true", "1", "yes", "on"})
    FALSE = frozenset({"false", "0", "no", "off"})

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Select(choices=[("", "Either"), ("true", "Yes"), ("false", "No")]))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError("Use true or false.", code="invalid")

    def prepare_value(self, value):
        if value is None or value == "":
            return ""
        try:
            return "true" if self.to_python(value) else "false"
        except ValidationError:
            return value


class FlagFilter(django_filters.Filter):
    """Keeps the claims for which `condition()` holds (true) or does not (false)."""

    field_class = FlagFormField

    def __init__(self, *args, condition, **kwargs):
        self.condition = condition
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        condition = self.condition()
        return qs.filter(condition) if value else qs.exclude(condition)


def _independent_origins():
    """Distinct origins of the supporting lines: claim_evidence's independent-origin count, in SQL."""
    counted = (
        Attribution.objects.filter(claim=OuterRef("pk"), stance=Stance.SUPPORTS)
        .order_by()
        .values("claim_id")
        .annotate(n=Count("origin_id", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


_STATUS_RANK = Case(
    *(When(status=status, then=Value(rank)) for rank, status in enumerate(ClaimStatus.values)),
    default=Value(len(ClaimStatus.values)),
    output_field=IntegerField(),
)

# sort value -> (label, ORDER BY). Undated claims come last either way; the slug breaks ties, so that
# pages never overlap or skip a claim.
SORTS = {
    "-made": ("Newest first", [F("made").desc(nulls_last=True)]),
    "made": ("Oldest first", [F("made").asc(nulls_last=True)]),
    "-origins": (
        "Most independent origins",
        [F("independent_origins").desc(), F("made").desc(nulls_last=True)],
    ),
    "origins": (
        "Fewest independent origins",
        [F("independent_origins").asc(), F("made").desc(nulls_last=True)],
    ),
    "status": ("Status", [_STATUS_RANK.asc(), F("made").desc(nulls_last=True)]),
    "-status": ("Status, reversed", [_STATUS_RANK.desc(), F("made").desc(nulls_last=True)]),
    "kind": ("Kind", [F("kind").asc(), F("made").desc(nulls_last=True)]),
    "-kind": ("Kind, reversed", [F("kind").desc(), F("made").desc(nulls_last=True)]),
    "id": ("Id", []),
    "-id": ("Id, reversed", []),
}
DEFAULT_SORT = "-made"


class ClaimOrderingFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(key, label) for key, (label, _) in SORTS.items()])
        kwargs.setdefault("empty_label", None)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = value or DEFAULT_SORT
        _label, ordering = SORTS[value]
        if "origins" in value:
            qs = qs.annotate(independent_origins=_independent_origins())
        tie = F("slug").desc() if value == "-id" else F("slug").asc()
        return qs.order_by(*ordering, tie)


@dataclass(frozen=True)
class ActiveFilter:
    """One value of the selection, as a researcher reads it, and the query string without it."""

    name: str
    value: str
    label: str
    without: str


FLAG_LABELS = {
    # Phrases that follow "1 claim" and "4 claims" alike.
    "anonymous_only": ("Resting only on anonymous or unnamed sources", "Not only on anonymous sources"),
    "single_outlet": ("With every line through one outlet", "Not through a single outlet"),
    "contested": ("Contested", "Not contested"),
}


class ClaimFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        help_text="Claim texts, quotes, document titles and source descriptions.",
    )
    agency = django_filters.ModelMultipleChoiceFilter(
        queryset=Agency.objects.all(),
        to_field_name="slug",
        method="filter_agency",
        distinct=False,
        label="About agency (sub-agencies included)",
    )
    # distinct=False: no filter here joins rows that could repeat a claim (each is a subquery), and
    # DISTINCT would make every count and page sort the whole selection.
    status = django_filters.MultipleChoiceFilter(choices=ClaimStatus.choices, distinct=False)
    kind = django_filters.MultipleChoiceFilter(choices=ClaimKind.choices, distinct=False)
    outlet = django_filters.ModelMultipleChoiceFilter(
        queryset=Outlet.objects.all(),
        to_field_name="slug",
        method="filter_outlet",
        distinct=False,
        label="Reported through outlet (any document of a line, via documents included)",
    )
    origin_kind = django_filters.MultipleChoiceFilter(
        choices=SourceKind.choices,
        method="filter_origin_kind",
        distinct=False,
        label="A line comes from",
    )
    anonymous_only = FlagFilter(
        condition=claim_conditions.anonymous_only,
        label="Rests only on anonymous or unnamed sources",
    )
    single_outlet = FlagFilter(
        condition=claim_conditions.single_outlet,
        label="Every supporting line through one outlet",
    )
    contested = FlagFilter(
        condition=claim_conditions.contested,
        label="Contested (a line or a claim disputes it, or a figure it gives is contested)",
    )
    made_after = PartialDateFilter(method="filter_made_after", label="Made on or after")
    made_before = PartialDateFilter(method="filter_made_before", label="Made on or before")
    sort = ClaimOrderingFilter(label="Sort")

    class Meta:
        model = Claim
        fields: list[str] = []

    # Parameters that say which claims; `sort` only orders them (a briefing orders its own).
    SELECTION = (
        "q",
        "agency",
        "status",
        "kind",
        "outlet",
        "origin_kind",
        "anonymous_only",
        "single_outlet",
        "contested",
        "made_after",
        "made_before",
    )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("sort"):
            queryset = self.filters["sort"].filter(queryset, DEFAULT_SORT)
        return queryset

    def filter_agency(self, queryset: QuerySet[Claim], name: str, value) -> QuerySet[Claim]:
        if not value:
            return queryset
        ids = {pk for agency in value for pk in agency_subtree_ids(agency)}
        return queryset.filter(pk__in=ClaimAgency.objects.filter(agency_id__in=ids).values("claim_id"))

    def filter_outlet(self, queryset: QuerySet[Claim], name: str, value) -> QuerySet[Claim]:
        if not value:
            return queryset
        return queryset.filter(claim_conditions.through_outlets([outlet.pk for outlet in value]))

    def filter_origin_kind(self, queryset: QuerySet[Claim], name: str, value) -> QuerySet[Claim]:
        if not value:
            return queryset
        # Any line, whatever its stance: "claims a named person speaks to", for or against.
        return queryset.filter(pk__in=Attribution.objects.filter(origin__kind__in=value).values("claim_id"))

    def filter_made_after(self, queryset: QuerySet[Claim], name: str, value: PartialDate | None):
        # A claim "made in May 2025" may have been made after 12 May: precision decides, not the 1st.
        return queryset if value is None else queryset.filter(overlap_lookups("made", after=value.start))

    def filter_made_before(self, queryset: QuerySet[Claim], name: str, value: PartialDate | None):
        return queryset if value is None else queryset.filter(overlap_lookups("made", before=value.end))

    def filter_q(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(search.text_search(term, using=queryset.db))

    # --- The selection as text: query strings, chips, a sentence -----------------------------------

    def pairs(self, *, with_sort: bool = False) -> list[tuple[str, str]]:
        """The valid selection in normal form: sorted (name, value) pairs, empty values dropped.
        Equal selections give equal pairs, however they were typed ("1" and "true", "DHS " ...)."""
        data = self.form.cleaned_data if self.is_valid() else {}
        pairs = []
        for name in self.SELECTION:
            value = data.get(name)
            if value is None or (isinstance(value, str | list) and not value):
                continue
            if name in ("agency", "outlet"):
                pairs += [(name, obj.slug) for obj in value]
            elif name in ("status", "kind", "origin_kind"):
                pairs += [(name, item) for item in value]
            elif name in FLAG_LABELS:
                pairs.append((name, "true" if value else "false"))
            elif isinstance(value, PartialDate):
                pairs.append((name, value.isoformat()))
            else:
                pairs.append((name, str(value).strip()))
        pairs.sort()
        if with_sort and data.get("sort") and data["sort"] != DEFAULT_SORT:
            pairs.append(("sort", data["sort"]))
        return pairs

    def querystring(self, *, with_sort: bool = False) -> str:
        """The normal form as a query string: what a briefing's {"filter": ...} scope holds."""
        return urlencode(self.pairs(with_sort=with_sort))

    def active(self) -> list[ActiveFilter]:
        """Each value of the selection with a label, and the query string that drops just it."""
        if not hasattr(self, "_active"):
            self._active = self._active_filters()
        return self._active

    def _active_filters(self) -> list[ActiveFilter]:
        pairs = self.pairs(with_sort=True)
        data = self.form.cleaned_data if self.is_valid() else {}
        labels = {
            "status": dict(ClaimStatus.choices),
            "kind": dict(ClaimKind.choices),
            "origin_kind": dict(SourceKind.choices),
        }
        objects = {name: {obj.slug: obj for obj in data.get(name) or []} for name in ("agency", "outlet")}
        parents = set()
        if objects["agency"]:
            selected = [agency.pk for agency in objects["agency"].values()]
            parents = set(Agency.objects.filter(parent_id__in=selected).values_list("parent_id", flat=True))
        active = []
        for pair in pairs:
            name, value = pair
            if name == "sort":
                continue
            if name == "agency":
                agency = objects["agency"][value]
                label = f"About {agency.label}" + (", sub-agencies included" if agency.pk in parents else "")
            elif name == "outlet":
                label = f"Through {objects['outlet'][value].name}"
            elif name in labels:
                prefix = {"status": "Status", "kind": "Kind", "origin_kind": "A line from"}[name]
                label = f"{prefix}: {str(labels[name][value]).lower()}"
            elif name in FLAG_LABELS:
                label = FLAG_LABELS[name][0 if value == "true" else 1]
            elif name == "made_after":
                label = f"Made on or after {data[name].display()}"
            elif name == "made_before":
                label = f"Made on or before {data[name].display()}"
            else:
                # A quoted phrase keeps its own quotes; no second pair around it.
                label = f"Mentioning {value}" if '"' in value else f"Mentioning “{value}”"
            rest = [other for other in pairs if other != pair]
            active.append(ActiveFilter(name=name, value=value, label=label, without=urlencode(rest)))
        return active

    def summary(self) -> str:
        """The selection's parts in a phrase ("about DHS, sub-agencies included; status: disputed"),
        empty when nothing is selected."""
        return "; ".join(item.label[0].lower() + item.label[1:] for item in self.active())

    def describe(self) -> str:
        """The selection as one sentence, for a briefing's cover and an export's header."""
        summary = self.summary()
        return f"Claims: {summary}" if summary else "Every claim in the record"
