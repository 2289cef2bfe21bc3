"""As every role, POST to every admin URL: the status, and exactly what changed in the database.

The URLs come from admin.site._registry (each ModelAdmin's own URL patterns, by name) and from the
URLconf (every other view under /admin/), so a new model or a new view is walked without being
listed here; a view whose kind this file does not know fails the walk until it gets an expectation.
Before each POST the database is as seeded; afterwards every table's rows (history tables, the
admin log and the auth tables included; sessions are the browser's, not the record) are compared
with the seeded state, and the POST is rolled back.

Who may do what is written out here from the roles as agencies/core/permissions.py describes them, not
derived from the permission code under test.
"""

import copy
import json
from dataclasses import dataclass, field

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from simple_history.admin import SimpleHistoryAdmin

from agencies.briefings.services import briefing_scope_key
from agencies.core import services
from agencies.core.permissions import roles_sync
from agencies.models import Agency, Briefing, BriefingStatus, RoleChange
from tests import factories as f
from tests.admin.form_data import form_data
from tests.factories import populate
from tests.trust.conftest import RECORD, ROLE_CASES, ROLES_WHO_EDIT, ROLES_WHO_READ, case_id

# Tables that are not the record: the walking browser's own session.
NOT_COMPARED = {"sessions.session"}
# Site views not walked, and why.
NOT_WALKED = {
    "login": "signing in is the lockout tests' subject (tests/trust/test_lockout.py)",
    "logout": "it would end the session the walk uses",
}
CASES = [("anonymous", False), *ROLE_CASES, ("superuser", False)]


def name_of(case) -> str:
    return case[0] if case[0] in ("anonymous", "superuser") else case_id(case)


def rights(case, label: str) -> set[str]:
    """What a role may do to a model in the admin: view, add, change, delete."""
    role, confidential = case
    app, model = label.split(".")
    if model == "rolechange":
        return {"view"} if role == "superuser" else set()  # written by services.user_set_role alone
    if role == "superuser":
        if model == "briefing":
            return {"view", "delete"}  # made by their jobs, never by hand
        if app == "axes":
            return {"view", "change", "delete"}
        return {"view", "add", "change", "delete"}
    reads, edits = role in ROLES_WHO_READ, role in ROLES_WHO_EDIT
    if app == "agencies" and (model in RECORD or (model == "sourceconfidentialnote" and confidential)):
        return ({"view"} if reads else set()) | ({"add", "change", "delete"} if edits else set())
    if model == "briefing":
        return ({"view"} if reads else set()) | ({"delete"} if role == "editor" else set())
    return set()  # users, groups, login attempts: superusers only


# --- The database, table by table --------------------------------------------------------------


def snapshot() -> dict[str, dict]:
    """Every row of every table, as stored (SQL rather than the ORM: a walk takes thousands)."""
    tables = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            label = model._meta.label_lower
            if model._meta.proxy or label in NOT_COMPARED:
                continue
            columns = [f.column for f in model._meta.concrete_fields]
            pk = columns.index(model._meta.pk.column)
            cursor.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)}")  # noqa: S608
            tables[label] = {row[pk]: row for row in cursor.fetchall()}
    return tables


@dataclass
class Diff:
    added: dict[str, set] = field(default_factory=dict)
    removed: dict[str, set] = field(default_factory=dict)
    changed: dict[str, set] = field(default_factory=dict)

    def __bool__(self):
        return bool(self.added or self.removed or self.changed)

    def __str__(self):
        parts = [
            f"{what} {label} {sorted(pks, key=str)}"
            for what, rows in (("added", self.added), ("removed", self.removed), ("changed", self.changed))
            for label, pks in sorted(rows.items())
        ]
        return "; ".join(parts) or "nothing"


def diff(before: dict, after: dict) -> Diff:
    result = Diff()
    for label, old in before.items():
        new = after[label]
        added, removed = new.keys() - old.keys(), old.keys() - new.keys()
        changed = {pk for pk in old.keys() & new.keys() if old[pk] != new[pk]}
        for rows, pks in ((result.added, added), (result.removed, removed), (result.changed, changed)):
            if pks:
                rows[label] = pks
    return result


