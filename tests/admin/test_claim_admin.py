"""The researcher's path for claims: add one with its attribution and via documents, read its evidence."""

import pytest
from django.urls import reverse

from agencies.models import Attribution, AttributionHop, Claim, ClaimStatus, SourceKind
from tests import factories as f
from tests.admin.form_data import form_data


@pytest.fixture
def world(db):
    ice = f.AgencyFactory(acronym="ICE", name="Immigration and Customs Enforcement")
    beast = f.DocumentFactory(slug="db-article", outlet=f.OutletFactory(name="The Daily Beast"))
    post = f.DocumentFactory(slug="wapo-report", outlet=f.OutletFactory(name="The Washington Post"))
    wire = f.DocumentFactory(slug="reuters-wire", outlet=f.OutletFactory(name="Reuters"))
    people = f.AnonymousSourceFactory(
        slug="wapo-two-people", description="two people", reason="fear of professional reprisals"
    )
    return {"ice": ice, "beast": beast, "post": post, "wire": wire, "people": people}


def via_of(world, *names):
    return [world[name].pk for name in names]


def add_claim_data(client, world, via):
    data = form_data(client.get(reverse("admin:agencies_claim_add")))
    data.update(
        {
            "slug": "ice-mail",
            "kind": "role",
            "status": "unverified",
            "made": "2025-05",
            "text": "ICE asked the postal service for help.",
            "claim_agencies-0-agency": world["ice"].pk,
            "attributions-0-document": world["beast"].pk,
            "attributions-0-origin": world["people"].pk,
            "attributions-0-stance": "supports",
            "attributions-0-via": via,
            "attributions-0-locator": "para 2",
        }
    )
    return data


def all_errors(response) -> str:
    errors = [str(response.context["adminform"].form.errors)]
    errors += [
        str(inline.formset.errors) + str(inline.formset.non_form_errors())
        for inline in response.context["inline_admin_formsets"]
    ]
    return " ".join(errors)


def test_add_claim_with_attribution_and_ordered_via_from_the_claim_page(client, researcher, world):
    client.force_login(researcher)
    response = client.post(
        reverse("admin:agencies_claim_add"), add_claim_data(client, world, via_of(world, "post", "wire"))
    )
    assert response.status_code == 302, all_errors(response)
    claim = Claim.objects.get(slug="ice-mail")
    assert list(claim.agencies.all()) == [world["ice"]]
    attribution = claim.attributions.get()
    assert (attribution.document, attribution.origin, attribution.locator) == (
        world["beast"],
        world["people"],
        "para 2",
    )
    assert [hop.document for hop in attribution.hops.order_by("position")] == [world["post"], world["wire"]]
    # Who made it is in the history of every row written.
    assert claim.history.get().history_user == researcher
    assert attribution.history.get().history_user == researcher
    assert {hop.history_user for hop in AttributionHop.history.all()} == {researcher}


@pytest.mark.parametrize(
    ("via", "message"),
    [
        (["post", 999999], "Select a valid choice. 999999 is not one of the available choices."),
        (["post", "beast"], "db-article is the document the claim appears in"),
        (["post", "post"], "Listed more than once: wapo-report"),
    ],
)
def test_bad_via_is_refused_with_a_clear_error_and_nothing_saved(client, researcher, world, via, message):
    client.force_login(researcher)
    via = [world[name].pk if isinstance(name, str) else name for name in via]
    response = client.post(reverse("admin:agencies_claim_add"), add_claim_data(client, world, via))
    assert response.status_code == 200
    assert message in all_errors(response)
    assert not Claim.objects.exists()
    assert not Attribution.objects.exists()


def test_a_claim_needs_an_agency(client, researcher, world):
    client.force_login(researcher)
    data = add_claim_data(client, world, [])
    data["claim_agencies-0-agency"] = ""
    response = client.post(reverse("admin:agencies_claim_add"), data)
    assert response.status_code == 200
    assert "Please submit at least 1 form" in all_errors(response)
    assert not Claim.objects.exists()


