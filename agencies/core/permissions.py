"""Who may do what in Oversight: the roles, the permissions they carry, and the questions to ask.

Roles are groups, created by migration 0003 and reset to these defaults by `roles_sync()` (after every
`migrate`, agencies.apps):

- ``viewer`` reads the record and public briefings.
- ``researcher`` is a viewer who also edits the record and asks for briefings.
- ``editor`` is a researcher who also gives claims their verdict (confirmed, refuted, retracted),
  publishes (agencies.publish: the dossier export, the record leaving Oversight in its name)
  and deletes briefings.
- ``confidential`` is not a role but a grant added to one: agencies.view_confidential, to see who
  confidential sources are, ask for internal briefings and make internal exports.

A user needs `is_staff` to open the admin (`manage.py set_role` sets it with the role). Superusers
may do everything. Views answer 403 (or 404 where saying "forbidden" would confirm that something
exists) and never the data; services raise PermissionDenied; commands refuse with an error.

Views, services and commands ask through the `can_*` functions below rather than naming permission
strings, so that a role's meaning changes in one place.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.core.exceptions import PermissionDenied

# Roles (group names).
VIEWER = "viewer"
RESEARCHER = "researcher"
EDITOR = "editor"
CONFIDENTIAL = "confidential"
ROLES = (VIEWER, RESEARCHER, EDITOR)

# Permissions, as user.has_perm() takes them.
VIEW_RECORD = "agencies.view_claim"
EDIT_RECORD = "agencies.change_claim"
VIEW_CONFIDENTIAL = "agencies.view_confidential"
SET_VERDICT = "agencies.set_verdict"
PUBLISH = "agencies.publish"
VIEW_BRIEFING = "agencies.view_briefing"
REQUEST_BRIEFING = "agencies.add_briefing"
DELETE_BRIEFING = "agencies.delete_briefing"
MANAGE_ROLES = "agencies.manage_roles"  # no role carries it: superusers, or a user given it

# Statuses that are a verdict: only editors set them, or take a claim out of them.
VERDICT_STATUSES = frozenset({"confirmed", "refuted", "retracted"})

# The record's models (briefings and confidential notes have their own rules below). A test checks
# this against the app's models, so that a new model of the record is not left out of the roles.
RECORD_MODELS = (
    "agency",
    "attribution",
    "attributionhop",
    "citation",
    "claim",
    "claimagency",
    "commentrequest",
    "dataaccess",
    "dataaccessclaim",
    "datasystem",
    "document",
    "figure",
    "outlet",
    "reportedrole",
    "roleclaim",
    "source",
    "statedmission",
)

# Permissions no model's Meta declares: created on the claim's content type by roles_sync().
CUSTOM_PERMISSIONS = {
    "set_verdict": "Can set a claim's status to confirmed, refuted or retracted",
    "publish": "Can publish: export the record as a dossier, in Oversight's name",
}


def _record(actions: tuple[str, ...]) -> set[str]:
    return {f"agencies.{action}_{model}" for model in RECORD_MODELS for action in actions}


def role_permissions() -> dict[str, frozenset[str]]:
    """Each group and exactly the permissions it holds."""
    viewer = _record(("view",)) | {VIEW_BRIEFING}
    # Writing notes needs view_confidential as well: without it the admin never shows them.
    researcher = (
        viewer
        | _record(("add", "change", "delete"))
        | {f"agencies.{action}_sourceconfidentialnote" for action in ("add", "change", "delete")}
        | {REQUEST_BRIEFING}
    )
    editor = researcher | {SET_VERDICT, PUBLISH, DELETE_BRIEFING}
    confidential = {VIEW_CONFIDENTIAL, "agencies.view_sourceconfidentialnote"}
    return {
        VIEWER: frozenset(viewer),
        RESEARCHER: frozenset(researcher),
        EDITOR: frozenset(editor),
        CONFIDENTIAL: frozenset(confidential),
    }


def roles_sync(*, apps=global_apps) -> None:
    """Create the custom permissions and the groups, and give each group exactly its permissions.

    Idempotent. `apps` is a migration's historical registry when a migration calls it; the model
    permissions must exist already (Django creates them after migrating, or create_permissions()).
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    claim_type, _ = ContentType.objects.get_or_create(app_label="agencies", model="claim")
    for codename, name in CUSTOM_PERMISSIONS.items():
        Permission.objects.get_or_create(content_type=claim_type, codename=codename, defaults={"name": name})
    wanted = role_permissions()
    found = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.filter(
            content_type__app_label__in={name.split(".")[0] for names in wanted.values() for name in names}
        ).values_list("pk", "content_type__app_label", "codename")
    }
    missing = sorted({name for names in wanted.values() for name in names} - found.keys())
    if missing:
        raise RuntimeError(f"Permissions missing, migrate first: {', '.join(missing)}")
    for group_name, names in wanted.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set([found[name] for name in names])


# Questions a view, a service or a command asks. `user` is a user (anonymous included), never None:
# callers decide what a system action (no user) may do.


def can_view_record(user) -> bool:
    return user.is_active and user.has_perm(VIEW_RECORD)


def can_edit_record(user) -> bool:
    return user.is_active and user.has_perm(EDIT_RECORD)


def can_write(user, model, action: str) -> bool:
    """May `user` add, change or delete (`action`) rows of `model`, a model of the record?

    Confidential notes also need the grant: without it a user never learns they exist.
    """
    opts = model._meta
    if not (user.is_active and user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")):
        return False
    return opts.model_name != "sourceconfidentialnote" or can_see_confidential(user)


def can_see_confidential(user) -> bool:
    """Confidential notes: in the admin, internal briefings, internal exports."""
    return user.is_active and user.has_perm(VIEW_CONFIDENTIAL)


def can_request_briefing(user, audience: str = "public") -> bool:
    if not (user.is_active and user.has_perm(REQUEST_BRIEFING)):
        return False
    return audience != "internal" or can_see_confidential(user)


def can_request_internal(user) -> bool:
    return can_request_briefing(user, "internal")


def can_download_briefing(user, audience: str) -> bool:
    if not (user.is_active and user.has_perm(VIEW_BRIEFING)):
        return False
    return audience != "internal" or can_see_confidential(user)


def can_set_status(user, status: str, *, current: str | None = None) -> bool:
    """May `user` give a claim `status` (taking it from `current`, if it exists)?

    Editors alone set a verdict or take one back; anyone who edits the record sets the others.
    """
    if not can_edit_record(user):
        return False
    if status in VERDICT_STATUSES or (current in VERDICT_STATUSES and current != status):
        return user.has_perm(SET_VERDICT)
    return True


def can_manage_roles(user) -> bool:
    """Give users a role and the confidential grant (services.user_set_role), and read who did."""
    return user.is_active and (user.is_superuser or user.has_perm(MANAGE_ROLES))


def can_publish(user) -> bool:
    return user.is_active and user.has_perm(PUBLISH)


def can_export(user, *, internal: bool) -> bool:
    """A dossier export is publishing; an internal one also names confidential sources."""
    return can_publish(user) and (not internal or can_see_confidential(user))


def require(allowed: bool, message: str) -> None:
    """Raise PermissionDenied(message) unless `allowed`: `require(can_publish(user), "...")`."""
    if not allowed:
        raise PermissionDenied(message)
