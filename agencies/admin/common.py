"""Pieces every admin module uses."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from simple_history.admin import SimpleHistoryAdmin

from agencies.dates import PartialDateField
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


class HistoryAdmin(SimpleHistoryAdmin):
    list_per_page = 50
    formfield_overrides = PARTIAL_DATES
    paginator = EstimatedCountPaginator
    # The "(N total)" beside a filtered list is a second count of the whole table.
    show_full_result_count = False


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
