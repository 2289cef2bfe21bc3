"""Pieces every admin module uses."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import display_for_field, unquote
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from agencies import permissions
from agencies.dates import PartialDateField
from agencies.models import SourceConfidentialNote
from agencies.pagination import EstimatedCountPaginator

PARTIAL_DATES = {
    PartialDateField: {
        "widget": forms.TextInput(attrs={"size": 10, "placeholder": "YYYY[-MM[-DD]]"}),
    },
    # Agencies and outlets publish over https; a bare "www.uspis.gov" means that.
    models.URLField: {"assume_scheme": "https"},
}
SHORT_TEXT = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}
# Tabular inlines of link rows: their rows' own labels ("12 cites 40") say nothing the columns don't.
PLAIN_ROWS = ["ov-plain-rows"]


def https_formfield(db_field, **kwargs):
    """Form field for a module-level ModelForm: URLs typed without a scheme mean https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


SAFE_METHODS = ("GET", "HEAD")


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History pages that show and never save, for every admin with a history.

    django-simple-history's version page is a change form that saves whatever is posted to it,
    checking only the view permission, and weighs a claim's status against the old version. Here
    both history pages answer GET alone (405 to any other method, superusers included), and a
    version is shown as a table of what it held: reverting is not offered. An edit is made on the
    record's own change page, with its checks. Both pages show only what get_history_queryset
    lets this user see (briefings: internal ones only with the confidential grant).
    """

    object_history_template = "admin/agencies/object_history.html"
    object_history_form_template = "admin/agencies/history_version.html"

    def revert_disabled(self, request, obj=None):
        return True

    def history_view_title(self, request, obj):
        return f"History: {_label(obj)}"

    def has_change_history_permission(self, request, obj=None):
        return False

    def history_view(self, request, object_id, extra_context=None):
        if request.method not in SAFE_METHODS:
            return HttpResponseNotAllowed(SAFE_METHODS)
        # Refused before the lookup: 403 for one id and 404 for another would tell which exist.
        if not self.has_view_history_or_change_history_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        try:
            self.model._meta.pk.to_python(object_id)
        except ValidationError as exc:
            raise Http404 from exc
        return super().get_history_queryset(request, history_manager, pk_name, object_id)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in SAFE_METHODS:
            return HttpResponseNotAllowed(SAFE_METHODS)
        if not self.has_view_history_or_change_history_permission(request):
            raise PermissionDenied
        request.current_app = self.admin_site.name
        opts = self.model._meta
        object_id = unquote(object_id)
        if not version_id.isdigit():
            raise Http404
        history = getattr(self.model, opts.simple_history_manager_attribute)
        records = self.get_history_queryset(request, history, opts.pk.attname, object_id)
        version = records.filter(history_id=version_id).first()
        if version is None:
            raise Http404
        obj = version.instance
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        current = self.model._default_manager.filter(pk=obj.pk).first()
        rows = []
        for field in opts.concrete_fields:
            shown = _shown(obj, field)
            now = None if current is None else _shown(current, field)
            rows.append(
                {
                    "label": capfirst(field.verbose_name),
                    "value": shown,
                    "now": now,
                    "same": now == shown,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"{capfirst(opts.verbose_name)} as it was: {_label(obj)}",
            "opts": opts,
            "original": obj,
            "version": version,
            "current": current,
            "rows": rows,
            "history_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]),
            "change_url": current
            and reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.object_history_form_template, context)


def _label(obj: models.Model) -> str:
    """A (historical) instance's name; by its id when the name needs a related row since deleted."""
    try:
        return str(obj)
    except ObjectDoesNotExist:
        return f"{capfirst(obj._meta.verbose_name)} #{obj.pk}"


def _shown(obj: models.Model, field: models.Field) -> str:
    """A field's value on a (historical) instance, as the admin shows it; a deleted related row by its id."""
    if field.is_relation:
        try:
            value = getattr(obj, field.name)
        except ObjectDoesNotExist:
            return f"#{getattr(obj, field.attname)} (deleted)"
    else:
        value = field.value_from_object(obj)
    if isinstance(field, PartialDateField):
        return shown_date(value) or "-"
    return str(display_for_field(value, field, "-"))


def _reaches_notes(model: type[models.Model], lookup: str) -> bool:
    """Does a changelist lookup (`confidential_note__isnull`) pass through a confidential note?"""
    for part in lookup.split(LOOKUP_SEP):
        if model is SourceConfidentialNote:
            return True
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.related_model is None:
            return False
        model = field.related_model
    return model is SourceConfidentialNote


def _without(deleted: list, prefix: str) -> list:
    """A delete page's nested list of objects without the items starting with `prefix` and what they hold."""
    kept = []
    skipping = False
    for item in deleted:
        if isinstance(item, list):
            if not skipping:
                kept.append(_without(item, prefix))
            skipping = False
            continue
        skipping = str(item).startswith(prefix)
        if not skipping:
            kept.append(item)
    return kept


class HistoryAdmin(ReadOnlyHistoryAdmin):
    list_per_page = 50
    formfield_overrides = PARTIAL_DATES
    paginator = EstimatedCountPaginator
    # The "(N total)" beside a filtered list is a second count of the whole table.
    show_full_result_count = False

    # Without the confidential grant nobody can tell which sources have a note: no lookup through
    # one (`?confidential_note__isnull=False`), and delete pages neither list a note the deletion
    # takes with it (kept in the note's history) nor refuse because of it.

    def lookup_allowed(self, lookup, value, request=None):
        if _reaches_notes(self.model, lookup) and not (
            request is not None and permissions.can_see_confidential(request.user)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if permissions.can_see_confidential(request.user):
            return deleted, counts, perms_needed, protected
        note = SourceConfidentialNote._meta
        counts = {name: n for name, n in counts.items() if name != note.verbose_name_plural}
        perms_needed = {name for name in perms_needed if name != note.verbose_name}
        return _without(deleted, f"{capfirst(note.verbose_name)}:"), counts, perms_needed, protected


class TabularInline(admin.TabularInline):
    formfield_overrides = PARTIAL_DATES


class StackedInline(admin.StackedInline):
    formfield_overrides = PARTIAL_DATES


class ListedOnly:
    """Inline mixin: rows shown for reading and linking, edited on their own pages."""

    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AtLeastOne:
    """Inline mixin: at least one row, e.g. the claims a role rests on (never free text alone)."""

    min_num = 1

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("validate_min", True)
        return super().get_formset(request, obj, **kwargs)


def count_of(model: type[models.Model], field: str) -> Coalesce:
    """How many `model` rows point at the outer row through `field`.

    A correlated subquery rather than Count over a join: several counts on one changelist
    then never multiply each other's rows.
    """
    rows = (
        model.objects.filter(**{field: models.OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=models.Count("pk"))
        .values("n")
    )
    return Coalesce(models.Subquery(rows, output_field=models.IntegerField()), models.Value(0))


def change_link(obj: models.Model | None, text: str | None = None) -> str | None:
    """A link to the object's admin page, its text escaped."""
    if obj is None:
        return None
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, str(obj) if text is None else text)


def add_link(model: type[models.Model], text: str, **initial) -> str:
    """A link to the model's add page with fields filled in (the admin reads initial values from GET)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    return format_html('<a class="addlink" href="{}?{}">{}</a>', url, urlencode(initial), text)


def shown_date(value) -> str | None:
    """A partial date as precise as the record, no more ('May 2025'); None shows as empty."""
    return value.display() if value else None


def shorten(text: str, length: int = 90) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
