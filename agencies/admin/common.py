"""Pieces every admin module uses."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field, unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Coalesce
from django.forms.models import _get_foreign_key
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from agencies.core import permissions, services, versions
from agencies.core.dates import PartialDateField
from agencies.core.pagination import EstimatedCountPaginator
from agencies.models import (
    AttributionHop,
    Citation,
    ClaimAgency,
    DataAccessClaim,
    RoleClaim,
    SourceConfidentialNote,
)

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


class KnownAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete, labelled from the row already read when the form knows it.

    The stock widget reads its selected object with one query per field and per inline row; a
    change page with ten attribution lines then costs dozens of queries that the page's own
    select_related already answered.
    """

    known: dict[str, models.Model] = {}

    def optgroups(self, name, value, attr=None):
        wanted = [str(pk) for pk in value if str(pk) not in self.choices.field.empty_values]
        if not wanted or any(pk not in self.known for pk in wanted):
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        if not self.is_required and not self.allow_multiple_selected:
            default[1].append(self.create_option(name, "", "", False, 0))
        for pk in wanted:
            label = self.choices.field.label_from_instance(self.known[pk])
            default[1].append(self.create_option(name, pk, label, True, len(default[1])))
        return [default]


class KnownAutocompleteSelectMultiple(KnownAutocompleteSelect, AutocompleteSelectMultiple):
    pass


class KnownAutocompletes:
    """Admin mixin (pages and inlines): autocomplete widgets that label from rows already read."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KnownAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _known_related(form) -> None:
    """Give each autocomplete of `form` the related rows its instance already holds."""
    for name, field in form.fields.items():
        widget = getattr(field.widget, "widget", field.widget)
        if not isinstance(widget, KnownAutocompleteSelect) or isinstance(widget, AutocompleteSelectMultiple):
            continue
        try:
            related = form.instance._meta.get_field(name).get_cached_value(form.instance, default=None)
        except (FieldDoesNotExist, AttributeError):
            continue
        if related is not None:
            widget.known = {str(related.pk): related}


class RecordForm(forms.ModelForm):
    """A form over a row of the record that asks the services whether its user may save it.

    The admin sets `actor` (the user) on the form class it builds for each request, and for a
    change page `version_rows` (what the page shows), so that a save based on an older version of
    the record is refused instead of silently undoing someone else's change.
    """

    actor = None
    version_rows = None  # callable: the querysets the version token covers
    version_histories = None  # callable: their history, to say what changed meanwhile

    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _known_related(self)
        if self.version_rows is not None and not self.is_bound:
            self.initial["version"] = versions.version_token(self.version_rows())

    def reason(self) -> str:
        return (getattr(self, "cleaned_data", None) or {}).get("change_reason") or ""

    def _post_clean(self):
        super()._post_clean()
        if self.actor is None or self.errors:
            return
        self._check_version()
        try:
            services.record_check(actor=self.actor, instance=self.instance, reason=self.reason())
        except PermissionDenied as exc:
            self.add_error(None, str(exc))
        except ValidationError as exc:
            self._add_service_errors(exc)

    def _check_version(self) -> None:
        if self.version_rows is None or not self.instance.pk:
            return
        token = self.cleaned_data.get("version", "")
        if versions.version_matches(token, self.version_rows()):
            return
        changes = versions.changes_since(self.version_histories(), versions.opened_at(token))
        listed = "; ".join(str(change) for change in changes) or "the record changed"
        self.add_error(
            NON_FIELD_ERRORS,
            ValidationError(
                "Someone else saved this record after you opened it: %(changes)s. Your changes were "
                "not saved. Reload the page to see the current version, then make your changes again.",
                code="stale",
                params={"changes": listed},
            ),
        )

    def _add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            if field == "reason" and "change_reason" in self.fields:
                field = "change_reason"
            self.add_error(field if field in self.fields else None, errors)


class RecordFormsetForm(RecordForm):
    """An inline row: checked by the services like any other row, versioned with its parent page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        position = self.fields.get("position")
        if position is not None and self.instance.pk is None:
            # Left blank, a new row goes after the last one (services.record_save, or the list's service).
            position.required = False
            self.initial["position"] = None
            position.help_text = "Blank: after the last one."

    def _post_clean(self):
        if (
            "position" in self.fields
            and self.instance.pk is None
            and self.cleaned_data.get("position") is None
        ):
            # Not the model's default 0, which would sort a new row first.
            self.instance.position = None
        super()._post_clean()


def _ordered_targets(formset, target: str) -> list[models.Model]:
    """The rows a link formset keeps, in the order the user gave (blank positions last)."""
    kept = [
        (form.cleaned_data.get("position"), index, form.cleaned_data[target])
        for index, form in enumerate(formset.forms)
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get(target)
    ]
    kept.sort(key=lambda row: (row[0] is None, row[0] or 0, row[1]))
    return [row[2] for row in kept]


