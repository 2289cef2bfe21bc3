"""Record an article: the page, the draft kept on the server, what comes back from the browser,
who may use it, and what recording writes (one import, the researcher's, answers included)."""

import inspect
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from agencies import models as m
from agencies.core import services
from agencies.core.permissions import roles_sync
from agencies.core.selectors import claim_evidence, claims_with_evidence
from agencies.exchange import dossier_import
from agencies.intake import review
from tests import factories as f

ARTICLE = (
    Path(__file__).resolve().parents[1] / "intake" / "gold" / "wire-reuters-usps-denial.txt"
).read_text()
REASON = "intake" if "reason" in inspect.signature(dossier_import).parameters else "dossier import"


@pytest.fixture
def seeded(db):
    roles_sync()
    call_command("load_seeds", stdout=io.StringIO())


def user(role, name=None):
    person = f.UserFactory(username=name or f"{role or 'nobody'}-user", is_staff=True)
    services.user_set_role(actor=None, user=person, role=role, confidential=False)
    return type(person).objects.get(pk=person.pk)


def logged_in(role, name=None) -> tuple[Client, object]:
    client = Client()
    person = user(role, name)
    client.force_login(person)
    return client, person


def record_counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (m.Claim, m.Attribution, m.Source, m.Document, m.Outlet, m.Figure, m.CommentRequest)
    } | {"answers": m.Claim.objects.filter(answers__isnull=False).count()}