def history_label(model) -> str | None:
    history = getattr(model, "history", None)
    return history.model._meta.label_lower if history is not None else None


# --- What a POST should do ----------------------------------------------------------------------

LOG = "admin.logentry"


@dataclass
class Case:
    label: str
    view: str
    url: str
    data: dict | None = None
    statuses: tuple[int, ...] = (200,)
    # None: nothing may change. Otherwise a check returning what is wrong with the diff, or "".
    check: object = None
    files: dict | None = None

    def name(self) -> str:
        return f"POST {self.view} {self.label} ({self.url})"


def changes_exactly(obj):
    """The object's row changed, its history and the admin log grew by one row each; nothing else."""
    label, history = obj._meta.label_lower, history_label(type(obj))

    def check(d: Diff) -> str:
        wrong = []
        if d.changed != {label: {obj.pk}}:
            wrong.append(f"expected only {label} #{obj.pk} changed")
        if d.removed:
            wrong.append("removed rows")
        expected_added = {LOG} | ({history} if history else set())
        if set(d.added) != expected_added or any(len(pks) != 1 for pks in d.added.values()):
            wrong.append(f"expected one new row in each of {sorted(expected_added)}")
        return ", ".join(wrong)

    return check


def deletes_exactly(obj, *, logged: bool):
    """The object and what the deletion collects with it are gone; each got a history row; nothing else."""
    collector = NestedObjects(using=DEFAULT_DB_ALIAS)
    collector.collect([obj])
    if collector.protected or getattr(collector, "restricted_objects", None):
        return None  # a protected object: the page says so and nothing changes
    gone = {}
    for model, instances in collector.data.items():
        gone.setdefault(model._meta.label_lower, set()).update(i.pk for i in instances)
    updated = {
        qs.model._meta.label_lower for querysets in collector.field_updates.values() for qs in querysets
    }
    histories = {history_label(apps.get_model(label)) for label in gone} - {None}

    def check(d: Diff) -> str:
        wrong = []
        if d.removed != gone:
            wrong.append(f"expected removed {gone}")
        if set(d.changed) - updated:
            wrong.append("changed rows")
        allowed = histories | ({LOG} if logged else set())
        if set(d.added) - allowed:
            wrong.append(f"added rows outside {sorted(allowed)}")
        return ", ".join(wrong)

    return check


def creates_one(model):
    label, history = model._meta.label_lower, history_label(model)

    def check(d: Diff) -> str:
        expected = {label, history} - {None}
        if d.removed or d.changed or set(d.added) != expected or any(len(p) != 1 for p in d.added.values()):
            return f"expected one new row in each of {sorted(expected)}"
        return ""

    return check


def logged_only(d: Diff) -> str:
    """A save of a form with nothing to edit: the admin logs it, the rows stay as they were."""
    if d.removed or d.changed or set(d.added) - {LOG}:
        return "expected at most an admin log entry"
    return ""


def posted(page) -> dict:
    """The change form's data as a browser posts it, a split date and time field in its two parts."""
    if not page.context or "adminform" not in page.context:
        return {}
    data = form_data(page)
    form = page.context["adminform"].form
    for name, form_field in form.fields.items():
        key = form.add_prefix(name)
        if isinstance(form_field.widget, forms.MultiWidget) and key in data:
            value = data.pop(key)
            parts = value if isinstance(value, list) else form_field.widget.decompress(value)
            for i, (widget, part) in enumerate(zip(form_field.widget.widgets, parts, strict=True)):
                data[f"{key}_{i}"] = widget.format_value(part) or ""
    return data


def edited(data: dict, form) -> tuple[dict, str] | None:
    """The form's data with one field of the main form edited, and that field's name."""
    for name, form_field in form.fields.items():
        if name not in data or form_field.disabled or isinstance(form_field, forms.ModelChoiceField):
            continue
        value = data[name]
        if isinstance(form_field, forms.ChoiceField):
            others = [
                v
                for v, _label in form_field.choices
                if v not in ("", value) and not isinstance(_label, list | tuple)
            ]
            if others:
                return {**data, name: others[0]}, name
        elif (
            type(form_field) in (forms.CharField, forms.SlugField)
            and isinstance(value, str)
            and "password" not in name
        ):
            return {**data, name: f"{value}x"}, name
    return None


