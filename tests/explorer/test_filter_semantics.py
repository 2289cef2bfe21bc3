"""ClaimFilter: what each filter selects, its normal form, and what it refuses."""

import pytest
from django.http import QueryDict

from agencies import models as m
from agencies.core.filters import ClaimFilter
from tests import factories as f

pytestmark = pytest.mark.django_db


def claim_filter(query: str) -> ClaimFilter:
    return ClaimFilter(QueryDict(query), queryset=m.Claim.objects.all())


def selected(query: str) -> list[str]:
    chosen = claim_filter(query)
    assert chosen.is_valid(), chosen.errors
    return sorted(chosen.qs.values_list("slug", flat=True))


def ordered(query: str) -> list[str]:
    chosen = claim_filter(query)
    assert chosen.is_valid(), chosen.errors
    return list(chosen.qs.values_list("slug", flat=True))


def line(claim, origin, *, stance=m.Stance.SUPPORTS, outlet=None, via_outlets=(), **kwargs):
    document = f.DocumentFactory(outlet=outlet)
    via = [f.DocumentFactory(outlet=o) for o in via_outlets]
    return f.AttributionFactory(
        claim=claim, document=document, origin=origin, stance=stance, via=via, **kwargs
    )


@pytest.fixture
def origins():
    return {
        "anonymous": f.AnonymousSourceFactory(slug="two-people"),
        "official": f.SourceFactory(slug="senior-official", kind=m.SourceKind.OFFICIAL, name=""),
        "person": f.SourceFactory(slug="named", name="Austin Kocher"),
        "dataset": f.SourceFactory(
            slug="ice-data", kind=m.SourceKind.DATASET, name="", description="ICE data"
        ),
    }


def test_origin_kind_selects_claims_with_a_line_from_that_kind_whatever_its_stance(origins):
    from_anonymous = f.ClaimFactory(slug="from-anonymous")
    line(from_anonymous, origins["anonymous"])
    disputed_by_person = f.ClaimFactory(slug="disputed-by-person")
    line(disputed_by_person, origins["dataset"])
    line(disputed_by_person, origins["person"], stance=m.Stance.DISPUTES)
    f.ClaimFactory(slug="no-lines")

    assert selected("origin_kind=anonymous") == ["from-anonymous"]
    assert selected("origin_kind=person") == ["disputed-by-person"]
    assert selected("origin_kind=anonymous&origin_kind=dataset") == ["disputed-by-person", "from-anonymous"]
    assert selected("origin_kind=official") == []
    assert "origin_kind" in claim_filter("origin_kind=rumour").errors


def test_anonymous_only_means_every_supporting_line_ends_in_an_unnamed_source(origins):
    anonymous_and_official = f.ClaimFactory(slug="anonymous-and-official")
    line(anonymous_and_official, origins["anonymous"])
    line(anonymous_and_official, origins["official"], position=1)
    # A named person disputing it does not make it any less anonymous-only: only support counts.
    line(anonymous_and_official, origins["person"], stance=m.Stance.DISPUTES, position=2)
    mixed = f.ClaimFactory(slug="mixed")
    line(mixed, origins["anonymous"])
    line(mixed, origins["dataset"], position=1)
    only_disputed = f.ClaimFactory(slug="only-disputed")
    line(only_disputed, origins["anonymous"], stance=m.Stance.DISPUTES)
    f.ClaimFactory(slug="no-lines")

    assert selected("anonymous_only=true") == ["anonymous-and-official"]
    assert selected("anonymous_only=false") == ["mixed", "no-lines", "only-disputed"]
    assert selected("anonymous_only=1") == selected("anonymous_only=yes") == ["anonymous-and-official"]


def test_single_outlet_follows_the_document_closest_to_the_origin(origins):
    post, beast, reuters = (
        f.OutletFactory(slug="post"),
        f.OutletFactory(slug="beast"),
        f.OutletFactory(slug="reuters"),
    )
    # The Beast twice re-reporting The Post: one outlet's reporting.
    through_post = f.ClaimFactory(slug="through-post")
    line(through_post, origins["anonymous"], outlet=beast, via_outlets=[post])
    line(through_post, origins["official"], outlet=post, position=1)
    # Two lines ending in different outlets.
    two_outlets = f.ClaimFactory(slug="two-outlets")
    line(two_outlets, origins["anonymous"], outlet=beast, via_outlets=[post])
    line(two_outlets, origins["dataset"], outlet=beast, via_outlets=[reuters], position=1)
    # The last via document has no outlet: the line's outlet is unknown, never its first document's.
    unknown = f.ClaimFactory(slug="unknown-outlet")
    line(unknown, origins["person"], outlet=post, via_outlets=[None])
    # Disputing lines do not count.
    disputed_elsewhere = f.ClaimFactory(slug="disputed-elsewhere")
    line(disputed_elsewhere, origins["person"], outlet=reuters)
    line(disputed_elsewhere, origins["dataset"], outlet=beast, stance=m.Stance.DISPUTES, position=1)

    assert selected("single_outlet=true") == ["disputed-elsewhere", "through-post"]
    assert selected("single_outlet=false") == ["two-outlets", "unknown-outlet"]


