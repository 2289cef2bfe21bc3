"""History pages show; they never save. Briefing history is scoped like briefings. Nobody without the
confidential grant can tell which sources have a confidential note."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from agencies.briefings.services import briefing_scope_key
from agencies.core import services
from agencies.models import Briefing, BriefingStatus, Claim, ClaimStatus, Figure, Source
from agencies.models import SourceConfidentialNote as Note
from tests import factories as f
from tests.trust.conftest import ROLE_CASES, case_id

ALL_CASES = [*ROLE_CASES, ("superuser", False)]


def user_for(make_user, case):
    if case[0] == "superuser":
        return f.UserFactory(username="root", is_staff=True, is_superuser=True)
    return make_user(*case)


def version_url(obj, version) -> str:
    name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_simple_history"
    return reverse(name, args=[obj.pk, version.history_id])


@pytest.fixture
def figure(db):
    claim = f.ClaimFactory(agencies=[f.AgencyFactory()])
    figure = f.FigureFactory(claim=claim, value=57000)
    return figure


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: case_id(c) if c[0] != "superuser" else "superuser")
def test_no_role_saves_through_a_history_page(client, make_user, figure, case):
    client.force_login(user_for(make_user, case))
    version = figure.history.earliest("history_id")
    url = version_url(figure, version)
    data = {
        "slug": figure.slug,
        "metric": figure.metric,
        "value": "999999",
        "unit": figure.unit,
        "claim": figure.claim_id,
        "basis": figure.basis,
        "_save": "Revert",
    }
    response = client.post(url, data)
    assert response.status_code in (403, 405)
    figure.refresh_from_db()
    assert figure.value == 57000
    assert figure.history.count() == 1


def test_no_one_takes_a_verdict_back_through_an_older_version(client, make_user, db):
    """The claim form weighs a status against the version it is given: an old version must not be a door."""
    claim = f.ClaimFactory(agencies=[f.AgencyFactory()], status=ClaimStatus.CORROBORATED)
    before_verdict = claim.history.latest("history_id")
    editor = make_user("editor")
    claim.status = ClaimStatus.RETRACTED
    services.record_save(actor=editor, instance=claim, reason="Withdrawn")
    for case in [("viewer", True), ("researcher", True)]:
        client.force_login(make_user(*case))
        response = client.post(
            version_url(claim, before_verdict),
            {"slug": claim.slug, "kind": claim.kind, "status": "confirmed", "text": claim.text, "made": ""},
        )
        assert response.status_code in (403, 405), case
        response = client.post(
            version_url(claim, before_verdict),
            {"slug": claim.slug, "kind": claim.kind, "status": "corroborated", "text": claim.text},
        )
        assert response.status_code in (403, 405), case
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.RETRACTED


def test_a_history_version_is_shown_read_only_and_says_reverting_is_not_offered(client, make_user, figure):
    figure.value = 58000
    figure._change_reason = "Corrected from the report's table"
    figure.save()
    client.force_login(make_user("editor", True))
    version = figure.history.earliest("history_id")
    response = client.get(version_url(figure, version))
    assert response.status_code == 200
    page = response.content.decode()
    assert "57000" in page  # the version's value, not today's
    assert "Reverting is not offered" in page
    form = page[page.index('id="content-main"') :]
    assert re.search(r'<input[^>]+type="submit"', form) is None
    assert re.search(r"<(textarea|select)\b", form) is None
    assert re.search(r'<input(?![^>]*type="hidden")[^>]*name="(?!csrfmiddlewaretoken)', form) is None
    history = client.get(reverse("admin:agencies_figure_history", args=[figure.pk]))
    assert "Reverting is not offered" in history.content.decode()
    assert client.post(reverse("admin:agencies_figure_history", args=[figure.pk])).status_code == 405


def test_a_history_version_shows_the_version_even_after_the_record_changed(client, make_user, figure):
    client.force_login(make_user("viewer"))
    first = figure.history.earliest("history_id")
    Figure.objects.filter(pk=figure.pk).update(value=1)
    page = client.get(version_url(figure, first)).content.decode()
    assert "57000" in page


# --- Briefing history: scoped like briefings -----------------------------------------------------


@pytest.fixture
def briefings(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    made = {}
    for audience in ("public", "internal"):
        scope = {"agencies": [f.AgencyFactory().slug]}
        briefing = Briefing.objects.create(
            scope=scope, scope_key=briefing_scope_key(scope), audience=audience, status=BriefingStatus.RUNNING
        )
        name = default_storage.save(f"briefings/{briefing.pk}/secret-name.pdf", ContentFile(b"%PDF-1.7\n"))
        briefing.file, briefing.status, briefing.sha256 = name, BriefingStatus.SUCCEEDED, "ab" * 32
        briefing.fingerprint = "cd" * 32
        briefing.save()
        made[audience] = briefing
    return made


def briefing_urls(briefing) -> list[str]:
    version = briefing.history.earliest("history_id")
    return [
        reverse("admin:agencies_briefing_history", args=[briefing.pk]),
        version_url(briefing, version),
    ]


@pytest.mark.parametrize("case", ROLE_CASES, ids=case_id)
def test_internal_briefing_history_is_seen_only_with_the_grant(client, make_user, briefings, case):
    role, confidential = case
    client.force_login(make_user(*case))
    reads = role is not None
    for url in briefing_urls(briefings["public"]):
        assert client.get(url).status_code == (200 if reads else 403), url
    internal = briefings["internal"]
    for url in briefing_urls(internal):
        response = client.get(url)
        if reads and confidential:
            assert response.status_code == 200, url
        else:
            assert response.status_code in ((404,) if reads else (403, 404)), url
            page = response.content.decode()
            assert internal.sha256 not in page and internal.fingerprint not in page


def test_a_deleted_internal_briefing_keeps_its_history_hidden(client, make_user, briefings):
    internal = briefings["internal"]
    urls = briefing_urls(internal)
    Briefing.objects.filter(pk=internal.pk).delete()
    client.force_login(make_user("editor"))
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.force_login(make_user("editor", True))
    assert client.get(urls[0]).status_code == 200


# --- Which sources have confidential notes -------------------------------------------------------


@pytest.fixture
def noted(db):
    """Two anonymous sources, one with a note; neither cited, so both may be deleted."""
    with_note = f.AnonymousSourceFactory(slug="with-note")
    Note.objects.create(source=with_note, notes="Jane Roe")
    without = f.AnonymousSourceFactory(slug="without-note")
    return with_note, without


@pytest.mark.parametrize("case", [("viewer", False), ("researcher", False), ("editor", False)], ids=case_id)
def test_a_source_list_cannot_be_filtered_by_its_notes(client, make_user, noted, case):
    client.force_login(make_user(*case))
    url = reverse("admin:agencies_source_changelist")
    note = noted[0].confidential_note
    for lookup in (
        {"confidential_note__isnull": "False"},
        {"confidential_note__isnull": "True"},
        {"confidential_note": note.pk},
        {"confidential_note__id__gte": 0},
        {"confidential_note__source": noted[0].pk},
    ):
        response = client.get(url, lookup)
        if response.status_code == 200:  # the admin refuses an unknown lookup with a redirect (?e=1)
            assert response.context["cl"].result_count == 2, lookup
        else:
            assert response.status_code in (302, 400), lookup
            if response.status_code == 302:
                assert "e=1" in response.url


def test_with_the_grant_the_notes_filter_still_works(client, make_user, noted):
    client.force_login(make_user("editor", True))
    response = client.get(reverse("admin:agencies_source_changelist"), {"confidential_note__isnull": "False"})
    assert response.status_code == 200 and response.context["cl"].result_count == 1


@pytest.mark.parametrize("case", [("researcher", False), ("editor", False)], ids=case_id)
def test_delete_pages_do_not_say_a_source_has_a_note(client, make_user, noted, case):
    client.force_login(make_user(*case))
    with_note, without = noted
    pages = {}
    for source in noted:
        pages[source.slug] = client.get(reverse("admin:agencies_source_delete", args=[source.pk]))
        pages[f"{source.slug} (bulk)"] = client.post(
            reverse("admin:agencies_source_changelist"),
            {"action": "delete_selected", "_selected_action": [source.pk]},
        )
    for name, page in pages.items():
        assert page.status_code == 200, name
        text = page.content.decode().lower()
        assert "confidential" not in text, name
        assert not page.context["perms_lacking"], name
    first, second = (dict(pages[slug].context["model_count"]) for slug in ("with-note", "without-note"))
    assert first == second
    # Deleting the source takes its note with it (kept in the note's history), as for anyone.
    response = client.post(reverse("admin:agencies_source_delete", args=[with_note.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Source.objects.filter(pk=with_note.pk).exists()
    assert Note.history.filter(source_id=with_note.pk, history_type="-").exists()


def test_with_the_grant_the_delete_page_lists_the_note(client, make_user, noted):
    client.force_login(make_user("editor", True))
    page = client.get(reverse("admin:agencies_source_delete", args=[noted[0].pk]))
    assert "Confidential note on with-note" in page.content.decode()


@pytest.mark.parametrize("case", [("viewer", False), ("researcher", False)], ids=case_id)
def test_autocomplete_and_search_do_not_tell_which_sources_have_notes(client, make_user, noted, case):
    client.force_login(make_user(*case))
    autocomplete = reverse("admin:autocomplete")
    for model_name, field_name in (("attribution", "origin"), ("sourceconfidentialnote", "source")):
        response = client.get(
            autocomplete, {"app_label": "agencies", "model_name": model_name, "field_name": field_name}
        )
        if response.status_code == 200:
            slugs = {row["id"] for row in response.json()["results"]}
            assert len(slugs) == 2, model_name
        else:
            assert response.status_code in (403, 404), model_name
    search = client.get(reverse("admin:agencies_source_changelist"), {"q": "Jane"})
    assert search.context["cl"].result_count == 0


@pytest.mark.parametrize("case", [(None, False), ("viewer", False), ("editor", False)], ids=case_id)
def test_note_history_pages_do_not_tell_which_notes_exist(client, make_user, noted, case):
    client.force_login(make_user(*case))
    note = noted[0].confidential_note
    version = note.history.earliest("history_id").history_id
    for pk, history_id in ((note.pk, version), (note.pk + 100, version + 100)):
        for name, args in (("history", [pk]), ("simple_history", [pk, history_id])):
            url = reverse(f"admin:agencies_sourceconfidentialnote_{name}", args=args)
            assert client.get(url).status_code == 403, url


def test_the_history_of_a_note_whose_source_was_deleted_still_shows(client, make_user, noted):
    with_note = noted[0]
    note = with_note.confidential_note
    Source.objects.filter(pk=with_note.pk).delete()
    client.force_login(make_user("editor", True))
    version = note.history.earliest("history_id").history_id
    history = client.get(reverse("admin:agencies_sourceconfidentialnote_history", args=[note.pk]))
    assert history.status_code == 200
    url = reverse("admin:agencies_sourceconfidentialnote_simple_history", args=[note.pk, version])
    page = client.get(url)
    assert page.status_code == 200
    assert "Jane Roe" in page.content.decode()
