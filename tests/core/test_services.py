"""Services: each write is validated, atomic and kept in history with its actor and reason."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.core import services
from agencies.core.dates import PartialDate
from agencies.models import (
    Agency,
    Attribution,
    AttributionHop,
    Citation,
    Claim,
    ClaimAgency,
    ClaimKind,
    ClaimStatus,
    Stance,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    user = f.UserFactory(username="editor")
    services.user_set_role(actor=None, user=user, role="editor", confidential=False)
    return user


def messages(exc: ValidationError) -> str:
    return " ".join(exc.value.messages)


# record_save and record_delete: the door every admin save goes through


def _claim(**fields) -> Claim:
    return Claim(**{"slug": "a-claim", "kind": ClaimKind.ROLE, "text": "Text.", **fields})


def test_record_save_creates_a_claim_and_records_the_actor(actor):
    dhs, ice = f.AgencyFactory(acronym="DHS"), f.AgencyFactory(acronym="ICE")
    claim = services.record_save(actor=actor, instance=_claim(slug="ice-arrests", made="2025-05"))
    services.claim_set_agencies(actor=actor, claim=claim, agencies=[ice, dhs])
    claim.refresh_from_db()
    assert claim.made == PartialDate(2025, 5)
    assert claim.status == ClaimStatus.UNVERIFIED
    assert [link.agency for link in claim.claim_agencies.order_by("position")] == [ice, dhs]
    record = claim.history.get()
    assert record.history_user == actor
    assert record.history_change_reason == "Created"
    assert {r.history_user for r in ClaimAgency.history.all()} == {actor}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "Not A Slug"}, "slug", "lower-case"),
        ({"kind": "rumour"}, "kind", "not a valid choice"),
        ({"text": ""}, "text", "cannot be blank"),
        ({"status": "maybe"}, "status", "not a valid choice"),
    ],
)
def test_record_save_refuses_bad_input_and_creates_nothing(actor, changes, field, message):
    with pytest.raises(ValidationError) as exc:
        services.record_save(actor=actor, instance=_claim(**changes))
    assert field in exc.value.message_dict
    assert message in messages(exc)
    assert not Claim.objects.exists()


def test_record_save_refuses_a_taken_slug(actor):
    f.ClaimFactory(slug="taken")
    with pytest.raises(ValidationError) as exc:
        services.record_save(actor=actor, instance=_claim(slug="taken"))
    assert "already exists" in messages(exc)


def test_record_save_refuses_a_role_without_the_permission():
    viewer = f.UserFactory(username="viewer")
    services.user_set_role(actor=None, user=viewer, role="viewer", confidential=False)
    with pytest.raises(PermissionDenied, match="does not allow you to add claims"):
        services.record_save(actor=viewer, instance=_claim())
    claim = f.ClaimFactory(text="Before.")
    claim.text = "After."
    with pytest.raises(PermissionDenied):
        services.record_save(actor=viewer, instance=claim)
    assert Claim.objects.get(pk=claim.pk).text == "Before."


def test_claim_set_agencies_refuses_none_or_twice(actor):
    ice = f.AgencyFactory(acronym="ICE")
    claim = f.ClaimFactory(agencies=[ice])
    with pytest.raises(ValidationError, match="at least one agency"):
        services.claim_set_agencies(actor=actor, claim=claim, agencies=[])
    with pytest.raises(ValidationError, match="Listed more than once: ICE"):
        services.claim_set_agencies(actor=actor, claim=claim, agencies=[ice, ice])


def test_claim_set_agencies_touches_only_what_changes(actor):
    a, b, c = f.AgencyFactory(), f.AgencyFactory(), f.AgencyFactory()
    claim = f.ClaimFactory(agencies=[a, b])
    kept = ClaimAgency.objects.get(claim=claim, agency=a)
    services.claim_set_agencies(actor=actor, claim=claim, agencies=[c, a], reason="Re-read the article")
    links = list(claim.claim_agencies.order_by("position"))
    assert [(link.agency, link.position) for link in links] == [(c, 0), (a, 1)]
    assert links[1].pk == kept.pk
    removed = ClaimAgency.history.filter(agency_id=b.pk, history_type="-").get()
    assert removed.history_user == actor
    assert removed.history_change_reason == "Re-read the article"


def test_record_delete_refuses_the_last_agency_of_a_claim(actor):
    claim = f.ClaimFactory(agencies=[f.AgencyFactory()])
    with pytest.raises(ValidationError, match="at least one agency"):
        services.record_delete(actor=actor, instance=claim.claim_agencies.get())
    assert claim.claim_agencies.count() == 1


def test_record_delete_refuses_what_claims_rest_on(actor):
    attribution = f.AttributionFactory()
    with pytest.raises(ValidationError, match="cannot be deleted: 1 attributions rest on it"):
        services.record_delete(actor=actor, instance=attribution.document)
    assert Attribution.objects.filter(pk=attribution.pk).exists()


# A claim's status


def _set_status(actor, claim: Claim, status: str, reason: str) -> Claim:
    claim.status = status
    return services.record_save(actor=actor, instance=claim, reason=reason)


def test_status_change_records_the_reason(actor):
    claim = f.ClaimFactory()
    _set_status(actor, claim, ClaimStatus.CONFIRMED, "Agency confirmed on record")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CONFIRMED
    latest = claim.history.latest("history_date")
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        ClaimStatus.CONFIRMED,
        actor,
        "Agency confirmed on record",
    )


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        ("maybe", "why", "not a valid choice"),
        (ClaimStatus.REFUTED, "  ", "Say why the status changes"),
        (ClaimStatus.REFUTED, "x" * 101, "Keep the reason to 100 characters"),
    ],
)
def test_status_change_refuses_bad_input(actor, status, reason, message):
    claim = f.ClaimFactory()
    before = claim.history.count()
    with pytest.raises(ValidationError) as exc:
        _set_status(actor, claim, status, reason)
    assert message in messages(exc)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNVERIFIED
    assert claim.history.count() == before


def test_a_verdict_is_weighed_against_the_stored_status_not_the_callers():
    """A researcher whose copy of the claim is older than an editor's retraction cannot undo it."""
    researcher = f.UserFactory(username="researcher-2")
    services.user_set_role(actor=None, user=researcher, role="researcher", confidential=False)
    claim = f.ClaimFactory()
    stale = Claim.objects.get(pk=claim.pk)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.RETRACTED)
    with pytest.raises(PermissionDenied, match="Only editors"):
        _set_status(researcher, stale, ClaimStatus.DISPUTED, "Re-read it")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.RETRACTED


