"""Nothing is deleted by accident: documents and sources that claims rest on stay."""

import pytest
from django.urls import reverse

from agencies.models import Attribution, Document, Source
from tests import factories as f


@pytest.fixture
def attribution(db):
    return f.AttributionFactory(
        claim=f.ClaimFactory(slug="uspis-enlisted"),
        document=f.DocumentFactory(slug="db-article", title="Post office accused"),
        origin=f.AnonymousSourceFactory(slug="wapo-two-people"),
    )


@pytest.mark.parametrize(("model", "field"), [(Document, "document"), (Source, "origin")])
def test_delete_page_shows_protected_claims_and_deletes_nothing(
    client, researcher, attribution, model, field
):
    client.force_login(researcher)
    target = getattr(attribution, field)
    url = reverse(f"admin:agencies_{model._meta.model_name}_delete", args=[target.pk])
    page = client.get(url)
    assert page.context["protected"]
    assert "uspis-enlisted in db-article" in page.content.decode()
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert model.objects.filter(pk=target.pk).exists()
    assert Attribution.objects.filter(pk=attribution.pk).exists()


def test_bulk_delete_of_a_protected_document_deletes_nothing(client, researcher, attribution):
    client.force_login(researcher)
    free = f.DocumentFactory()
    response = client.post(
        reverse("admin:agencies_document_changelist"),
        {"action": "delete_selected", "_selected_action": [attribution.document.pk, free.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert response.context["protected"]
    assert Document.objects.filter(pk__in=[attribution.document.pk, free.pk]).count() == 2
