"""Who changed whose role: read-only, for superusers and those allowed to manage roles."""

from django.contrib import admin

from agencies.core import permissions
from agencies.models import RoleChange


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    list_display = [
        "changed_at",
        "user_name",
        "old_role",
        "new_role",
        "new_confidential",
        "actor_name",
        "reason",
    ]
    list_filter = ["new_role", "new_confidential"]
    search_fields = ["user_name", "actor_name", "reason"]
    date_hierarchy = "changed_at"
    fields = [
        "changed_at",
        ("user_name", "user"),
        ("old_role", "new_role"),
        ("old_confidential", "new_confidential"),
        ("actor_name", "actor"),
        "reason",
    ]
    readonly_fields = ["changed_at", "user_name", "user", "old_role", "new_role"]
    readonly_fields += ["old_confidential", "new_confidential", "actor_name", "actor", "reason"]
    list_select_related = ["user", "actor"]

    # Written only by services.user_set_role (manage.py set_role): the admin never adds, edits or
    # deletes an entry, whoever asks.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return permissions.can_manage_roles(request.user)