def test_via_is_shown_and_reordered_on_the_change_page(client, researcher, world):
    client.force_login(researcher)
    claim = f.ClaimFactory(agencies=[world["ice"]])
    attribution = f.AttributionFactory(
        claim=claim, document=world["beast"], origin=world["people"], via=[world["post"], world["wire"]]
    )
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    data = form_data(client.get(url))
    assert data["attributions-0-via"] == via_of(world, "post", "wire")
    page = client.get(url).content.decode()
    shown = [page.index(f'value="{world[name].pk}" selected') for name in ("post", "wire")]
    assert shown == sorted(shown)
    data["attributions-0-via"] = via_of(world, "wire", "post")
    response = client.post(url, data)
    assert response.status_code == 302, all_errors(response)
    assert [hop.document for hop in attribution.hops.order_by("position")] == [world["wire"], world["post"]]
    moved = AttributionHop.history.filter(history_type="~")
    assert moved.count() == 2
    assert {record.history_user for record in moved} == {researcher}


def test_status_change_needs_a_reason_kept_in_history(client, researcher, world):
    client.force_login(researcher)
    claim = f.ClaimFactory(agencies=[world["ice"]])
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    data = form_data(client.get(url))
    data["status"] = ClaimStatus.DISPUTED
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Say why the status changes" in all_errors(response)
    data["change_reason"] = "ICE denied it on record"
    response = client.post(url, data)
    assert response.status_code == 302, all_errors(response)
    latest = claim.history.latest("history_date")
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        ClaimStatus.DISPUTED,
        researcher,
        "ICE denied it on record",
    )


def test_change_page_shows_chains_origins_and_flags(client, researcher, world):
    client.force_login(researcher)
    claim = f.ClaimFactory(agencies=[world["ice"]], status=ClaimStatus.CORROBORATED)
    f.AttributionFactory(
        claim=claim, document=world["beast"], origin=world["people"], via=[world["post"]], quote="enlisted"
    )
    f.AttributionFactory(claim=claim, document=world["post"], origin=world["people"])
    response = client.get(reverse("admin:agencies_claim_change", args=[claim.pk]))
    html = response.content.decode()
    assert (
        "The Daily Beast → The Washington Post → <strong>two people (fear of professional reprisals)</strong>"
        in html
    )
    assert f"({SourceKind.ANONYMOUS.label.lower()})" in html
    assert "<strong>1</strong>\n    independent origin\n" in html
    assert '<span class="ov-flag">anonymous only</span>' in html
    assert '<span class="ov-flag">single outlet</span>' in html
    assert "Marked corroborated with 1 independent origin" in html
    assert "“enlisted”" in html


def test_changelist_columns(client, researcher, world):
    client.force_login(researcher)
    claim = f.ClaimFactory(agencies=[world["ice"], f.AgencyFactory(acronym="DHS")], made="2025-05")
    f.AttributionFactory(claim=claim, document=world["beast"], origin=world["people"])
    f.ClaimFactory(agencies=[world["ice"]], made="2024")
    response = client.get(reverse("admin:agencies_claim_changelist"))
    html = response.content.decode()
    assert '<td class="field-agency_labels">ICE, DHS</td>' in html
    assert '<td class="field-made_shown">May 2025</td>' in html
    assert '<td class="field-made_shown">2024</td>' in html
    assert '<td class="field-independent_origins">1</td>' in html
    assert "no attribution: nothing traces this claim to a document" in html
    assert html.count('<span class="ov-flag">anonymous only</span>') == 1


