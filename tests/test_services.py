"""Services: each write is validated, atomic and kept in history with its actor and reason."""

import pytest
from django.core.exceptions import ValidationError

from agencies import services
from agencies.dates import PartialDate
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


# claim_create


def test_claim_create_links_agencies_in_order_and_records_the_actor(actor):
    dhs, ice = f.AgencyFactory(acronym="DHS"), f.AgencyFactory(acronym="ICE")
    claim = services.claim_create(
        actor=actor,
        slug="ice-arrests",
        kind=ClaimKind.FIGURE,
        text="ICE made 1,000 arrests.",
        agencies=[ice, dhs],
        made="2025-05",
    )
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
        ({"agencies": []}, "agencies", "at least one agency"),
        ({"slug": "Not A Slug"}, "slug", "lower-case"),
        ({"kind": "rumour"}, "kind", "not a valid choice"),
        ({"made": "2025-13"}, "made", "month 13 does not exist"),
        ({"text": ""}, "text", "cannot be blank"),
    ],
)
def test_claim_create_refuses_bad_input_and_creates_nothing(actor, changes, field, message):
    agency = f.AgencyFactory()
    arguments = {"slug": "a-claim", "kind": ClaimKind.ROLE, "text": "Text.", "agencies": [agency], **changes}
    with pytest.raises(ValidationError) as exc:
        services.claim_create(actor=actor, **arguments)
    assert field in exc.value.message_dict
    assert message in messages(exc)
    assert not Claim.objects.exists()
    assert not ClaimAgency.objects.exists()


def test_claim_create_refuses_an_agency_twice(actor):
    ice = f.AgencyFactory(acronym="ICE")
    with pytest.raises(ValidationError) as exc:
        services.claim_create(actor=actor, slug="c", kind=ClaimKind.ROLE, text="T.", agencies=[ice, ice])
    assert "Listed more than once: ICE" in messages(exc)


def test_claim_create_refuses_a_taken_slug(actor):
    f.ClaimFactory(slug="taken")
    with pytest.raises(ValidationError) as exc:
        services.claim_create(
            actor=actor, slug="taken", kind=ClaimKind.ROLE, text="T.", agencies=[f.AgencyFactory()]
        )
    assert "already exists" in messages(exc)


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


# claim_set_status


def test_claim_set_status_records_the_reason(actor):
    claim = f.ClaimFactory()
    services.claim_set_status(
        actor=actor, claim=claim, status=ClaimStatus.CONFIRMED, reason="Agency confirmed on record"
    )
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
        ("maybe", "why", "Unknown status 'maybe'"),
        (ClaimStatus.REFUTED, "  ", "Say why"),
        (ClaimStatus.REFUTED, "x" * 101, "Keep the reason to 100 characters"),
    ],
)
def test_claim_set_status_refuses_bad_input(actor, status, reason, message):
    claim = f.ClaimFactory()
    before = claim.history.count()
    with pytest.raises(ValidationError) as exc:
        services.claim_set_status(actor=actor, claim=claim, status=status, reason=reason)
    assert message in messages(exc)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNVERIFIED
    assert claim.history.count() == before


def test_claim_set_status_to_the_same_status_writes_nothing(actor):
    claim = f.ClaimFactory()
    before = claim.history.count()
    services.claim_set_status(actor=actor, claim=claim, status=ClaimStatus.UNVERIFIED, reason="No change")
    assert claim.history.count() == before


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


# agency_set_parent


def test_agency_set_parent_records_the_actor(actor):
    dhs, ice = f.AgencyFactory(acronym="DHS"), f.AgencyFactory(acronym="ICE")
    services.agency_set_parent(actor=actor, agency=ice, parent=dhs)
    ice.refresh_from_db()
    assert ice.parent == dhs
    assert ice.history.latest("history_date").history_user == actor
    services.agency_set_parent(actor=actor, agency=ice, parent=None)
    assert Agency.objects.get(pk=ice.pk).parent is None


def test_agency_set_parent_refuses_itself(actor):
    ice = f.AgencyFactory(acronym="ICE")
    with pytest.raises(ValidationError) as exc:
        services.agency_set_parent(actor=actor, agency=ice, parent=ice)
    assert "ICE cannot be its own parent" in messages(exc)


def test_agency_set_parent_refuses_a_cycle_and_names_it(actor):
    dhs = f.AgencyFactory(acronym="DHS")
    ice = f.AgencyFactory(acronym="ICE", parent=dhs)
    ero = f.AgencyFactory(acronym="ERO", parent=ice)
    with pytest.raises(ValidationError) as exc:
        services.agency_set_parent(actor=actor, agency=dhs, parent=ero)
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
