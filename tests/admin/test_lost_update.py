"""No lost update: a save from a page opened on an older version of the record is refused, saying why."""

import pytest
from django.urls import reverse

from agencies.core import services
from agencies.models import Agency, Attribution, Claim
from tests import factories as f
from tests.admin.form_data import form_data
from tests.admin.test_claim_admin import all_errors, world  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_researchers(client, django_user_model):
    from django.test import Client

    users = []
    for name in ("ines", "omar"):
        user = django_user_model.objects.create_user(name, f"{name}@example.org", "pw")
        services.user_set_role(actor=None, user=user, role="researcher", confidential=False)
        users.append(user)
    clients = [Client(), Client()]
    for browser, user in zip(clients, users, strict=True):
        browser.force_login(user)
    return clients


@pytest.fixture
def claim(world):  # noqa: F811 - the fixture imported above
    claim = f.ClaimFactory(slug="enlisted", text="The original text.", agencies=[world["ice"]])
    f.AttributionFactory(claim=claim, document=world["beast"], origin=world["people"], locator="para 2")
    return claim


def test_the_second_save_from_an_older_page_is_refused_and_says_what_changed(two_researchers, claim):
    ines, omar = two_researchers
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    first, second = form_data(ines.get(url)), form_data(omar.get(url))

    first["text"] = "A corrected text."
    assert ines.post(url, first).status_code == 302

    second["attributions-0-locator"] = "para 3"
    response = omar.post(url, second)
    assert response.status_code == 200
    errors = all_errors(response)
    assert "Someone else saved this record after you opened it" in errors
    assert "claim changed (text" in errors and "by ines" in errors
    claim.refresh_from_db()
    assert claim.text == "A corrected text."
    assert Attribution.objects.get(claim=claim).locator == "para 2"


def test_a_change_to_an_inline_row_alone_also_makes_older_pages_stale(two_researchers, claim):
    ines, omar = two_researchers
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    first, second = form_data(ines.get(url)), form_data(omar.get(url))

    first["attributions-0-locator"] = "para 4"
    assert ines.post(url, first).status_code == 302

    second["text"] = "Omar's text."
    response = omar.post(url, second)
    assert response.status_code == 200
    assert "attribution changed (locator" in all_errors(response)
    claim.refresh_from_db()
    assert (claim.text, Attribution.objects.get(claim=claim).locator) == ("The original text.", "para 4")


def test_saving_again_from_a_fresh_page_works(two_researchers, claim):
    ines, _omar = two_researchers
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    for text in ("First edit.", "Second edit."):
        data = form_data(ines.get(url))
        data["text"] = text
        response = ines.post(url, data)
        assert response.status_code == 302, all_errors(response)
    claim.refresh_from_db()
    assert claim.text == "Second edit."


def test_a_page_without_its_version_is_refused(two_researchers, claim):
    ines, _omar = two_researchers
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    data = form_data(ines.get(url))
    data.pop("version")
    data["text"] = "No version."
    assert ines.post(url, data).status_code == 200
    assert Claim.objects.get(pk=claim.pk).text == "The original text."


def test_every_change_page_carries_a_version(two_researchers):
    ines, omar = two_researchers
    agency = f.AgencyFactory(name="Old name")
    url = reverse("admin:agencies_agency_change", args=[agency.pk])
    first, second = form_data(ines.get(url)), form_data(omar.get(url))
    first["name"] = "New name"
    assert ines.post(url, first).status_code == 302
    second["website"] = "https://example.org/"
    assert omar.post(url, second).status_code == 200
    assert Agency.objects.get(pk=agency.pk).name == "New name"