def test_contested_means_a_disputing_line_or_a_contested_figure(origins):
    disputed = f.ClaimFactory(slug="disputed-line")
    line(disputed, origins["person"])
    line(disputed, origins["dataset"], stance=m.Stance.DISPUTES, position=1)
    big = f.FigureFactory(claim__slug="big-figure", value=139000)
    small = f.FigureFactory(claim__slug="small-figure", value=57000)
    f.FigureFactory(
        claim__slug="close-figure", value=57000, period_start="2024-01-20", period_end="2024-04-28"
    )
    f.FigureFactory(
        claim__slug="within-tolerance", value=59000, period_start="2024-01-21", period_end="2024-04-27"
    )
    f.FigureFactory(
        claim__slug="elsewhere", value=10, geography="Texas", period_start="2023", period_end="2023"
    )
    f.FigureFactory(
        claim__slug="elsewhere-2", value=99999, geography="Ohio", period_start="2023", period_end="2023"
    )
    f.ClaimFactory(slug="plain")

    assert selected("contested=true") == ["big-figure", "disputed-line", "small-figure"]
    assert "plain" in selected("contested=false")
    assert big.claim.slug not in selected("contested=false") and small.claim.slug not in selected(
        "contested=false"
    )


def test_contested_figures_compare_as_monthly_rates_when_either_is_a_rate():
    # 57,000 a month against 171,000 over the same three months (about 57,800 a month): agreeing.
    f.FigureFactory(
        claim__slug="monthly",
        value=57000,
        unit="people per month",
        period_start="2025-01",
        period_end="2025-03",
    )
    f.FigureFactory(claim__slug="quarter", value=171000, period_start="2025-01", period_end="2025-03")
    assert selected("contested=true") == []
    # 10,000 a month over (nearly) the same months contests both.
    f.FigureFactory(
        claim__slug="low-rate",
        value=10000,
        unit="a month",
        period_start="2025-01-02",
        period_end="2025-03-30",
    )
    assert selected("contested=true") == ["low-rate", "monthly", "quarter"]


def test_made_bounds_respect_the_precision_of_the_claim():
    f.ClaimFactory(slug="in-2025", made="2025")
    f.ClaimFactory(slug="in-march", made="2025-03")
    f.ClaimFactory(slug="on-12-may", made="2025-05-12")
    f.ClaimFactory(slug="in-2024", made="2024-12-31")
    f.ClaimFactory(slug="undated", made=None)

    # "Since March": a claim made some day of 2025 may be since March; one of 2024 is not.
    assert selected("made_after=2025-03") == ["in-2025", "in-march", "on-12-may"]
    assert selected("made_after=2025-03-15") == ["in-2025", "in-march", "on-12-may"]
    assert selected("made_after=2025-04") == ["in-2025", "on-12-may"]
    assert selected("made_before=2025-03") == ["in-2024", "in-2025", "in-march"]
    assert selected("made_before=2025-02") == ["in-2024", "in-2025"]
    assert selected("made_after=2025-03&made_before=2025-03") == ["in-2025", "in-march"]
    assert "made_after" in claim_filter("made_after=March 2025").errors
    assert "made_before" in claim_filter("made_before=2025-02-30").errors


def test_search_covers_texts_quotes_titles_of_documents_and_via_documents_and_sources(origins):
    f.ClaimFactory(slug="by-text", text="Inspectors photograph envelopes for mail covers.")
    by_quote = f.ClaimFactory(slug="by-quote")
    line(by_quote, origins["person"], quote="the postal inspectors were nervous")
    by_title = f.ClaimFactory(slug="by-title")
    f.AttributionFactory(
        claim=by_title, document=f.DocumentFactory(title="Inspectors enlisted"), origin=origins["person"]
    )
    by_via = f.ClaimFactory(slug="by-via")
    f.AttributionFactory(
        claim=by_via,
        document=f.DocumentFactory(title="A roundup"),
        via=[f.DocumentFactory(title="What the inspectors told the Post")],
        origin=origins["person"],
    )
    by_source = f.ClaimFactory(slug="by-source")
    line(by_source, f.AnonymousSourceFactory(description="three postal inspectors"))
    f.ClaimFactory(slug="unrelated", text="Nothing about it here.")

    assert selected("q=inspectors") == ["by-quote", "by-source", "by-text", "by-title", "by-via"]
    assert selected("q=Kocher") == ["by-quote", "by-title", "by-via"]  # the name of their origin
    assert selected("q=+  ") == sorted(m.Claim.objects.values_list("slug", flat=True))


def test_search_never_reads_confidential_notes(origins):
    claim = f.ClaimFactory(slug="noted")
    line(claim, origins["anonymous"])
    m.SourceConfidentialNote.objects.create(
        source=origins["anonymous"], notes="Jane Roe of the Postal Service"
    )
    assert selected("q=Roe") == []