def paste(client, text=ARTICLE, **extra):
    response = client.post("/intake/", {"text": text, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    return m.IntakeDraft.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def proposal_index(intake, section, predicate=lambda p: True) -> int:
    return next(
        i for i, p in enumerate(intake.draft["proposals"]) if p["section"] == section and predicate(p)
    )


def denial_index(intake) -> int:
    denials = {c["id"] for c in intake.draft["dossier"]["claims"] if c["kind"] == "denial"}
    return proposal_index(intake, "claims", lambda p: p["key"] in denials)


def test_a_pasted_article_is_proposed_highlighted_and_recorded_as_the_researchers(seeded):
    client, researcher = logged_in("researcher")
    assert "Record an article" in client.get("/claims/").content.decode()
    before = record_counts()
    intake = paste(client)
    assert record_counts() == before  # proposing writes nothing to the record
    page = client.get(f"/intake/{intake.pk}/").content.decode()
    # Proposals marked in the article, matches shown as matches, the answerable claims offered.
    assert page.count('<mark class="hl hl--') > 10
    assert "Already in the record" in page and "wapo-report" in page
    denial = denial_index(intake)
    offered = re.findall(rf'name="p{denial}-answers" value="([^"]*)"', page)
    assert offered[0] == "uspis-enlisted" and offered[-1] == ""

    response = client.post(f"/intake/{intake.pk}/", {f"p{denial}-answers": "uspis-enlisted"})
    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.state == m.IntakeState.RECORDED and "created" in intake.report
    key = intake.draft["proposals"][denial]["key"]
    answer = m.Claim.objects.get(slug=key)
    assert answer.answers.slug == "uspis-enlisted" and answer.kind == "denial"
    (created,) = answer.history.filter(history_type="+")
    assert created.history_user == researcher and created.history_change_reason == REASON
    # Matches were not duplicated: the Post's report and the two people are the record's.
    assert m.Document.objects.filter(title__icontains="Washington Post").count() == 1
    assert m.Source.objects.filter(description__icontains="two people").count() == 1
    enlisted = claims_with_evidence(m.Claim.objects.filter(slug="uspis-enlisted")).get()
    assert [a.slug for a in claim_evidence(enlisted).disputed_by] == [key]
    shown = client.get("/claims/", {"q": "enlisted"}).content.decode()
    assert f"disputed by {key}" in shown


def test_recorded_twice_is_refused_and_writes_nothing(seeded):
    client, _ = logged_in("researcher")
    intake = paste(client)
    assert client.post(f"/intake/{intake.pk}/", {}).status_code == 302
    after = record_counts()
    response = client.post(f"/intake/{intake.pk}/", {})
    assert response.status_code == 400 and "recorded already" in response.content.decode()
    assert record_counts() == after


def test_an_edit_is_written_and_a_rejection_is_not(seeded):
    client, _ = logged_in("researcher")
    intake = paste(client)
    denial = denial_index(intake)
    figure = proposal_index(intake, "figures")
    key = intake.draft["proposals"][denial]["key"]
    figures = m.Figure.objects.count()
    response = client.post(
        f"/intake/{intake.pk}/",
        {f"p{denial}-text": "USPS denies sharing more data than the law requires.", f"p{figure}": "reject"},
    )
    assert response.status_code == 302
    assert m.Claim.objects.get(slug=key).text == "USPS denies sharing more data than the law requires."
    # The follow-up's 37,660 is the record's figure, proposed as a match: rejecting it adds nothing.
    assert intake.draft["proposals"][figure]["match"]
    assert m.Figure.objects.count() == figures


def test_rejecting_what_an_accepted_claim_needs_is_refused_naming_both(seeded):
    client, _ = logged_in("researcher")
    intake = paste(client)
    speaker = proposal_index(intake, "sources", lambda p: p["match"] is None and "Partenheimer" in p["label"])
    before = record_counts()
    response = client.post(f"/intake/{intake.pk}/", {f"p{speaker}": "reject"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "which you rejected" in page and "Partenheimer" in page
    assert 'value="reject" checked' in page  # the researcher's choices come back
    assert record_counts() == before
    intake.refresh_from_db()
    assert intake.state == m.IntakeState.OPEN


@pytest.mark.parametrize(
    "tampered",
    [
        lambda i, d: {f"p{d}-answers": "homan-deportation-count"},  # a claim that was not offered
        lambda i, d: {f"p{d}": "approve"},
        lambda i, d: {f"p{len(i.draft['proposals']) + 5}": "accept"},
        lambda i, d: {f"p{d}-text": "x" * 5001},
    ],
    ids=["answer-not-offered", "unknown-decision", "unknown-proposal", "too-long"],
)
def test_what_comes_back_is_checked_against_the_stored_draft(seeded, tampered):
    client, _ = logged_in("researcher")
    intake = paste(client)
    before = record_counts()
    response = client.post(f"/intake/{intake.pk}/", tampered(intake, denial_index(intake)))
    assert response.status_code == 400
    assert "Nothing was written" in response.content.decode()
    assert record_counts() == before


@pytest.mark.parametrize("role", [None, "viewer"])
def test_who_may_not_edit_the_record_can_neither_paste_nor_record(seeded, role):
    owner_client, _ = logged_in("researcher", "owner")
    intake = paste(owner_client)
    client, _ = logged_in(role)
    before, drafts = record_counts(), m.IntakeDraft.objects.count()
    assert client.get("/intake/").status_code == 403
    assert client.post("/intake/", {"text": ARTICLE}).status_code == 403
    assert client.post(f"/intake/{intake.pk}/", {}).status_code == 403
    anonymous = Client()
    assert anonymous.post("/intake/", {"text": ARTICLE}).status_code == 302  # to the login page
    assert anonymous.post(f"/intake/{intake.pk}/", {}).status_code == 302
    assert record_counts() == before and m.IntakeDraft.objects.count() == drafts
    intake.refresh_from_db()
    assert intake.state == m.IntakeState.OPEN


def test_another_researchers_draft_is_not_found(seeded):
    owner_client, _ = logged_in("researcher", "owner")
    intake = paste(owner_client)
    other, _ = logged_in("editor", "other")
    before = record_counts()
    assert other.get(f"/intake/{intake.pk}/").status_code == 404
    assert other.post(f"/intake/{intake.pk}/", {}).status_code == 404
    assert other.post(f"/intake/{intake.pk}/", {"discard": "1"}).status_code == 404
    assert record_counts() == before
    intake.refresh_from_db()
    assert intake.state == m.IntakeState.OPEN


def test_posts_need_the_csrf_token(seeded):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("researcher"))
    assert client.post("/intake/", {"text": ARTICLE}).status_code == 403
    assert not m.IntakeDraft.objects.exists()


def test_inputs_are_bounded_and_errors_name_the_field(seeded):
    client, _ = logged_in("researcher")
    too_long = client.post("/intake/", {"text": "word " * (review.MAX_TEXT_CHARS // 5 + 1)})
    assert too_long.status_code == 200 and too_long.context["form"].errors["text"]
    bad_date = client.post("/intake/", {"text": ARTICLE, "published": "May 2025"})
    assert bad_date.status_code == 200 and bad_date.context["form"].errors["published"]
    pdf = SimpleUploadedFile("article.pdf", b"%PDF-1.4", content_type="application/pdf")
    assert "Upload a .txt or .html file" in client.post("/intake/", {"upload": pdf}).content.decode()
    binary = SimpleUploadedFile("article.txt", b"\xff\xfe\x00bad", content_type="text/plain")
    assert "not UTF-8" in client.post("/intake/", {"upload": binary}).content.decode()
    assert not m.IntakeDraft.objects.exists()
    upload = SimpleUploadedFile("article.txt", ARTICLE.encode(), content_type="text/plain")
    response = client.post("/intake/", {"upload": upload, "outlet": "Reuters", "published": "2025-05-20"})
    assert response.status_code == 302
    assert m.IntakeDraft.objects.get().text == ARTICLE


def test_discarding_writes_nothing(seeded):
    client, _ = logged_in("researcher")
    intake = paste(client)
    before = record_counts()
    assert client.post(f"/intake/{intake.pk}/", {"discard": "1"}).status_code == 302
    intake.refresh_from_db()
    assert intake.state == m.IntakeState.DISCARDED and record_counts() == before
    assert client.post(f"/intake/{intake.pk}/", {}).status_code == 400


def proposal(section, key, label, match=None, question=None):
    return {
        "section": section,
        "key": key,
        "label": label,
        "spans": [[0, 5]],
        "match": match,
        "question": question,
    }


def test_a_matched_claim_gains_the_new_line_and_keeps_its_own(seeded):
    """A claim the record has already is added to, never replaced: its lines stay, the new one is last."""
    client, researcher = logged_in("researcher")
    enlisted = m.Claim.objects.get(slug="uspis-enlisted")
    lines_before = list(enlisted.attributions.order_by("position").values_list("origin__slug", "quote"))
    line = {"document": "reuters-follow-up", "via": ["wapo-report"], "origin": "wapo-two-people"}
    dossier = {
        "format": "oversight-dossier/1",
        "outlets": [{"id": "reuters", "name": "Reuters", "kind": "wire"}],
        "documents": [
            {"id": "reuters-follow-up", "kind": "article", "outlet": "reuters", "title": "USPS says"}
        ],
        "claims": [
            {
                "id": "uspis-enlisted",
                "kind": "role",
                "text": "A shorter restatement the record must not take.",
                "agencies": ["uspis", "dhs"],
                "status": "unverified",
                "attributions": [{**line, "stance": "supports", "locator": "para 3"}],
            },
            {
                "id": "usps-denial",
                "kind": "denial",
                "text": "The Inspection Service shares only the data the law requires.",
                "agencies": ["usps", "uspis"],
                "status": "unverified",
                "answers": "uspis-enlisted",
                "attributions": [{**line, "via": [], "stance": "supports"}],
            },
        ],
    }
    intake = m.IntakeDraft.objects.create(
        owner=researcher,
        text=ARTICLE,
        draft={
            "dossier": dossier,
            "proposals": [
                proposal("outlets", "reuters", "Reuters", match="reuters"),
                proposal("documents", "reuters-follow-up", "USPS says"),
                proposal("claims", "uspis-enlisted", "enlisted", match="uspis-enlisted"),
                proposal("claims", "usps-denial", "The Inspection Service shares only"),
            ],
            "candidates": {},
        },
    )
    page = client.get(f"/intake/{intake.pk}/").content.decode()
    assert 'name="p3-answers" value="uspis-enlisted" id="p3-answers-uspis-enlisted" checked' in page
    assert client.post(f"/intake/{intake.pk}/", {"p3-answers": "uspis-enlisted"}).status_code == 302
    enlisted.refresh_from_db()
    assert enlisted.text.startswith("The administration has enlisted")
    lines = list(enlisted.attributions.order_by("position").values_list("origin__slug", "quote"))
    assert lines[:-1] == lines_before and len(lines) == len(lines_before) + 1
    assert enlisted.attributions.order_by("position").last().document.slug == "reuters-follow-up"
    assert m.Claim.objects.get(slug="usps-denial").answers == enlisted
    assert m.Outlet.objects.filter(name="Reuters").count() == 1
