"""Agencies, their stated missions, reported roles, data systems and who seeks access to them."""

from django.contrib import admin
from django.db import models
from django.template.loader import render_to_string

from agencies.admin.briefing import generate_briefing_action
from agencies.models import (
    Agency,
    ClaimAgency,
    DataAccess,
    DataAccessClaim,
    DataSystem,
    ReportedRole,
    RoleClaim,
    StatedMission,
)

from .common import (
    PARTIAL_DATES,
    PLAIN_ROWS,
    SHORT_TEXT,
    AtLeastOne,
    HistoryAdmin,
    ListedOnly,
    RecordForm,
    StackedInline,
    TabularInline,
    add_link,
    change_link,
    count_of,
    https_formfield,
    shorten,
    shown_date,
)


class AgencyForm(RecordForm):
    """The parent is checked for cycles by the services (agency_check_parent), like every write."""

    class Meta:
        model = Agency
        fields = ["slug", "name", "acronym", "kind", "parent", "website"]
        formfield_callback = https_formfield


class StatedMissionInline(TabularInline):
    model = StatedMission
    classes = PLAIN_ROWS
    fields = ["position", "text", "as_of", "document"]
    autocomplete_fields = ["document"]
    formfield_overrides = {**PARTIAL_DATES, **SHORT_TEXT}
    ordering = ["position", "id"]
    extra = 0
    verbose_name_plural = "stated missions (the highest position is current)"


class ReportedRoleInline(StackedInline):
    """Existing roles, editable here; new ones are added on their own page, with the claims they rest on."""

    model = ReportedRole
    fk_name = "agency"
    fields = [
        ("slug", "category", "status"),
        "summary",
        ("mission_fit", "rationale"),
        ("partner", "first_reported"),
    ]
    autocomplete_fields = ["partner"]
    formfield_overrides = {**PARTIAL_DATES, **SHORT_TEXT}
    show_change_link = True
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


class DataSystemInline(TabularInline):
    model = DataSystem
    fields = ["slug", "name", "description"]
    formfield_overrides = {**PARTIAL_DATES, **SHORT_TEXT}
    show_change_link = True
    extra = 0


class SubAgencyInline(ListedOnly, TabularInline):
    """Sub-agencies are edited on their own page (their parent field): here they are only listed."""

    model = Agency
    fk_name = "parent"
    fields = ["name", "acronym", "kind"]
    readonly_fields = fields
    show_change_link = True
    verbose_name = "sub-agency"
    verbose_name_plural = "sub-agencies"


@admin.register(Agency)
class AgencyAdmin(HistoryAdmin):
    form = AgencyForm
    prepopulated_fields = {"slug": ("acronym", "name")}
    list_display = ["name", "acronym", "kind", "parent_link", "claim_count", "role_count", "sub_agency_count"]
    list_filter = ["kind", ("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "acronym", "slug"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["mission_and_roles"]
    fieldsets = [
        (None, {"fields": ["slug", "name", "acronym", "kind", "parent", "website"]}),
        ("Stated mission against reported roles", {"fields": ["mission_and_roles"]}),
    ]
    inlines = [StatedMissionInline, ReportedRoleInline, DataSystemInline, SubAgencyInline]
    actions = [generate_briefing_action]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                claim_count=count_of(ClaimAgency, "agency"),
                role_count=count_of(ReportedRole, "agency"),
                sub_agency_count=count_of(Agency, "parent"),
            )
        )

    @admin.display(description="parent", ordering="parent__name")
    def parent_link(self, obj):
        return change_link(obj.parent, obj.parent.label if obj.parent else None)

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, obj):
        return obj.claim_count

    @admin.display(description="roles", ordering="role_count")
    def role_count(self, obj):
        return obj.role_count

    @admin.display(description="sub-agencies", ordering="sub_agency_count")
    def sub_agency_count(self, obj):
        return obj.sub_agency_count

    @admin.display(description="missions and roles")
    def mission_and_roles(self, obj):
        if obj is None or obj.pk is None:
            return "Save the agency first: its stated missions and reported roles show here."
        missions = list(obj.missions.select_related("document").order_by("position", "id"))
        roles = obj.roles.select_related("partner").annotate(claim_count=count_of(RoleClaim, "role"))
        return render_to_string(
            "admin/agencies/agency/mission_and_roles.html",
            {
                "missions": [(mission, mission is missions[-1]) for mission in missions],
                "roles": roles.order_by("mission_fit", "slug"),
                "add_role": add_link(
                    ReportedRole, f"Add a role {obj.label} is reported to play", agency=obj.pk
                ),
            },
        )


