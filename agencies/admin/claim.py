"""Claims with their agencies, attributions (and their via documents) and figures."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from agencies.core import conditions as claim_conditions
from agencies.core import permissions, services
from agencies.core.claim_history import claim_line_changes
from agencies.core.selectors import ClaimEvidence, claim_evidence, claims_with_evidence
from agencies.models import (
    Attribution,
    AttributionHop,
    Claim,
    ClaimAgency,
    Document,
    Figure,
    SourceKind,
)

from .common import (
    PARTIAL_DATES,
    PLAIN_ROWS,
    SHORT_TEXT,
    AtLeastOne,
    HistoryAdmin,
    KnownAutocompleteSelectMultiple,
    RecordForm,
    RecordFormsetForm,
    StackedInline,
    TabularInline,
    change_link,
    shorten,
    shown_date,
)


class OrderedAutocompleteSelectMultiple(KnownAutocompleteSelectMultiple):
    """The admin's autocomplete for several documents, shown in the order they were chosen."""

    def optgroups(self, name, value, attr=None):
        groups = super().optgroups(name, value, attr)
        order = {str(pk): index for index, pk in enumerate(value)}
        for _label, options, _index in groups:
            options.sort(key=lambda option: order.get(str(option["value"]), len(order)))
        return groups


class OrderedDocumentsField(forms.ModelMultipleChoiceField):
    """Documents in the order given (the browser sends them as chosen), not the database's order."""

    def clean(self, value):
        found = {str(document.pk): document for document in super().clean(value)}
        return [found[str(pk)] for pk in value or [] if str(pk) in found]

    def has_changed(self, initial, data):
        return [str(pk) for pk in initial or []] != [str(pk) for pk in data or []]


def evidence_of(claim: Claim) -> ClaimEvidence:
    """The claim's evidence, derived once per row even though several columns show it."""
    if not hasattr(claim, "_admin_evidence"):
        claim._admin_evidence = claim_evidence(claim)
    return claim._admin_evidence


