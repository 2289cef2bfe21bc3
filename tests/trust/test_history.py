"""Every change through the admin is kept with who made it and when, and the admin shows it."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from agencies.models import SourceConfidentialNote
from tests.admin.form_data import form_data
from tests.factories import populate
from tests.trust.conftest import CANARY

RECORD_ADMINS = sorted(
    (
        model
        for model, model_admin in admin.site._registry.items()
        if type(model_admin).__module__.startswith("agencies.admin.")
        and type(model_admin).__module__ != "agencies.admin.briefing"  # made by their job, read-only here
        and model._meta.model_name != "rolechange"  # never edited in the admin: tests/trust/test_roles.py
    ),
    key=lambda model: model._meta.model_name,
)


@pytest.mark.parametrize("model", RECORD_ADMINS, ids=lambda m: m._meta.model_name)
def test_a_save_in_the_admin_is_kept_with_who_and_when(client, make_user, model):
    populate(1)
    user = make_user("researcher", True)
    client.force_login(user)
    obj = model.objects.order_by("pk").first()
    url = reverse(f"admin:agencies_{model._meta.model_name}_change", args=[obj.pk])
    before = timezone.now()
    response = client.post(url, form_data(client.get(url)))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    latest = obj.history.latest("history_id")
    assert latest.history_user == user
    assert latest.history_date >= before
    history = client.get(reverse(f"admin:agencies_{model._meta.model_name}_history", args=[obj.pk]))
    assert user.username in history.content.decode()


def test_a_note_change_is_kept_encrypted_with_its_author(client, make_user, canary_source):
    user = make_user("editor", True)
    client.force_login(user)
    note = canary_source.confidential_note
    url = reverse("admin:agencies_sourceconfidentialnote_change", args=[note.pk])
    data = form_data(client.get(url))
    data["notes"] = f"{CANARY} (moved city)"
    assert client.post(url, data).status_code == 302
    latest = SourceConfidentialNote.history.latest("history_id")
    assert (latest.notes, latest.history_user) == (f"{CANARY} (moved city)", user)
    assert latest.history_date is not None