def test_filters_combine_with_and_and_values_with_or():
    top = f.AgencyFactory(slug="top")
    child = f.AgencyFactory(slug="child", parent=top)
    f.ClaimFactory(slug="top-disputed", agencies=[top], status=m.ClaimStatus.DISPUTED)
    f.ClaimFactory(slug="child-refuted", agencies=[child], status=m.ClaimStatus.REFUTED)
    f.ClaimFactory(slug="child-unverified", agencies=[child])
    assert selected("agency=top&status=disputed&status=refuted") == ["child-refuted", "top-disputed"]
    assert selected("agency=child&status=disputed") == []


def test_sorting_orders_and_breaks_ties_by_id(origins):
    a = f.ClaimFactory(slug="a", made="2025-05", status=m.ClaimStatus.REFUTED, kind=m.ClaimKind.ROLE)
    b = f.ClaimFactory(slug="b", made="2024", status=m.ClaimStatus.UNVERIFIED, kind=m.ClaimKind.FIGURE)
    c = f.ClaimFactory(slug="c", made=None, status=m.ClaimStatus.CONFIRMED, kind=m.ClaimKind.ROLE)
    d = f.ClaimFactory(slug="d", made="2025-05", status=m.ClaimStatus.CORROBORATED, kind=m.ClaimKind.DENIAL)
    line(d, origins["person"])
    line(d, origins["dataset"], position=1)
    line(d, origins["dataset"], position=2)  # the same origin again: still two independent origins
    line(a, origins["person"])
    line(c, origins["person"], stance=m.Stance.DISPUTES)  # a disputing line is not an origin

    assert ordered("") == ["a", "d", "b", "c"]  # newest first, undated last, then by id
    assert ordered("sort=-made") == ["a", "d", "b", "c"]
    assert ordered("sort=made") == ["b", "a", "d", "c"]
    assert ordered("sort=-origins") == ["d", "a", "b", "c"]
    assert ordered("sort=origins") == ["b", "c", "a", "d"]
    assert ordered("sort=status") == ["b", "d", "c", "a"]  # the order statuses are defined in
    assert ordered("sort=kind") == ["d", "b", "a", "c"]
    assert ordered("sort=-id") == ["d", "c", "b", "a"]
    assert "sort" in claim_filter("sort=text").errors
    del a, b, c


def test_flags_refuse_anything_but_yes_or_no():
    assert "anonymous_only" in claim_filter("anonymous_only=maybe").errors
    assert "contested" in claim_filter("contested=2").errors


def test_unknown_agency_or_outlet_is_an_error_not_everything():
    assert "agency" in claim_filter("agency=nowhere").errors
    assert "outlet" in claim_filter("outlet=nowhere").errors


def test_the_normal_form_is_the_same_however_the_selection_was_typed():
    top = f.AgencyFactory(slug="dhs", acronym="DHS")
    f.AgencyFactory(slug="ice", parent=top)
    f.AgencyFactory(slug="uspis", acronym="USPIS")
    typed = claim_filter(
        "status=disputed&agency=uspis&agency=dhs&anonymous_only=1&q=%20mail%20&made_after=2025-03&page=4"
    )
    assert typed.is_valid()
    assert typed.querystring() == (
        "agency=dhs&agency=uspis&anonymous_only=true&made_after=2025-03&q=mail&status=disputed"
    )
    again = claim_filter(typed.querystring())
    assert again.querystring() == typed.querystring()
    assert (
        claim_filter("sort=made&status=disputed").querystring(with_sort=True) == "status=disputed&sort=made"
    )
    assert claim_filter("sort=-made").querystring(with_sort=True) == ""  # the default is not written
    assert claim_filter("").querystring() == ""


def test_active_filters_each_come_with_the_selection_without_them():
    top = f.AgencyFactory(slug="dhs", acronym="DHS")
    f.AgencyFactory(slug="ice", acronym="ICE", parent=top)
    chosen = claim_filter("agency=dhs&agency=ice&status=disputed&contested=false&made_before=2025-05&q=mail")
    assert chosen.is_valid()
    active = {(item.name, item.value): item for item in chosen.active()}
    assert active[("agency", "dhs")].label == "About DHS, sub-agencies included"
    assert active[("agency", "ice")].label == "About ICE"
    assert active[("status", "disputed")].label == "Status: disputed"
    assert active[("contested", "false")].label == "Not contested"
    assert active[("made_before", "2025-05")].label == "Made on or before May 2025"
    assert active[("q", "mail")].label == "Mentioning “mail”"
    assert active[("agency", "dhs")].without == (
        "agency=ice&contested=false&made_before=2025-05&q=mail&status=disputed"
    )
    assert chosen.describe().startswith("Claims: about DHS, sub-agencies included; about ICE;")
    assert claim_filter("").describe() == "Every claim in the record"
