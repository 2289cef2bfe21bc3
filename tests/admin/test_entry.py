"""Less friction when entering the record: names not JSON, ids proposed, new lines last."""

import pytest
from django.urls import reverse

from agencies.models import Attribution, Document, StatedMission
from tests import factories as f
from tests.admin.form_data import form_data
from tests.admin.test_claim_admin import all_errors, world  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_authors_are_names_one_a_line(client, researcher):
    client.force_login(researcher)
    document = f.DocumentFactory(authors=["Jane Doe"])
    url = reverse("admin:agencies_document_change", args=[document.pk])
    data = form_data(client.get(url))
    assert data["authors"] == ["Jane Doe"] or data["authors"] == "Jane Doe"
    page = client.get(url).content.decode()
    assert '["Jane Doe"]' not in page  # never the raw JSON box
    data["authors"] = "Jane Doe\n  Ahmed Ali  \n\n"
    response = client.post(url, data)
    assert response.status_code == 302
    assert Document.objects.get(pk=document.pk).authors == ["Jane Doe", "Ahmed Ali"]


@pytest.mark.parametrize(
    ("model", "source"),
    [("document", "title"), ("claim", "text"), ("agency", "acronym"), ("outlet", "name")],
)
def test_ids_are_proposed_from_titles_and_names(client, researcher, model, source):
    client.force_login(researcher)
    page = client.get(reverse(f"admin:agencies_{model}_add")).content.decode()
    assert "data-prepopulated-fields" in page
    assert f"#id_{source}" in page


def test_a_new_attribution_line_goes_last(client, researcher, world):  # noqa: F811
    client.force_login(researcher)
    claim = f.ClaimFactory(agencies=[world["ice"]])
    for position in (0, 1):
        f.AttributionFactory(claim=claim, document=world["beast"], origin=world["people"], position=position)
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    data = form_data(client.get(url))
    data["attributions-TOTAL_FORMS"] = "3"
    data.update(
        {
            "attributions-2-document": world["post"].pk,
            "attributions-2-origin": world["people"].pk,
            "attributions-2-stance": "disputes",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, all_errors(response)
    added = Attribution.objects.get(claim=claim, document=world["post"])
    assert added.position == 2


def test_a_new_stated_mission_goes_last_and_so_is_current(client, researcher):
    client.force_login(researcher)
    agency = f.AgencyFactory()
    StatedMission.objects.create(agency=agency, text="Old mission.", position=0)
    StatedMission.objects.create(agency=agency, text="Newer mission.", position=1)
    url = reverse("admin:agencies_agency_change", args=[agency.pk])
    data = form_data(client.get(url))
    data["missions-TOTAL_FORMS"] = "3"
    data["missions-2-text"] = "The newest mission."
    response = client.post(url, data)
    assert response.status_code == 302, all_errors(response)
    assert agency.missions.order_by("-position").first().text == "The newest mission."


def test_a_claims_history_shows_the_lines_added_and_removed(client, researcher, world):  # noqa: F811
    client.force_login(researcher)
    claim = f.ClaimFactory(agencies=[world["ice"]])
    f.AttributionFactory(claim=claim, document=world["beast"], origin=world["people"])
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    data = form_data(client.get(url))
    data["attributions-TOTAL_FORMS"] = "2"
    data.update(
        {
            "attributions-1-document": world["post"].pk,
            "attributions-1-origin": world["people"].pk,
            "attributions-1-stance": "disputes",
            "attributions-1-via": [world["wire"].pk],
            "attributions-0-DELETE": "on",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, all_errors(response)
    page = client.get(reverse("admin:agencies_claim_history", args=[claim.pk])).content.decode()
    history = page[page.index('id="line-history"') :]
    assert "disputes · wapo-report from wapo-two-people" in history
    assert "removed" in history and "supports · db-article from wapo-two-people" in history
    assert "via document" in history and "reuters-wire" in history
    assert researcher.username in history


def test_every_reference_is_chosen_by_autocomplete_never_a_typed_id(rf, researcher):
    from django import forms
    from django.contrib import admin
    from django.contrib.admin.widgets import AutocompleteMixin

    request = rf.get("/")
    request.user = researcher
    plain = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "agencies" or not model_admin.has_add_permission(request):
            continue
        forms_ = [model_admin.get_form(request)]
        forms_ += [inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)]
        for form in forms_:
            for name, field in form.base_fields.items():
                if not isinstance(field, forms.ModelChoiceField):
                    continue
                widget = getattr(field.widget, "widget", field.widget)  # the admin wraps it for + and ✎
                if not isinstance(widget, AutocompleteMixin) and not field.disabled:
                    plain.append(f"{form._meta.model.__name__}.{name}")
    assert plain == []