# --- The URLs -----------------------------------------------------------------------------------


def model_urls(model_admin) -> list[tuple[str, URLPattern]]:
    """(kind, pattern) for each named URL of a ModelAdmin: changelist, add, change, history, ..."""
    opts = model_admin.model._meta
    prefix = f"{opts.app_label}_{opts.model_name}_"
    return [
        (pattern.name.removeprefix(prefix), pattern)
        for pattern in model_admin.get_urls()
        if isinstance(pattern, URLPattern) and pattern.name
    ]


def site_urls() -> list[str]:
    """Names of admin.site's own views (not a ModelAdmin's) and of any other view under /admin/."""
    names = [p.name for p in admin.site.get_urls() if isinstance(p, URLPattern) and p.name]
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLPattern) and str(entry.pattern).startswith("admin/") and entry.name:
            names.append(entry.name)
        elif isinstance(entry, URLResolver) and str(entry.pattern).startswith("admin/"):
            assert entry.urlconf_module is admin.site.urls[0] or entry.app_name == "admin", entry
    return names


def dossier_file() -> SimpleUploadedFile:
    dossier = {
        "format": "oversight-dossier/1",
        "outlets": [{"id": "walk-outlet", "name": "Walk", "kind": "newspaper"}],
    }
    return SimpleUploadedFile("walk.json", json.dumps(dossier).encode(), content_type="application/json")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One slice of the record, seeded once for every role: each test runs in a savepoint above it."""
    with django_db_blocker.unblock(), transaction.atomic():
        targets = seed()
        users = {}
        for case in CASES:
            if case[0] == "superuser":
                users[case] = f.UserFactory(username="root", is_staff=True, is_superuser=True)
            elif case[0] != "anonymous":
                user = f.UserFactory(username=f"walk-{case_id(case)}", is_staff=True)
                services.user_set_role(actor=None, user=user, role=case[0], confidential=case[1])
                users[case] = user
        superclient = Client()
        superclient.force_login(users[("superuser", False)])
        yield targets, users, Pages(superclient)
        transaction.set_rollback(True)


class Pages:
    """The admin's change forms as a superuser gets them, each fetched once for the whole walk."""

    def __init__(self, client: Client):
        self.client, self.seen = client, {}

    def get(self, url: str):
        if url not in self.seen:
            page = self.client.get(url)
            assert page.status_code == 200, url
            data = posted(page)
            form = page.context["adminform"].form if data else None
            self.seen[url] = (data, edited(data, form) if data else None)
        return self.seen[url]


def seed() -> dict:
    roles_sync()
    populate(1)
    targets = {}
    for audience in ("public", "internal"):
        scope = {"agencies": [f.AgencyFactory().slug]}
        targets[f"briefing:{audience}"] = Briefing.objects.create(
            scope=scope, scope_key=briefing_scope_key(scope), audience=audience, status=BriefingStatus.FAILED
        )
    targets["auth.user"] = f.UserFactory(username="walk-target", is_staff=True)
    services.user_set_role(actor=None, user=targets["auth.user"], role="viewer", confidential=False)
    targets["auth.group"] = Group.objects.create(name="walk-target-group")
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    common = {"user_agent": "walk", "ip_address": "192.0.2.1", "username": "walk-target", "path_info": "/"}
    targets["axes.accessattempt"] = AccessAttempt.objects.create(
        **common, http_accept="*/*", get_data="", post_data="", failures_since_start=1
    )
    targets["axes.accesslog"] = AccessLog.objects.create(**common, http_accept="*/*")
    targets["axes.accessfailurelog"] = AccessFailureLog.objects.create(
        **common, http_accept="*/*", locked_out=False
    )
    return targets


def target_of(model, targets):
    label = model._meta.label_lower
    if label in targets:
        return targets[label]
    return model._default_manager.order_by("pk").first()