@admin.register(StatedMission)
class StatedMissionAdmin(HistoryAdmin):
    list_display = ["agency", "short_text", "as_of_shown", "position", "is_current", "document"]
    list_filter = [("agency", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["agency", "document"]
    search_fields = ["text", "agency__name", "agency__acronym"]
    autocomplete_fields = ["agency", "document"]

    def get_queryset(self, request):
        later = StatedMission.objects.filter(agency=models.OuterRef("agency")).filter(
            models.Q(position__gt=models.OuterRef("position"))
            | models.Q(position=models.OuterRef("position"), id__gt=models.OuterRef("id"))
        )
        return super().get_queryset(request).annotate(current=~models.Exists(later))

    @admin.display(description="text")
    def short_text(self, obj):
        return shorten(obj.text)

    @admin.display(description="stated or captured", ordering="as_of")
    def as_of_shown(self, obj):
        return shown_date(obj.as_of)

    @admin.display(description="current", boolean=True)
    def is_current(self, obj):
        return obj.current


class RoleClaimInline(AtLeastOne, TabularInline):
    model = RoleClaim
    classes = PLAIN_ROWS
    fields = ["claim", "position"]
    autocomplete_fields = ["claim"]
    ordering = ["position", "id"]
    extra = 0
    verbose_name = "claim it rests on"
    verbose_name_plural = "claims it rests on"


@admin.register(ReportedRole)
class ReportedRoleAdmin(HistoryAdmin):
    prepopulated_fields = {"slug": ("summary",)}
    list_display = [
        "short_summary",
        "agency",
        "partner",
        "category",
        "status",
        "mission_fit",
        "first_reported_shown",
        "claim_count",
    ]
    list_filter = ["status", "mission_fit", "category", ("agency", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["agency", "partner"]
    search_fields = ["slug", "summary", "rationale", "category", "agency__name", "agency__acronym"]
    autocomplete_fields = ["agency", "partner"]
    formfield_overrides = {**PARTIAL_DATES, **SHORT_TEXT}
    fields = [
        "slug",
        ("agency", "partner"),
        "summary",
        ("category", "status", "first_reported"),
        ("mission_fit", "rationale"),
    ]
    inlines = [RoleClaimInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=count_of(RoleClaim, "role"))

    @admin.display(description="summary", ordering="summary")
    def short_summary(self, obj):
        return shorten(obj.summary)

    @admin.display(description="first reported", ordering="first_reported")
    def first_reported_shown(self, obj):
        return shown_date(obj.first_reported)

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, obj):
        return obj.claim_count


class DataAccessInline(TabularInline):
    """Existing access, editable here; new access is added on its own page, with the claims it rests on."""

    model = DataAccess
    fields = ["seeker", "status"]
    autocomplete_fields = ["seeker"]
    show_change_link = True
    extra = 0
    verbose_name_plural = "access sought, granted or refused"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DataSystem)
class DataSystemAdmin(HistoryAdmin):
    prepopulated_fields = {"slug": ("name",)}
    list_display = ["name", "agency", "slug", "access_count"]
    list_filter = [("agency", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["agency"]
    search_fields = ["name", "slug", "description", "agency__name", "agency__acronym"]
    autocomplete_fields = ["agency"]
    fields = ["slug", "agency", "name", "description", "add_access"]
    readonly_fields = ["add_access"]
    inlines = [DataAccessInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(access_count=count_of(DataAccess, "system"))

    @admin.display(description="access sought or granted", ordering="access_count")
    def access_count(self, obj):
        return obj.access_count

    @admin.display(description="access")
    def add_access(self, obj):
        if obj is None or obj.pk is None:
            return "Save the data system first; then add who seeks access to it."
        return add_link(DataAccess, "Add an agency seeking, getting or refused access", system=obj.pk)


class DataAccessClaimInline(AtLeastOne, TabularInline):
    model = DataAccessClaim
    classes = PLAIN_ROWS
    fields = ["claim", "position"]
    autocomplete_fields = ["claim"]
    ordering = ["position", "id"]
    extra = 0
    verbose_name = "claim it rests on"
    verbose_name_plural = "claims it rests on"


@admin.register(DataAccess)
class DataAccessAdmin(HistoryAdmin):
    list_display = ["system", "holder", "seeker", "status", "claim_count"]
    list_filter = ["status", ("seeker", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["system__agency", "seeker"]
    search_fields = ["system__name", "system__agency__name", "seeker__name", "seeker__acronym"]
    autocomplete_fields = ["system", "seeker"]
    inlines = [DataAccessClaimInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=count_of(DataAccessClaim, "access"))

    @admin.display(description="held by", ordering="system__agency__name")
    def holder(self, obj):
        return obj.system.agency.label

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, obj):
        return obj.claim_count
