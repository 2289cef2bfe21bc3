"""Confidential notes: shown only to those allowed to see who sources are."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from agencies.models import SourceConfidentialNote
from tests import factories as f
from tests.admin.form_data import form_data

SECRET = "Real name: Jane Roe, reach via Signal"


def staff(*codenames):
    user = f.UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="agencies", codename__in=codenames)
    )
    return user


@pytest.fixture
def source(db):
    source = f.AnonymousSourceFactory(slug="wapo-two-people")
    SourceConfidentialNote.objects.create(source=source, notes=SECRET)
    return source


def pages(source):
    note = source.confidential_note
    return [
        reverse("admin:agencies_source_changelist"),
        reverse("admin:agencies_source_changelist") + "?q=Jane",
        reverse("admin:agencies_source_change", args=[source.pk]),
        reverse("admin:agencies_source_history", args=[source.pk]),
        reverse("admin:agencies_source_delete", args=[source.pk]),
        reverse("admin:index"),
        reverse("admin:agencies_sourceconfidentialnote_changelist"),
        reverse("admin:agencies_sourceconfidentialnote_change", args=[note.pk]),
        reverse("admin:agencies_sourceconfidentialnote_history", args=[note.pk]),
    ]


def test_staff_without_view_confidential_never_sees_the_note(client, source):
    client.force_login(
        staff("view_source", "change_source", "delete_source", "change_sourceconfidentialnote")
    )
    for url in pages(source):
        response = client.get(url)
        assert response.status_code in (200, 403), url
        assert "Jane Roe" not in response.content.decode(), url
    change = client.get(reverse("admin:agencies_source_change", args=[source.pk]))
    assert change.status_code == 200
    assert "confidential_note-TOTAL_FORMS" not in change.content.decode()
    note_page = client.get(
        reverse("admin:agencies_sourceconfidentialnote_change", args=[source.confidential_note.pk])
    )
    assert note_page.status_code == 403
    search = client.get(reverse("admin:agencies_source_changelist"), {"q": "Jane"})
    assert search.context["cl"].result_count == 0
    index = client.get(reverse("admin:index")).content.decode()
    assert "Sources" in index
    assert "Source confidential notes" not in index


def test_saving_the_source_without_the_permission_keeps_the_note(client, source):
    client.force_login(staff("view_source", "change_source"))
    url = reverse("admin:agencies_source_change", args=[source.pk])
    data = form_data(client.get(url))
    data["description"] = "two officials"
    assert client.post(url, data).status_code == 302
    source.refresh_from_db()
    assert source.description == "two officials"
    assert source.confidential_note.notes == SECRET


def test_view_confidential_shows_and_edits_the_note_inline(client, source):
    user = staff("view_source", "change_source", "view_confidential", "change_sourceconfidentialnote")
    client.force_login(user)
    url = reverse("admin:agencies_source_change", args=[source.pk])
    response = client.get(url)
    assert SECRET in response.content.decode()
    data = form_data(response)
    data["confidential_note-0-notes"] = "Real name: Jane Roe, new number"
    assert client.post(url, data).status_code == 302
    note = SourceConfidentialNote.objects.get(source=source)
    assert note.notes == "Real name: Jane Roe, new number"
    assert note.history.latest("history_date").history_user == user


def test_view_confidential_without_change_permission_reads_only(client, source):
    client.force_login(staff("view_source", "change_source", "view_confidential"))
    html = client.get(reverse("admin:agencies_source_change", args=[source.pk])).content.decode()
    assert SECRET in html
    assert 'name="confidential_note-0-notes"' not in html


def test_superuser_sees_the_note(client, researcher, source):
    client.force_login(researcher)
    html = client.get(reverse("admin:agencies_source_change", args=[source.pk])).content.decode()
    assert SECRET in html
