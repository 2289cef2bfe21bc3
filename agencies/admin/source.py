"""Outlets, documents and their citations, sources and their confidential notes, comment requests."""

from django import forms
from django.contrib import admin
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from agencies.core import permissions
from agencies.models import (
    Attribution,
    Citation,
    CommentRequest,
    Document,
    Outlet,
    Source,
    SourceConfidentialNote,
)

from .common import (
    PLAIN_ROWS,
    HistoryAdmin,
    ListedOnly,
    RecordForm,
    StackedInline,
    TabularInline,
    count_of,
    https_formfield,
    shown_date,
)

CONFIDENTIAL_PERMISSION = permissions.VIEW_CONFIDENTIAL


def hides_notes_from_error_reports(view):
    """For admin views that may carry a note: an error report of them (a 500 e-mail, a logged
    traceback) keeps neither the posted form nor the variables of any function below the view."""
    view = method_decorator(sensitive_variables())(view)
    return method_decorator(sensitive_post_parameters())(view)


def may_see_confidential(request) -> bool:
    return permissions.can_see_confidential(request.user)


@admin.register(Outlet)
class OutletAdmin(HistoryAdmin):
    prepopulated_fields = {"slug": ("name",)}
    list_display = ["name", "slug", "kind", "document_count"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(document_count=count_of(Document, "outlet"))

    @admin.display(description="documents", ordering="document_count")
    def document_count(self, obj):
        return obj.document_count


class CitationInline(TabularInline):
    model = Citation
    classes = PLAIN_ROWS
    fk_name = "citing"
    fields = ["cited", "position"]
    autocomplete_fields = ["cited"]
    ordering = ["position", "id"]
    extra = 0
    verbose_name = "document it cites"
    verbose_name_plural = "documents it cites (in the order it gives them)"


class CitedByInline(ListedOnly, TabularInline):
    model = Citation
    classes = PLAIN_ROWS
    fk_name = "cited"
    fields = ["citing"]
    readonly_fields = fields
    verbose_name = "document citing it"
    verbose_name_plural = "documents citing it"


class AuthorsField(forms.CharField):
    """Authors as names, one a line, stored as the list the dossier format writes."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        if isinstance(value, list):
            return value
        return [name.strip() for name in text.splitlines() if name.strip()]


class DocumentForm(RecordForm):
    authors = AuthorsField(required=False, help_text="One name a line, as the byline gives them.")

    class Meta:
        model = Document
        fields = ["slug", "kind", "outlet", "title", "published", "url", "archived_url", "authors"]
        formfield_callback = https_formfield


@admin.register(Document)
class DocumentAdmin(HistoryAdmin):
    form = DocumentForm
    prepopulated_fields = {"slug": ("title",)}
    list_display = ["title", "outlet", "kind", "published_shown", "slug", "cites_count", "attribution_count"]
    list_filter = ["kind", ("outlet", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["outlet"]
    search_fields = ["title", "slug", "url", "outlet__name"]
    autocomplete_fields = ["outlet"]
    fields = ["slug", "kind", "outlet", "title", "published", "url", "archived_url", "authors"]
    inlines = [CitationInline, CitedByInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                cites_count=count_of(Citation, "citing"),
                attribution_count=count_of(Attribution, "document"),
            )
        )

    @admin.display(description="published", ordering="published")
    def published_shown(self, obj):
        return shown_date(obj.published)

    @admin.display(description="cites", ordering="cites_count")
    def cites_count(self, obj):
        return obj.cites_count

    @admin.display(description="claims appear in it", ordering="attribution_count")
    def attribution_count(self, obj):
        return obj.attribution_count


class ConfidentialNoteInline(StackedInline):
    """Only for those who may see who a source is; SourceAdmin leaves it out for everyone else."""

    model = SourceConfidentialNote
    fields = ["notes"]
    max_num = 1
    extra = 0
    verbose_name_plural = "confidential note (seen only by those allowed to see who sources are)"

    def has_view_permission(self, request, obj=None):
        return may_see_confidential(request)

    def has_add_permission(self, request, obj=None):
        return may_see_confidential(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return may_see_confidential(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return may_see_confidential(request) and super().has_delete_permission(request, obj)


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    # Never the confidential note here: not in columns, not in search.
    list_display = ["slug", "public_label", "kind", "count", "speaks_for", "attribution_count"]
    list_filter = ["kind"]
    list_select_related = ["affiliation", "agency", "outlet"]
    search_fields = ["slug", "name", "description", "title", "reason"]
    autocomplete_fields = ["granted_by", "affiliation", "agency", "outlet", "document"]
    prepopulated_fields = {"slug": ("name", "description")}
    fieldsets = [
        (None, {"fields": ["slug", "kind", "description"]}),
        ("Anonymous", {"fields": ["count", "reason", "granted_by"]}),
        ("Named person, official or organisation", {"fields": ["name", "title", "affiliation"]}),
        ("Agency, outlet or data set", {"fields": ["agency", "outlet", "document"]}),
    ]

    def get_inlines(self, request, obj):
        return [ConfidentialNoteInline] if may_see_confidential(request) else []

    @hides_notes_from_error_reports
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(attribution_count=count_of(Attribution, "origin"))

    @admin.display(description="shown as")
    def public_label(self, obj):
        return obj.public_label

    @admin.display(description="speaks for")
    def speaks_for(self, obj):
        agency = obj.agency or obj.affiliation
        if agency is not None:
            return agency.label
        return obj.outlet.name if obj.outlet else None

    @admin.display(description="claims from it", ordering="attribution_count")
    def attribution_count(self, obj):
        return obj.attribution_count


@admin.register(SourceConfidentialNote)
class SourceConfidentialNoteAdmin(HistoryAdmin):
    """Hidden, history included, from anyone without agencies.view_confidential."""

    list_display = ["source", "updated_at"]
    list_select_related = ["source"]
    search_fields = ["source__slug"]  # never the notes themselves
    autocomplete_fields = ["source"]

    @hides_notes_from_error_reports
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    # Their history pages show the notes of every version.
    @hides_notes_from_error_reports
    def history_view(self, request, object_id, extra_context=None):
        return super().history_view(request, object_id, extra_context)

    @hides_notes_from_error_reports
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return super().history_form_view(request, object_id, version_id, extra_context)

    def has_module_permission(self, request):
        return may_see_confidential(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return may_see_confidential(request)

    def has_add_permission(self, request):
        return may_see_confidential(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return may_see_confidential(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return may_see_confidential(request) and super().has_delete_permission(request, obj)


@admin.register(CommentRequest)
class CommentRequestAdmin(HistoryAdmin):
    list_display = ["agency", "document", "outlet", "requested_shown", "response"]
    list_filter = ["response", ("agency", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["agency", "document__outlet"]
    search_fields = ["agency__name", "agency__acronym", "document__title", "document__slug", "response_text"]
    autocomplete_fields = ["document", "agency"]

    @admin.display(description="outlet", ordering="document__outlet__name")
    def outlet(self, obj):
        return obj.document.outlet

    @admin.display(description="requested", ordering="requested")
    def requested_shown(self, obj):
        return shown_date(obj.requested)
