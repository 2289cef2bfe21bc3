"""Claims that answer claims: the rule (never itself, never a cycle), the service, what the evidence,
the explorer's contested filter, the admin, briefings and dossiers make of an answer."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import ProtectedError

from agencies import models as m
from agencies.briefings.data import briefing_data
from agencies.briefings.html import briefing_html
from agencies.core import conditions as claim_conditions
from agencies.core import selectors, services
from agencies.core.answers import AnswerCycle, answers_cycle, check_answers
from agencies.core.permissions import roles_sync
from agencies.exchange import DossierError, dossier_export, dossier_import
from tests import factories as f

FORMAT = "oversight-dossier/1"
DENIAL = "USPS denies that the Inspection Service shares data beyond what the law requires."


def test_the_rule_refuses_itself_and_cycles_and_allows_chains():
    assert answers_cycle({}, "a", "a") == ["a", "a"]
    assert answers_cycle({"b": "c", "c": "a"}, "a", "b") == ["a", "b", "c", "a"]
    assert answers_cycle({"b": "c"}, "a", "b") is None
    assert answers_cycle({"b": "c", "c": "b"}, "a", "b") is None  # an old cycle elsewhere: not this one
    assert answers_cycle({"a": "b"}, "a", None) is None
    with pytest.raises(AnswerCycle, match="cannot answer itself"):
        check_answers(claim="a", answers="a", answered={})
    with pytest.raises(AnswerCycle, match=r"a → b → a"):
        check_answers(claim="a", answers="b", answered={"b": "a"})


@pytest.fixture
def pair(db):
    roles_sync()
    usps, uspis = f.AgencyFactory(slug="usps", acronym="USPS"), f.AgencyFactory(slug="uspis", acronym="USPIS")
    enlisted = f.ClaimFactory(slug="uspis-enlisted", kind="role", agencies=[uspis])
    denial = f.ClaimFactory(slug="usps-denies", kind="denial", text=DENIAL, agencies=[usps, uspis])
    for claim in (enlisted, denial):
        f.AttributionFactory(claim=claim)
    return enlisted, denial


def role_user(role):
    user = f.UserFactory(username=f"{role}-user", is_staff=True)
    services.user_set_role(actor=None, user=user, role=role, confidential=False)
    return type(user).objects.get(pk=user.pk)


def _answer(actor, claim, answers, reason=""):
    claim = type(claim).objects.get(pk=claim.pk)
    claim.answers = answers
    return services.record_save(actor=actor, instance=claim, reason=reason)


def test_the_service_links_with_history_and_refuses_cycles_and_viewers(pair):
    enlisted, denial = pair
    researcher = role_user("researcher")
    _answer(researcher, denial, enlisted, reason="USPS statement")
    denial.refresh_from_db()
    assert denial.answers == enlisted
    latest = denial.history.latest()
    assert latest.history_user == researcher and latest.history_change_reason == "USPS statement"
    assert latest.answers_id == enlisted.pk
    with pytest.raises(ValidationError, match="usps-denies already answers it"):
        _answer(researcher, enlisted, denial)
    with pytest.raises(ValidationError, match="cannot answer itself"):
        _answer(researcher, enlisted, enlisted)
    with pytest.raises(PermissionDenied):
        _answer(role_user("viewer"), denial, None)
    enlisted.refresh_from_db()
    denial.refresh_from_db()
    assert enlisted.answers_id is None and denial.answers_id == enlisted.pk
    # PROTECT: the answered claim cannot go while the denial points at it.
    with pytest.raises(ProtectedError):
        enlisted.delete()


def evidence(claim):
    return selectors.claim_evidence(selectors.claims_with_evidence(m.Claim.objects.filter(pk=claim.pk)).get())


def test_the_answered_claim_is_disputed_by_the_answer_and_contested(pair):
    enlisted, denial = pair
    assert selectors.contested_claim_ids([enlisted]) == set()
    denial.answers = enlisted
    denial.save()
    shown = evidence(enlisted)
    assert [a.label for a in shown.disputed_by] == [f"disputed by usps-denies: {DENIAL[:79]}…"]
    assert evidence(denial).answers.slug == "uspis-enlisted"
    assert selectors.contested_claim_ids([enlisted, denial]) == {enlisted.pk}
    assert set(m.Claim.objects.filter(claim_conditions.contested())) == {enlisted}
    # A claim marked confirmed although a denial answers it is flagged; disputed is then explained.
    enlisted.status = m.ClaimStatus.CONFIRMED
    enlisted.save()
    assert any("marked confirmed but disputed by usps-denies" in w for w in evidence(enlisted).warnings)
    enlisted.status = m.ClaimStatus.DISPUTED
    enlisted.save()
    assert evidence(enlisted).warnings == []
    # A refuted denial no longer contests what it answered.
    denial.status = m.ClaimStatus.REFUTED
    denial.save()
    assert evidence(enlisted).disputed_by == []
    assert selectors.contested_claim_ids([enlisted]) == set()
    assert not m.Claim.objects.filter(claim_conditions.contested()).exists()


def test_the_admin_offers_the_answered_claim_by_autocomplete_and_shows_it(pair, admin_client):
    enlisted, denial = pair
    page = admin_client.get(f"/admin/agencies/claim/{denial.pk}/change/").content.decode()
    assert 'name="answers"' in page and "admin-autocomplete" in page
    denial.answers = enlisted
    denial.save()
    page = admin_client.get(f"/admin/agencies/claim/{enlisted.pk}/change/").content.decode()
    assert "disputed by usps-denies" in page


def test_the_admin_form_refuses_a_cycle(pair):
    from agencies.admin.claim import ClaimForm

    enlisted, denial = pair
    denial.answers = enlisted
    denial.save()
    data = {"slug": enlisted.slug, "kind": enlisted.kind, "status": enlisted.status, "made": "2025-05"}
    form_class = type("ClaimFormForAResearcher", (ClaimForm,), {"actor": role_user("researcher")})
    form = form_class(data={**data, "text": enlisted.text, "answers": denial.pk}, instance=enlisted)
    assert not form.is_valid()
    assert "cycle" in " ".join(form.errors["answers"])


def test_briefings_and_agency_pages_show_who_disputes_a_claim(db, admin_client):
    call_command("load_seeds", stdout=io.StringIO())
    enlisted = m.Claim.objects.get(slug="uspis-enlisted")
    denial = f.ClaimFactory(
        slug="usps-denies", kind="denial", text=DENIAL, agencies=[m.Agency.objects.get(slug="uspis")]
    )
    f.AttributionFactory(claim=denial)
    denial.answers = enlisted
    denial.save()
    data = briefing_data(scope={"agencies": ["uspis"]}, audience="public")
    views = [c for section in data.agencies for c in section.claims] + data.other_claims
    enlisted_view = next(v for v in views if v.slug == "uspis-enlisted")
    denial_view = next(v for v in views if v.slug == "usps-denies")
    assert enlisted_view.answered_by[0].ref == f"C{denial_view.number}"
    html = briefing_html(data, fingerprint="0" * 64, generated=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    assert f"Disputed by <b>C{denial_view.number}</b>: {DENIAL}" in html
    assert f"Answers <b>C{enlisted_view.number}</b>" in html
    # The agency page: the role rests on the enlistment claim, which the denial disputes.
    page = admin_client.get("/agencies/uspis/").content.decode()
    assert "disputed by usps-denies" in page and DENIAL[:60] in page


def dossier(*claims, agencies=("uspis",)):
    return {
        "format": FORMAT,
        "agencies": [{"id": a, "name": a.upper(), "kind": "other"} for a in agencies],
        "outlets": [{"id": "wire", "name": "Wire", "kind": "wire"}],
        "documents": [{"id": "doc", "kind": "article", "title": "A report", "outlet": "wire"}],
        "sources": [{"id": "spokesperson", "kind": "person", "name": "A spokesperson"}],
        "claims": [
            {
                "id": slug,
                "kind": kind,
                "text": f"Claim {slug}.",
                "agencies": list(agencies),
                "status": "unverified",
                "attributions": [{"document": "doc", "origin": "spokesperson", "stance": "supports"}],
                **extra,
            }
            for slug, kind, extra in claims
        ],
    }


def test_dossiers_carry_answers_both_ways(db):
    # A new denial answering a new claim listed after it: created after it, in one import.
    data = dossier(("denial", "denial", {"answers": "enlisted"}), ("enlisted", "role", {}))
    dossier_import(data=data)
    assert m.Claim.objects.get(slug="denial").answers.slug == "enlisted"
    exported = {c["id"]: c for c in dossier_export()["claims"]}
    assert exported["denial"]["answers"] == "enlisted" and "answers" not in exported["enlisted"]
    # Left out, the stored link stays; an explicit null clears it.
    dossier_import(data=dossier(("denial", "denial", {}), ("enlisted", "role", {})))
    assert m.Claim.objects.get(slug="denial").answers.slug == "enlisted"
    dossier_import(data=dossier(("denial", "denial", {"answers": None}), ("enlisted", "role", {})))
    assert m.Claim.objects.get(slug="denial").answers is None


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ((("a", "denial", {"answers": "a"}),), "claims[0].answers: a cannot answer itself"),
        (
            (("a", "denial", {"answers": "b"}), ("b", "denial", {"answers": "a"})),
            "claims[0].answers: a cannot answer b",
        ),
        ((("a", "denial", {"answers": "nowhere"}),), "claims[0].answers: unknown claim 'nowhere'"),
    ],
    ids=["itself", "cycle", "unknown"],
)
def test_dossiers_with_a_bad_answer_are_refused_naming_the_place(db, claims, message):
    with pytest.raises(DossierError) as refused:
        dossier_import(data=dossier(*claims))
    assert any(error.startswith(message) for error in refused.value.errors), refused.value.errors
    assert not m.Claim.objects.exists()


def test_a_cycle_through_a_stored_claim_is_refused(db):
    dossier_import(data=dossier(("a", "denial", {"answers": "b"}), ("b", "role", {})))
    with pytest.raises(DossierError, match=r"claims\[0\]\.answers: b cannot answer a"):
        dossier_import(data=dossier(("b", "role", {"answers": "a"})))
    assert m.Claim.objects.get(slug="b").answers is None