def test_changelist_filters_by_flag_and_agency(client, researcher, world):
    client.force_login(researcher)
    anonymous = f.ClaimFactory(agencies=[world["ice"]])
    f.AttributionFactory(claim=anonymous, document=world["beast"], origin=world["people"])
    named = f.ClaimFactory(agencies=[f.AgencyFactory()])
    f.AttributionFactory(claim=named, document=world["beast"], origin=f.SourceFactory())
    url = reverse("admin:agencies_claim_changelist")

    def listed(query):
        return set(client.get(url, query).context["cl"].result_list)

    assert listed({"evidence": "anonymous_only"}) == {anonymous}
    assert listed({"evidence": "single_outlet"}) == {anonymous, named}
    assert listed({"agencies__id__exact": world["ice"].pk}) == {anonymous}
    assert listed({"q": named.slug}) == {named}


def test_claim_text_markup_is_escaped(client, researcher, world):
    client.force_login(researcher)
    text = "<script>alert('x')</script><b>bold</b>"
    claim = f.ClaimFactory(text=text, agencies=[world["ice"]])
    quoted = f.AnonymousSourceFactory(description="<i>someone</i>", reason="")
    f.AttributionFactory(claim=claim, document=world["beast"], origin=quoted, quote="<img src=x>")
    for url in (
        reverse("admin:agencies_claim_changelist"),
        reverse("admin:agencies_claim_change", args=[claim.pk]),
        reverse("admin:agencies_attribution_changelist"),
    ):
        html = client.get(url).content.decode()
        for raw in ("<script>alert", "<b>bold</b>", "<i>someone</i>", "<img src=x>"):
            assert raw not in html, (url, raw)
    html = client.get(reverse("admin:agencies_claim_change", args=[claim.pk])).content.decode()
    assert "&lt;i&gt;someone&lt;/i&gt;" in html
    assert "&lt;img src=x&gt;" in html


def test_attribution_hops_inline_refuses_the_attribution_document(client, researcher, world):
    client.force_login(researcher)
    attribution = f.AttributionFactory(document=world["beast"], origin=world["people"], via=[world["post"]])
    url = reverse("admin:agencies_attribution_change", args=[attribution.pk])
    data = form_data(client.get(url))
    data["hops-0-document"] = world["beast"].pk
    response = client.post(url, data)
    assert response.status_code == 200
    assert "db-article is the document the claim appears in" in all_errors(response)
    assert [hop.document for hop in attribution.hops.all()] == [world["post"]]


def test_a_line_added_on_the_claim_page_takes_the_next_position(client, researcher, world):
    client.force_login(researcher)
    claim = f.ClaimFactory(agencies=[world["ice"]])
    first = f.AttributionFactory(claim=claim, document=world["beast"], origin=world["people"])
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    data = form_data(client.get(url))
    added = {"document": world["post"].pk, "origin": world["people"].pk, "stance": "supports"}
    data.update({f"attributions-1-{name}": value for name, value in added.items()})
    # What the browser posts: the position the "add another" template shows (blank: after the last).
    (inline,) = [
        i for i in client.get(url).context["inline_admin_formsets"] if i.formset.model is Attribution
    ]
    data["attributions-1-position"] = inline.formset.empty_form["position"].value() or ""
    response = client.post(url, data | {"attributions-TOTAL_FORMS": "2"})
    assert response.status_code == 302, all_errors(response)
    assert list(claim.attributions.order_by("position").values_list("pk", "position")) == [
        (first.pk, 0),
        (claim.attributions.get(document=world["post"]).pk, 1),
    ]


def test_two_lines_at_one_position_are_refused_with_a_message(client, researcher, world):
    client.force_login(researcher)
    claim = f.ClaimFactory(agencies=[world["ice"]])
    f.AttributionFactory(claim=claim, document=world["beast"], origin=world["people"])
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    data = form_data(client.get(url))
    added = {"document": world["post"].pk, "origin": world["people"].pk, "stance": "supports", "position": 0}
    data.update({f"attributions-1-{name}": value for name, value in added.items()})
    response = client.post(url, data | {"attributions-TOTAL_FORMS": "2"})
    assert response.status_code == 200
    assert "Please correct the duplicate data for position." in all_errors(response)
    assert claim.attributions.count() == 1