def build_cases(case, targets, pages: Pages) -> list[Case]:
    role, confidential = case
    anonymous = role == "anonymous"
    cases = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        may = rights(case, label) if not anonymous else set()
        objects = (
            [targets["briefing:public"], targets["briefing:internal"]]
            if model is Briefing
            else [target_of(model, targets)]
        )
        for kind, pattern in model_urls(model_admin):
            for obj in objects:
                cases.extend(model_cases(case, model, model_admin, kind, pattern, obj, may, pages, anonymous))
                if kind == "add":
                    break  # a URL without an object: once per model
    cases.extend(site_cases(case, targets))
    if anonymous:
        for c in cases:
            c.statuses, c.check = (302,), None  # to the login page, nothing else
    return cases


def model_cases(case, model, model_admin, kind, pattern, obj, may, pages, anonymous):
    label = model._meta.label_lower
    opts = model._meta
    role, confidential = case
    hidden = model is Briefing and obj.audience == "internal" and not (confidential or role == "superuser")
    shown_label = f"{label}:{obj.audience}" if model is Briefing else label
    historied = isinstance(model_admin, SimpleHistoryAdmin)
    name = f"admin:{opts.app_label}_{opts.model_name}_{kind}"
    if kind == "changelist":
        url = reverse(name)
        data = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        if "delete" in may:
            # An object the user may not see is not in the changelist's queryset: nothing happens.
            check = None if hidden else deletes_exactly(obj, logged=True)
            yield Case(shown_label, "delete_selected", url, data, (302,) if check else (200, 302), check)
        else:
            yield Case(shown_label, "delete_selected", url, data, (200, 302) if "view" in may else (403,))
        return
    if kind == "add":
        yield Case(label, kind, reverse(name), {}, (200,) if "add" in may else (403,))
        return
    if kind == "change":
        url = reverse(name, args=[obj.pk])
        data, edit = pages.get(url)
        if edit is not None:
            data = edit[0]
        elif model not in (Briefing, RoleChange) and opts.app_label != "axes":  # nothing to edit there
            raise AssertionError(f"No field of {label}'s change form to edit: teach edited() one")
        if "change" in may:
            yield Case(shown_label, kind, url, data, (302,), changes_exactly(obj) if edit else logged_only)
        else:
            yield Case(shown_label, kind, url, data, (403,))
        return
    if kind == "delete":
        url = reverse(name, args=[obj.pk])
        if hidden:  # refused as for a public briefing, or "does not exist" to one who may delete
            yield Case(shown_label, kind, url, {"post": "yes"}, (302,) if "delete" in may else (403,))
        elif "delete" in may:
            check = deletes_exactly(obj, logged=True)
            yield Case(shown_label, kind, url, {"post": "yes"}, (302,) if check else (200,), check)
        else:
            yield Case(shown_label, kind, url, {"post": "yes"}, (403,))
        return
    if kind == "history":
        url = reverse(name, args=[obj.pk])
        if historied:
            yield Case(shown_label, kind, url, {}, (405,))  # history pages answer GET alone
        else:
            yield Case(shown_label, kind, url, {}, (200,) if "view" in may else (403,))
        return
    if kind == "simple_history":
        version = obj.history.latest("history_id")
        url = reverse(name, args=[obj.pk, version.history_id])
        data, _edit = pages.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        yield Case(shown_label, kind, url, {**data, "_save": "Revert"}, (405,))
        return
    if kind == "password_change":  # auth's UserAdmin: set another user's password
        url = reverse(name, args=[obj.pk])
        data = {"password1": "walk-Password-2026!", "password2": "walk-Password-2026!"}
        if "change" in may:
            yield Case(label, kind, url, data, (302,), changes_exactly(obj))
        else:
            yield Case(label, kind, url, data, (403,))
        return
    raise AssertionError(f"No expectation for the admin view {name}: add one to {__name__}")


