"""Every admin page of the record opens for a researcher: add, change, history and a past version."""

import pytest
from django.urls import reverse

from tests.admin.test_changelists import REGISTERED
from tests.factories import populate


@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.model_name for m in REGISTERED])
def test_pages_open(client, researcher, model):
    client.force_login(researcher)
    populate(1)
    obj = model.objects.order_by("pk").first()
    name = f"admin:agencies_{model._meta.model_name}"
    record = obj.history.order_by("history_id").first()
    urls = [
        reverse(f"{name}_add"),
        reverse(f"{name}_change", args=[obj.pk]),
        reverse(f"{name}_history", args=[obj.pk]),
        reverse(f"{name}_simple_history", args=[obj.pk, record.history_id]),
        reverse(f"{name}_delete", args=[obj.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url


def test_autocomplete_answers_for_every_lookup(client, researcher):
    """Each autocomplete field resolves against a registered admin with search fields."""
    from django.contrib import admin

    client.force_login(researcher)
    populate(1)
    checked = 0
    for model in REGISTERED:
        model_admin = admin.site._registry[model]
        for owner in [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]:
            for field_name in owner.autocomplete_fields:
                params = {
                    "app_label": "agencies",
                    "model_name": owner.model._meta.model_name,
                    "field_name": field_name,
                    "term": "",
                }
                response = client.get(reverse("admin:autocomplete"), params)
                assert response.status_code == 200, (owner, field_name, response.content[:300])
                assert response.json()["results"], (owner, field_name)
                checked += 1
    assert checked >= 20


def test_every_editable_relation_uses_autocomplete(rf, researcher):
    """A researcher picks related rows by typing, never from a select of the whole table."""
    from django.contrib import admin

    request = rf.get("/")
    request.user = researcher
    missing = []
    for model in REGISTERED:
        model_admin = admin.site._registry[model]
        owners = [(model_admin, model_admin.get_form(request).base_fields, None)]
        for inline in model_admin.get_inline_instances(request):
            formset = inline.get_formset(request)
            owners.append((inline, formset.form.base_fields, formset.fk.name))
        for owner, fields, parent_fk in owners:
            model_fields = {field.name: field for field in owner.model._meta.get_fields()}
            for name in fields:
                field = model_fields.get(name)  # None: a form-only field such as "via"
                if field is None or not field.is_relation or name == parent_fk:
                    continue
                if name not in owner.autocomplete_fields:
                    missing.append(f"{type(owner).__name__}.{name}")
    assert missing == []