class ClaimForm(RecordForm):
    change_reason = forms.CharField(
        required=False,
        max_length=services.REASON_MAX_LENGTH,
        label="Reason for this change",
        help_text="Kept in the history with your name. Required when the status changes.",
    )

    class Meta:
        model = Claim
        fields = ["slug", "kind", "status", "made", "text", "answers"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is None or self.actor is None:
            return
        current = self.instance.status if self.instance.pk else None
        # Offer only the statuses this user may set; a verdict already given stays, read-only.
        status.choices = [
            (value, label)
            for value, label in status.choices
            if value == current or permissions.can_set_status(self.actor, value, current=current)
        ]
        if current is not None and len(status.choices) == 1:
            status.disabled = True
            status.help_text = "Only an editor changes a verdict."


class ClaimAgencyInline(AtLeastOne, TabularInline):
    model = ClaimAgency
    classes = PLAIN_ROWS
    fields = ["agency", "position"]
    autocomplete_fields = ["agency"]
    ordering = ["position", "id"]
    extra = 0


class AttributionInlineForm(RecordFormsetForm):
    """An attribution with its via documents typed as an ordered list of document ids.

    The admin cannot nest the hops inline inside this inline, so they travel as one field
    and are saved through services.attribution_set_via.
    """

    via = OrderedDocumentsField(
        queryset=Document.objects.all(),
        required=False,
        label="Via documents (in order)",
        help_text="The documents the claim passed through, from the document above outwards: type part "
        "of a title and pick it, in order. Leave empty if it came straight from the origin.",
        widget=OrderedAutocompleteSelectMultiple(Attribution._meta.get_field("document"), admin.site),
    )

    class Meta:
        model = Attribution
        fields = ["document", "origin", "stance", "quote", "locator", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            hops = list(self.instance.hops.all())
            self.initial["via"] = [hop.document_id for hop in hops]
            widget = self.fields["via"].widget
            getattr(widget, "widget", widget).known = {str(hop.document_id): hop.document for hop in hops}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("via") is not None and cleaned.get("document") is not None:
            try:
                services.attribution_check_via(document=cleaned["document"], via=cleaned["via"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


class AttributionInline(StackedInline):
    model = Attribution
    form = AttributionInlineForm
    fields = [("document", "origin"), "via", ("stance", "locator", "position"), "quote"]
    autocomplete_fields = ["document", "origin"]
    formfield_overrides = {**PARTIAL_DATES, **SHORT_TEXT}
    ordering = ["position", "id"]
    show_change_link = True
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0  # a new claim comes with the attribution that makes it traceable

    def get_queryset(self, request):
        hops = AttributionHop.objects.select_related("document").order_by("position", "id")
        return (
            super()
            .get_queryset(request)
            .select_related("document", "origin__affiliation")
            .prefetch_related(Prefetch("hops", queryset=hops))
        )


class FigureInline(TabularInline):
    model = Figure
    fields = ["slug", "metric", "value", "unit", "period_start", "period_end", "geography", "basis"]
    show_change_link = True
    extra = 0


class EvidenceFlagFilter(admin.SimpleListFilter):
    title = "evidence"
    parameter_name = "evidence"
    flags = {
        "anonymous_only": "Anonymous only",
        "single_outlet": "Single outlet",
        "warnings": "Status disagrees with evidence",
    }

    def lookups(self, request, model_admin):
        return list(self.flags.items())

    def queryset(self, request, queryset):
        value = self.value()
        if value == "anonymous_only":
            return queryset.filter(claim_conditions.anonymous_only())
        if value == "single_outlet":
            return queryset.filter(claim_conditions.single_outlet())
        if value == "warnings":
            return queryset.filter(claim_conditions.status_warnings())
        return queryset


@admin.register(Claim)
class ClaimAdmin(HistoryAdmin):
    form = ClaimForm
    prepopulated_fields = {"slug": ("text",)}
    list_display = [
        "slug",
        "short_text",
        "agency_labels",
        "kind",
        "status",
        "made_shown",
        "independent_origins",
        "flags",
    ]
    # Every agency, not only those with claims: finding "those with claims" scans every claim's link.
    list_filter = ["status", "kind", EvidenceFlagFilter, ("agencies", admin.RelatedFieldListFilter)]
    search_fields = ["slug", "text"]
    readonly_fields = ["evidence"]
    autocomplete_fields = ["answers"]
    inlines = [ClaimAgencyInline, AttributionInline, FigureInline]

    def get_fieldsets(self, request, obj=None):
        fields = ["slug", ("kind", "status", "made"), "text", "answers", "change_reason"]
        if obj is None:
            return [(None, {"fields": fields})]
        return [(None, {"fields": fields}), ("Evidence", {"fields": ["evidence"]})]

    def get_queryset(self, request):
        agencies = ClaimAgency.objects.select_related("agency").order_by("position", "id")
        return claims_with_evidence(super().get_queryset(request)).prefetch_related(
            Prefetch("claim_agencies", queryset=agencies, to_attr="agency_links")
        )

    object_history_template = "admin/agencies/claim/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        # The claim's own rows alone would hide the lines added and removed on its page.
        allowed = self.has_view_history_or_change_history_permission(request)
        claim_id = int(object_id) if allowed and str(object_id).isdigit() else None
        lines = claim_line_changes(claim_id) if claim_id is not None else []
        return super().history_view(request, object_id, {**(extra_context or {}), "line_changes": lines})

    def version_rows(self, request, obj):
        # The via documents are edited on the claim's page too, inside its attributions.
        return [*super().version_rows(request, obj), AttributionHop.objects.filter(attribution__claim=obj)]

    def version_histories(self, request, obj):
        hops = AttributionHop.history.filter(attribution__claim=obj)
        return [*super().version_histories(request, obj), hops]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not Attribution:
            return
        for attribution_form in formset.forms:
            attribution = attribution_form.instance
            if attribution.pk is None or attribution_form in formset.deleted_forms:
                continue
            if "via" in attribution_form.changed_data:
                services.attribution_set_via(
                    actor=request.user,
                    attribution=attribution,
                    documents=attribution_form.cleaned_data["via"],
                    reason=form.cleaned_data.get("change_reason") or "",
                )

    @admin.display(description="text", ordering="text")
    def short_text(self, obj):
        return shorten(obj.text)

    @admin.display(description="about")
    def agency_labels(self, obj):
        return ", ".join(link.agency.label for link in obj.agency_links) or None

    @admin.display(description="made", ordering="made")
    def made_shown(self, obj):
        return shown_date(obj.made)

    @admin.display(description="independent origins")
    def independent_origins(self, obj):
        return evidence_of(obj).independent_origins

    @admin.display(description="flags")
    def flags(self, obj):
        evidence = evidence_of(obj)
        flags = [label for label, on in self._flag_labels(evidence) if on] + evidence.warnings
        return format_html_join(" ", '<span class="ov-flag">{}</span>', ((flag,) for flag in flags)) or None

    @staticmethod
    def _flag_labels(evidence: ClaimEvidence):
        return [
            ("anonymous only", evidence.anonymous_only),
            ("single outlet", evidence.single_outlet),
            *((f"disputed by {answer.slug}", True) for answer in evidence.disputed_by),
        ]

    @admin.display(description="chains and what they add up to")
    def evidence(self, obj):
        if obj is None or obj.pk is None:
            return None
        evidence = evidence_of(obj)
        chains = [
            {
                "chain": chain,
                "origin_kind": SourceKind(chain.origin_kind).label if chain.origin_kind else "",
                "url": reverse("admin:agencies_attribution_change", args=[chain.attribution_id]),
            }
            for chain in evidence.chains
        ]
        flags = [label for label, on in self._flag_labels(evidence) if on]
        answers = [
            {
                "answer": answer,
                "relation": "disputed by" if answer.contests else "answered by",
                "spent": not answer.contests,
                "url": reverse("admin:agencies_claim_change", args=[answer.claim_id]),
            }
            for answer in evidence.answered_by
        ]
        if evidence.answers:
            answers.append(
                {
                    "answer": evidence.answers,
                    "relation": "answers",
                    "spent": False,
                    "url": reverse("admin:agencies_claim_change", args=[evidence.answers.claim_id]),
                }
            )
        return render_to_string(
            "admin/agencies/claim/evidence.html",
            {"evidence": evidence, "chains": chains, "flags": flags, "answers": answers},
        )


class HopFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("document")
        ]
        via = [row["document"] for row in sorted(rows, key=lambda row: row.get("position") or 0)]
        document = self.instance.document if self.instance.document_id else None
        try:
            services.attribution_check_via(document=document, via=via)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["via"]) from exc


class AttributionHopInline(TabularInline):
    model = AttributionHop
    classes = PLAIN_ROWS
    formset = HopFormSet
    fields = ["document", "position"]
    autocomplete_fields = ["document"]
    ordering = ["position", "id"]
    extra = 0


@admin.register(Attribution)
class AttributionAdmin(HistoryAdmin):
    list_display = ["claim_link", "document", "via", "origin", "stance", "locator"]
    list_filter = ["stance", "origin__kind"]
    list_select_related = ["claim", "document", "origin__affiliation"]
    search_fields = ["claim__slug", "claim__text", "document__title", "document__slug", "origin__slug"]
    autocomplete_fields = ["claim", "document", "origin"]
    fields = ["claim", ("document", "origin"), ("stance", "locator", "position"), "quote"]
    inlines = [AttributionHopInline]

    def get_queryset(self, request):
        hops = AttributionHop.objects.select_related("document").order_by("position", "id")
        return super().get_queryset(request).prefetch_related(Prefetch("hops", queryset=hops))

    @admin.display(description="claim", ordering="claim__slug")
    def claim_link(self, obj):
        return change_link(obj.claim, obj.claim.slug)

    @admin.display(description="via")
    def via(self, obj):
        return " → ".join(hop.document.slug for hop in obj.hops.all()) or None


@admin.register(Figure)
class FigureAdmin(HistoryAdmin):
    prepopulated_fields = {"slug": ("metric", "value")}
    list_display = ["slug", "metric", "value_shown", "period", "geography", "basis", "claim_link"]
    list_filter = ["metric", "unit"]
    list_select_related = ["claim"]
    search_fields = ["slug", "metric", "basis", "geography", "claim__slug", "claim__text"]
    autocomplete_fields = ["claim"]

    @admin.display(description="value", ordering="value")
    def value_shown(self, obj):
        return f"{obj.value.normalize():,f} {obj.unit}"

    @admin.display(description="period", ordering="period_start")
    def period(self, obj):
        start, end = shown_date(obj.period_start), shown_date(obj.period_end)
        if start == end:
            return start
        return format_html("{} – {}", start or "?", end or "?")

    @admin.display(description="claim", ordering="claim__slug")
    def claim_link(self, obj):
        return change_link(obj.claim, obj.claim.slug)