def site_cases(case, targets) -> list[Case]:
    role, confidential = case
    reads = role in ROLES_WHO_READ or role == "superuser"
    edits = role in ROLES_WHO_EDIT or role == "superuser"
    agency = Agency.objects.order_by("pk").first()
    changelist = reverse("admin:agencies_agency_changelist")
    cases = []
    for name in site_urls():
        if name in NOT_WALKED:
            continue
        if name == "index":
            cases.append(Case("site", name, reverse("admin:index"), {}, (200,)))
        elif name == "app_list":
            for app_label in ("agencies", "auth", "axes"):
                some = reads if app_label == "agencies" else role == "superuser"
                url = reverse("admin:app_list", args=[app_label])
                cases.append(Case("site", f"{name} {app_label}", url, {}, (200,) if some else (404,)))
        elif name == "autocomplete":
            data = {"app_label": "agencies", "model_name": "attribution", "field_name": "origin", "term": "a"}
            cases.append(Case("site", name, reverse("admin:autocomplete"), data, (405,)))
        elif name == "jsi18n":
            cases.append(Case("site", name, reverse("admin:jsi18n"), {}, (405,)))
        elif name == "password_change":
            cases.append(Case("site", name, reverse("admin:password_change"), {}, (200,)))
        elif name == "password_change_done":
            cases.append(Case("site", name, reverse("admin:password_change_done"), {}, (405,)))
        elif name == "view_on_site":
            content_type = ContentType.objects.get_for_model(Agency)
            url = reverse("admin:view_on_site", args=[content_type.pk, agency.pk])
            cases.append(Case("site", name, url, {}, (404,)))
        elif name == "dossier_upload":
            url = reverse("admin:dossier_upload")
            # The dry run: it shows what would change and writes nothing.
            cases.append(
                Case("site", name, url, {}, (200,) if edits else (403,), files={"dossier": dossier_file})
            )
        elif name == "dossier_format":
            # The format's reference: read-only, GET alone.
            cases.append(Case("site", name, reverse("admin:dossier_format"), {}, (405,)))
        elif name == "findings":
            cases.append(Case("site", name, reverse("admin:findings"), {}, (200,) if reads else (403,)))
        else:
            raise AssertionError(f"No expectation for the admin view {name}: add one to {__name__}")
    # "Generate briefing", the agencies' action: asks for a briefing on the selected agencies.
    for audience in ("public", "internal"):
        data = {
            "action": "generate_briefing_action",
            "_selected_action": [agency.pk],
            "post": "yes",
            "audience": audience,
        }
        may_ask = role == "superuser" or (role in ROLES_WHO_EDIT and (audience == "public" or confidential))
        if may_ask:
            cases.append(
                Case(
                    "agencies.agency",
                    f"generate briefing {audience}",
                    changelist,
                    data,
                    (302,),
                    creates_one(Briefing),
                )
            )
        else:
            cases.append(
                Case(
                    "agencies.agency",
                    f"generate briefing {audience}",
                    changelist,
                    data,
                    (302,) if reads else (403,),
                )
            )
    return cases


def post(client: Client, case: Case):
    data = dict(case.data or {})
    if "version" in data:
        # A change page's version covers what it shows this user (a superuser also sees notes):
        # post it as this user's own page would.
        page = client.get(case.url)
        if page.status_code == 200 and page.context and "adminform" in page.context:
            data["version"] = page.context["adminform"].form["version"].value()
    if case.files:
        data.update({key: make() for key, make in case.files.items()})
    return client.post(case.url, data)


@pytest.mark.parametrize("case", CASES, ids=name_of)
def test_every_admin_url_posted_as_every_role_changes_exactly_what_the_role_may_change(
    client, db, settings, tmp_path, seeded, case
):
    settings.MEDIA_ROOT = tmp_path / "media"  # the upload's dry run keeps the file there
    targets, users, pages = seeded
    if case in users:
        client.force_login(users[case])
    cases = build_cases(case, targets, pages)
    assert len(cases) > 100
    before = snapshot()
    wrong = []
    cookies = client.cookies
    for walk in cases:
        client.cookies = copy.copy(cookies)  # a view may cycle the session, which the rollback undoes
        with transaction.atomic():
            try:
                response = post(client, walk)
            except Exception as exc:  # noqa: BLE001 - a crash is a finding like any other
                wrong.append(f"{walk.name()}: raised {exc!r}")
                transaction.set_rollback(True)
                continue
            changes = diff(before, snapshot())
            transaction.set_rollback(True)
        problems = []
        if response.status_code not in walk.statuses:
            problems.append(f"status {response.status_code}, expected {walk.statuses}")
        if walk.check is None:
            if changes:
                problems.append(f"changed the database: {changes}")
        elif message := walk.check(changes):
            problems.append(f"{message}; got {changes}")
        if problems:
            wrong.append(f"{walk.name()}: {'; '.join(problems)}")
    assert wrong == []