# Ordered link rows are lists, written whole by the service that owns the list and its rules.
LINK_SERVICES = {
    ClaimAgency: (
        "agency",
        lambda actor, owner, targets, reason: services.claim_set_agencies(
            actor=actor, claim=owner, agencies=targets, reason=reason
        ),
    ),
    Citation: (
        "cited",
        lambda actor, owner, targets, reason: services.document_set_citations(
            actor=actor, document=owner, cited=targets, reason=reason
        ),
    ),
    RoleClaim: (
        "claim",
        lambda actor, owner, targets, reason: services.role_set_claims(
            actor=actor, role=owner, claims=targets, reason=reason
        ),
    ),
    DataAccessClaim: (
        "claim",
        lambda actor, owner, targets, reason: services.data_access_set_claims(
            actor=actor, access=owner, claims=targets, reason=reason
        ),
    ),
    AttributionHop: (
        "document",
        lambda actor, owner, targets, reason: services.attribution_set_via(
            actor=actor, attribution=owner, documents=targets, reason=reason
        ),
    ),
}


class WritesThroughServices(KnownAutocompletes):
    """ModelAdmin mixin: every save and delete of the page, its inlines and its actions is a service call."""

    form = RecordForm

    def get_fields(self, request, obj=None):
        # The version travels as a hidden input of the form itself (admin/agencies/change_form.html).
        return [name for name in super().get_fields(request, obj) if name != "version"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a class made for this request: modelform_factory builds a new one
        if obj is not None and obj.pk is not None:
            form.version_rows = staticmethod(lambda: self.version_rows(request, obj))
            form.version_histories = staticmethod(lambda: self.version_histories(request, obj))
        return form

    def _inline_links(self, request, obj):
        """Each inline of the change page: its model and the key that ties its rows to `obj`."""
        for inline in self.get_inline_instances(request, obj):
            yield inline.model, _get_foreign_key(type(obj), inline.model, fk_name=inline.fk_name)

    def version_rows(self, request, obj) -> list[models.QuerySet]:
        """The stored rows the change page shows: the record and each inline's rows."""
        rows = [type(obj)._default_manager.filter(pk=obj.pk)]
        rows += [
            model._default_manager.filter(**{fk.name: obj}) for model, fk in self._inline_links(request, obj)
        ]
        return rows

    def version_histories(self, request, obj) -> list[models.QuerySet]:
        histories = [obj.history.all()]
        for model, fk in self._inline_links(request, obj):
            if hasattr(model, "history"):
                histories.append(model.history.filter(**{fk.attname: obj.pk}))
        return histories

    def save_model(self, request, obj, form, change):
        services.record_save(actor=request.user, instance=obj, reason=_reason(form))

    def save_related(self, request, form, formsets, change):
        form.save_m2m()
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        reason = _reason(form)
        link = LINK_SERVICES.get(formset.model)
        if link is not None:
            target, write = link
            if formset.has_changed():
                write(request.user, formset.instance, _ordered_targets(formset, target), reason)
            # What the admin's change message reads; the history has the rows themselves.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        changed = formset.save(commit=False)
        for obj in changed:
            services.record_save(actor=request.user, instance=obj, reason=reason)
        for obj in formset.deleted_objects:
            services.record_delete(actor=request.user, instance=obj, reason=reason)

    def delete_model(self, request, obj):
        services.record_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        services.records_delete(actor=request.user, instances=queryset)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # A rule broken between the form's checks and the write (a concurrent change): nothing
            # was written, since the page's save is one transaction.
            return self._refused(request, exc)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            return self._refused(request, exc)

    def response_action(self, request, queryset):
        try:
            return super().response_action(request, queryset)
        except ValidationError as exc:
            return self._refused(request, exc)

    def _refused(self, request, exc: ValidationError):
        for message in exc.messages:
            self.message_user(request, f"Nothing was saved: {message}", messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


def _reason(form) -> str:
    return form.reason() if isinstance(form, RecordForm) else ""


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


class HistoryAdmin(WritesThroughServices, ReadOnlyHistoryAdmin):
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


class RecordInline(KnownAutocompletes):
    """Inline mixin: rows whose forms ask the services, like the page's own form."""

    form = RecordFormsetForm

    def get_queryset(self, request):
        # Every row's references in the same query: its label and its autocompletes read them.
        related = [
            field.name
            for field in self.model._meta.concrete_fields
            if field.is_relation and field.many_to_one
        ]
        return super().get_queryset(request).select_related(*related)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.actor = request.user
        return formset


class TabularInline(RecordInline, admin.TabularInline):
    formfield_overrides = PARTIAL_DATES


class StackedInline(RecordInline, admin.StackedInline):
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