# attribution_create and attribution_set_via


def test_attribution_create_keeps_via_in_order(actor):
    claim = f.ClaimFactory()
    beast, post, wire = f.DocumentFactory(), f.DocumentFactory(), f.DocumentFactory()
    origin = f.AnonymousSourceFactory()
    first = services.attribution_create(
        actor=actor, claim=claim, document=beast, origin=origin, via=[post, wire], quote="q", locator="para 2"
    )
    second = services.attribution_create(actor=actor, claim=claim, document=post, origin=origin)
    assert (first.position, second.position) == (0, 1)
    assert [hop.document for hop in first.hops.order_by("position")] == [post, wire]
    assert first.stance == Stance.SUPPORTS
    assert first.history.get().history_user == actor
    assert {hop.history_user for hop in AttributionHop.history.all()} == {actor}


@pytest.mark.parametrize(
    ("via", "message"),
    [
        ("self", "is the document the claim appears in"),
        ("twice", "Listed more than once"),
        ("unsaved", "Save every referenced row"),
    ],
)
def test_attribution_create_refuses_bad_via_and_creates_nothing(actor, via, message):
    claim, document, other = f.ClaimFactory(), f.DocumentFactory(), f.DocumentFactory()
    via = {
        "self": [document],
        "twice": [other, other],
        "unsaved": [f.DocumentFactory.build()],
    }[via]
    with pytest.raises(ValidationError) as exc:
        services.attribution_create(
            actor=actor, claim=claim, document=document, origin=f.SourceFactory(), via=via
        )
    assert message in messages(exc)
    assert not Attribution.objects.exists()


