"""The briefing admin and the "Generate briefing" action for agencies. Importing this registers both.

Briefings are read-only here: they are made by the action (through `briefing_request`) and change
only as their job runs. Their pages refresh themselves while a briefing is queued or running.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from agencies.admin.common import ReadOnlyHistoryAdmin
from agencies.briefings.selectors import CONFIDENTIAL_PERMISSION, briefing_visible_to
from agencies.briefings.services import QUEUE_UNREACHABLE, briefing_delete, briefing_request
from agencies.core import permissions
from agencies.models import Briefing, BriefingAudience, BriefingStatus

REFRESH_SECONDS = 3
IN_FLIGHT = (BriefingStatus.QUEUED, BriefingStatus.RUNNING)


@admin.register(Briefing)
class BriefingAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "__str__",
        "shown_audience",
        "status",
        "shown_progress",
        "requested_by",
        "requested_at",
        "page_count",
        "shown_size",
        "download_link",
    ]
    list_filter = ["status", "audience"]
    search_fields = ["title"]
    list_per_page = 50
    # What a researcher came for first (where the briefing is, and its PDF); how the job ran folded away.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "status",
                    "download_button",
                    "shown_progress",
                    "error",
                    "title",
                    "scope_label",
                    "audience",
                    "page_count",
                    "shown_size",
                ]
            },
        ),
        (
            "Request and job details",
            {
                "classes": ["collapse"],
                "fields": [
                    "requested_by",
                    "requested_at",
                    "stage",
                    "attempts",
                    "max_attempts",
                    "failures",
                    "workers_lost",
                    "worker",
                    "published_at",
                    "started_at",
                    "heartbeat_at",
                    "finished_at",
                    "sha256",
                    "fingerprint",
                ],
            },
        ),
    ]
    # Every field is read-only: a briefing is changed by its job, never by hand.
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]

    def get_fieldsets(self, request, obj=None):
        """Up front only what applies: the PDF once there is one, progress while it runs, an error
        when there is one (a failed briefing's, or an earlier attempt's while it is tried again)."""
        if obj is None:
            return self.fieldsets
        hidden = set()
        if obj.status != BriefingStatus.SUCCEEDED or not obj.file:
            hidden |= {"download_button", "page_count", "shown_size"}
        if obj.status not in IN_FLIGHT:
            hidden.add("shown_progress")
        if not obj.error:
            hidden.add("error")
        return [
            (title, {**options, "fields": [name for name in options["fields"] if name not in hidden]})
            for title, options in self.fieldsets
        ]

    def get_queryset(self, request):
        return briefing_visible_to(user=request.user)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # Scoped like the briefings: no version of a briefing that was ever internal (a deleted one
        # included) to a user who may not see internal briefings; its pages answer 404.
        records = super().get_history_queryset(request, history_manager, pk_name, object_id)
        if permissions.can_see_confidential(request.user):
            return records
        internal = history_manager.filter(audience=BriefingAudience.INTERNAL)
        return records.exclude(**{f"{pk_name}__in": internal.values(pk_name)})

    def has_add_permission(self, request):
        return False  # the "Generate briefing" action on agencies asks for one

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        briefing_delete(briefing=obj)

    def delete_queryset(self, request, queryset):
        for briefing in queryset:
            briefing_delete(briefing=briefing)

    @admin.display(description="scope")
    def scope_label(self, obj):
        return obj.scope_label

    @admin.display(description="audience", ordering="audience")
    def shown_audience(self, obj):
        return obj.audience.capitalize()

    @admin.display(description="progress", ordering="progress")
    def shown_progress(self, obj):
        if obj.status in IN_FLIGHT:
            return f"{obj.progress}% ({obj.stage})" if obj.stage else f"{obj.progress}%"
        return f"{obj.progress}%"

    @admin.display(description="size", ordering="size")
    def shown_size(self, obj):
        return filesizeformat(obj.size) if obj.size is not None else "-"

    @admin.display(description="PDF")
    def download_link(self, obj):
        if obj.status != BriefingStatus.SUCCEEDED or not obj.file:
            return "-"
        url = reverse("agencies:briefing_download", args=[obj.pk])
        return format_html('<a href="{}">Download PDF</a>', url)

    @admin.display(description="PDF")
    def download_button(self, obj):
        if obj.status != BriefingStatus.SUCCEEDED or not obj.file:
            return "-"
        url = reverse("agencies:briefing_download", args=[obj.pk])
        return format_html('<a class="button" id="briefing-download" href="{}">Download the PDF</a>', url)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            in_flight = any(briefing.status in IN_FLIGHT for briefing in context["cl"].result_list)
            context["refresh_seconds"] = REFRESH_SECONDS if in_flight else None
        return response

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["refresh_seconds"] = REFRESH_SECONDS if obj is not None and obj.status in IN_FLIGHT else None
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


def _briefing_message(briefing: Briefing, *, published: bool, reused: bool) -> tuple[int, str]:
    name = f"Briefing #{briefing.pk}"
    if briefing.status == BriefingStatus.SUCCEEDED:
        if reused:
            return messages.SUCCESS, f"{name} is ready: it was built earlier from the same data."
        return messages.SUCCESS, f"{name} is ready."
    if briefing.status == BriefingStatus.FAILED:
        return messages.ERROR, f"{name} failed: {briefing.error}"
    if not published:
        return messages.WARNING, f"{name} {QUEUE_UNREACHABLE}"
    return messages.SUCCESS, f"{name} queued; its page shows how far it has got."


@admin.action(description="Generate briefing")
def generate_briefing_action(modeladmin, request, queryset):
    """Ask for a briefing on the selected agencies (sub-agencies included), after choosing its audience."""
    may_see_confidential = request.user.has_perm(CONFIDENTIAL_PERMISSION)
    if not request.user.has_perm("agencies.add_briefing"):
        modeladmin.message_user(request, "You may not ask for briefings.", messages.ERROR)
        return None
    agencies = list(queryset.order_by("name"))
    audience = request.POST.get("audience")
    if request.POST.get("post") != "yes" or audience is None:
        audiences = [BriefingAudience.PUBLIC]
        if may_see_confidential:
            audiences.append(BriefingAudience.INTERNAL)
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": "Generate a briefing",
            "opts": modeladmin.model._meta,
            "agencies": agencies,
            "audiences": [(value, BriefingAudience(value).label) for value in audiences],
            "action": request.POST.get("action", "generate_briefing_action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/agencies/briefing/generate.html", context)

    asked_at = timezone.now()
    try:
        briefing, published = briefing_request(
            actor=request.user, scope={"agencies": [agency.slug for agency in agencies]}, audience=audience
        )
    except (ValidationError, PermissionDenied) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        modeladmin.message_user(request, f"No briefing: {text}", messages.ERROR)
        return None
    level, text = _briefing_message(briefing, published=published, reused=briefing.requested_at < asked_at)
    modeladmin.message_user(request, text, level)
    if request.user.has_perm("agencies.view_briefing"):
        return HttpResponseRedirect(reverse("admin:agencies_briefing_change", args=[briefing.pk]))
    return None