def test_attribution_create_refuses_an_unknown_stance(actor):
    with pytest.raises(ValidationError) as exc:
        services.attribution_create(
            actor=actor,
            claim=f.ClaimFactory(),
            document=f.DocumentFactory(),
            origin=f.SourceFactory(),
            stance="hints",
        )
    assert "stance" in exc.value.message_dict
    assert not Attribution.objects.exists()


def test_attribution_set_via_reorders_adds_and_removes(actor):
    a, b, c = f.DocumentFactory(), f.DocumentFactory(), f.DocumentFactory()
    attribution = f.AttributionFactory(via=[a, b])
    hop_b = attribution.hops.get(document=b)
    services.attribution_set_via(actor=actor, attribution=attribution, documents=[b, c], reason="Fix order")
    hops = list(attribution.hops.order_by("position"))
    assert [(hop.document, hop.position) for hop in hops] == [(b, 0), (c, 1)]
    assert hops[0].pk == hop_b.pk  # moved, not recreated
    changes = AttributionHop.history.filter(history_user=actor)
    assert {(h.document_id, h.history_type) for h in changes} == {(a.pk, "-"), (b.pk, "~"), (c.pk, "+")}
    assert {h.history_change_reason for h in changes} == {"Fix order"}


def test_attribution_set_via_is_atomic(actor):
    a = f.DocumentFactory()
    attribution = f.AttributionFactory(via=[a])
    with pytest.raises(ValidationError):
        services.attribution_set_via(
            actor=actor, attribution=attribution, documents=[f.DocumentFactory(), attribution.document]
        )
    assert [hop.document for hop in attribution.hops.all()] == [a]


# An agency's parent


def _set_parent(actor, agency: Agency, parent: Agency | None) -> Agency:
    agency.parent = parent
    return services.record_save(actor=actor, instance=agency)


def test_parent_change_records_the_actor(actor):
    dhs, ice = f.AgencyFactory(acronym="DHS"), f.AgencyFactory(acronym="ICE")
    _set_parent(actor, ice, dhs)
    ice.refresh_from_db()
    assert ice.parent == dhs
    assert ice.history.latest("history_date").history_user == actor
    _set_parent(actor, ice, None)
    assert Agency.objects.get(pk=ice.pk).parent is None


def test_parent_change_refuses_itself(actor):
    ice = f.AgencyFactory(acronym="ICE")
    with pytest.raises(ValidationError) as exc:
        _set_parent(actor, ice, ice)
    assert "ICE cannot be its own parent" in messages(exc)


def test_parent_change_refuses_a_cycle_and_names_it(actor):
    dhs = f.AgencyFactory(acronym="DHS")
    ice = f.AgencyFactory(acronym="ICE", parent=dhs)
    ero = f.AgencyFactory(acronym="ERO", parent=ice)
    with pytest.raises(ValidationError) as exc:
        _set_parent(actor, dhs, ero)
    assert messages(exc) == (
        "ERO cannot be the parent of DHS: it is already under it (ERO → ICE → DHS), "
        "so this would make a cycle."
    )
    dhs.refresh_from_db()
    assert dhs.parent is None


def test_agency_check_parent_allows_moving_within_the_tree():
    dhs = f.AgencyFactory()
    ice = f.AgencyFactory(parent=dhs)
    ero = f.AgencyFactory(parent=ice)
    services.agency_check_parent(agency=ero, parent=dhs)  # up the tree: fine
    services.agency_check_parent(agency=f.AgencyFactory.build(), parent=ero)  # a new agency: fine


# document_set_citations


def test_document_set_citations_in_order_and_refuses_itself(actor):
    beast, post, wire = f.DocumentFactory(), f.DocumentFactory(), f.DocumentFactory()
    services.document_set_citations(actor=actor, document=beast, cited=[wire, post])
    assert [c.cited for c in Citation.objects.filter(citing=beast).order_by("position")] == [wire, post]
    assert {c.history_user for c in Citation.history.all()} == {actor}
    with pytest.raises(ValidationError) as exc:
        services.document_set_citations(actor=actor, document=beast, cited=[beast])
    assert "cannot cite itself" in messages(exc)
    assert Citation.objects.filter(citing=beast).count() == 2
