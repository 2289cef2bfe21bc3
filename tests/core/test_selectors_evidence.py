import pytest

from agencies import models as m
from agencies.core.selectors import Chain, claim_evidence, claims_with_evidence
from tests import factories as f
from tests.factories import article, line, outlet

pytestmark = pytest.mark.django_db

TWO_PEOPLE = "two people who spoke on the condition of anonymity (fear of professional reprisals)"


@pytest.fixture
def postal():
    """The Daily Beast's report on The Post's sources, as the seed has it."""
    beast, post, reuters = outlet("The Daily Beast"), outlet("The Washington Post"), outlet("Reuters")
    return {
        "beast": beast,
        "post": post,
        "reuters": reuters,
        "beast_article": article(beast, "U.S. Post Office Accused of Secret Deportation Assistance"),
        "post_report": article(post, "Postal inspectors enlisted", published="2025-05-12"),
        "reuters_report": article(reuters, "Deportations in the first month"),
        "two_people": f.AnonymousSourceFactory(),
        "dhs_official": f.SourceFactory(
            kind=m.SourceKind.OFFICIAL, name="", description="a senior DHS official"
        ),
        "dhs_data": f.SourceFactory(kind=m.SourceKind.DATASET, name="", description="DHS data"),
    }


def evidence_of(claim):
    return claim_evidence(claims_with_evidence().get(pk=claim.pk))


def test_chain_prints_document_then_via_documents_then_origin(postal):
    claim = f.ClaimFactory()
    line(
        claim,
        postal["beast_article"],
        postal["two_people"],
        via=[postal["post_report"]],
        quote="very, very nervous",
        locator="para 4",
    )

    (chain,) = evidence_of(claim).chains

    assert isinstance(chain, Chain)
    assert chain.steps == ["The Daily Beast", "The Washington Post"]
    assert chain.origin_label == TWO_PEOPLE
    assert chain.origin_kind == m.SourceKind.ANONYMOUS
    assert chain.text == f"The Daily Beast → The Washington Post → {TWO_PEOPLE}"
    assert (chain.quote, chain.locator, chain.stance) == ("very, very nervous", "para 4", "supports")
    # The line rests on The Post's reporting, the document closest to the origin.
    assert chain.reporting_outlet_id == postal["post"].pk


def test_chain_uses_title_without_outlet_and_keeps_hop_order(postal):
    claim = f.ClaimFactory()
    press = article(None, "Border czar press briefing, April 28")
    attribution = line(claim, postal["beast_article"], postal["dhs_data"])
    # Created out of order: the positions say the order.
    m.AttributionHop.objects.create(attribution=attribution, document=press, position=2)
    m.AttributionHop.objects.create(attribution=attribution, document=postal["reuters_report"], position=1)

    (chain,) = evidence_of(claim).chains

    assert chain.steps == ["The Daily Beast", "Reuters", "Border czar press briefing, April 28"]
    assert chain.text == "The Daily Beast → Reuters → Border czar press briefing, April 28 → DHS data"
    assert chain.reporting_outlet_id is None


def test_chain_without_hops_is_the_document_then_the_origin(postal):
    claim = f.ClaimFactory()
    line(claim, postal["post_report"], postal["dhs_official"])

    (chain,) = evidence_of(claim).chains

    assert chain.text == "The Washington Post → a senior DHS official"
    assert chain.reporting_outlet_id == postal["post"].pk


def test_chains_follow_attribution_positions(postal):
    claim = f.ClaimFactory()
    line(claim, postal["reuters_report"], postal["dhs_data"], position=1)
    line(claim, postal["post_report"], postal["two_people"], position=0)

    assert [chain.steps[0] for chain in evidence_of(claim).chains] == ["The Washington Post", "Reuters"]


def test_rereporting_the_same_origin_counts_once(postal):
    claim = f.ClaimFactory()
    line(claim, postal["post_report"], postal["two_people"])
    line(claim, postal["beast_article"], postal["two_people"], via=[postal["post_report"]], position=1)

    evidence = evidence_of(claim)

    assert len(evidence.chains) == 2
    assert evidence.independent_origins == 1
    assert evidence.anonymous_only is True
    assert evidence.single_outlet is True


def test_anonymous_and_official_through_one_report_are_two_origins_but_single_outlet(postal):
    claim = f.ClaimFactory()
    line(claim, postal["beast_article"], postal["two_people"], via=[postal["post_report"]])
    line(claim, postal["beast_article"], postal["dhs_official"], via=[postal["post_report"]], position=1)

    evidence = evidence_of(claim)

    assert evidence.independent_origins == 2
    assert evidence.single_outlet is True
    # An unnamed official is no more traceable than an anonymous source.
    assert evidence.anonymous_only is True


def test_a_data_set_origin_is_not_anonymous(postal):
    claim = f.ClaimFactory()
    line(claim, postal["beast_article"], postal["two_people"], via=[postal["post_report"]])
    line(claim, postal["beast_article"], postal["dhs_data"], via=[postal["reuters_report"]], position=1)

    evidence = evidence_of(claim)

    assert evidence.anonymous_only is False
    assert evidence.single_outlet is False
    assert evidence.independent_origins == 2


def test_only_supporting_lines_count(postal):
    claim = f.ClaimFactory()
    line(claim, postal["post_report"], postal["two_people"])
    line(claim, postal["reuters_report"], postal["dhs_data"], stance=m.Stance.DISPUTES, position=1)
    line(claim, postal["beast_article"], f.SourceFactory(), stance=m.Stance.MENTIONS, position=2)

    evidence = evidence_of(claim)

    assert evidence.independent_origins == 1
    assert evidence.anonymous_only is True
    assert evidence.single_outlet is True
    assert [c.stance for c in evidence.disputing] == ["disputes"]


def test_no_supporting_line_is_neither_anonymous_only_nor_single_outlet(postal):
    claim = f.ClaimFactory()
    line(claim, postal["post_report"], postal["two_people"], stance=m.Stance.DISPUTES)

    evidence = evidence_of(claim)

    assert evidence.independent_origins == 0
    assert evidence.anonymous_only is False
    assert evidence.single_outlet is False


def test_lines_through_documents_without_outlet_are_not_single_outlet(postal):
    claim = f.ClaimFactory()
    line(claim, article(None, "A web page"), postal["two_people"])

    assert evidence_of(claim).single_outlet is False


@pytest.mark.parametrize(
    ("status", "lines", "expected"),
    [
        (
            "corroborated",
            [("post", "two_people", "supports")],
            ["marked corroborated with 1 independent origin"],
        ),
        (
            "corroborated",
            [("post", "two_people", "supports"), ("beast", "two_people", "supports")],
            ["marked corroborated with 1 independent origin"],
        ),
        ("corroborated", [("post", "two_people", "supports"), ("reuters", "dhs_data", "supports")], []),
        (
            "corroborated",
            [("post", "two_people", "supports"), ("post", "dhs_official", "supports")],
            ["marked corroborated but every supporting line passes through one outlet"],
        ),
        (
            "corroborated",
            [("post", "two_people", "disputes")],
            ["marked corroborated with 0 independent origins"],
        ),
        ("confirmed", [("post", "two_people", "mentions")], ["marked confirmed with no supporting line"]),
        ("confirmed", [("post", "two_people", "supports")], []),
        ("disputed", [("post", "two_people", "supports")], ["marked disputed with no disputing line"]),
        ("refuted", [("post", "two_people", "mentions")], ["marked refuted with no disputing line"]),
        ("refuted", [("reuters", "dhs_data", "disputes")], []),
        ("unverified", [("post", "two_people", "supports")], []),
        ("unverified", [], ["no attribution: nothing traces this claim to a document"]),
    ],
)
def test_status_that_disagrees_with_the_evidence_is_flagged(postal, status, lines, expected):
    documents = {"post": "post_report", "beast": "beast_article", "reuters": "reuters_report"}
    claim = f.ClaimFactory(status=status)
    for position, (document, origin, stance) in enumerate(lines):
        line(claim, postal[documents[document]], postal[origin], stance=stance, position=position)

    assert evidence_of(claim).warnings == expected


def test_claim_evidence_from_claims_with_evidence_runs_no_query(postal, django_assert_num_queries):
    for _ in range(3):
        claim = f.ClaimFactory(status=m.ClaimStatus.CORROBORATED)
        line(claim, postal["beast_article"], postal["two_people"], via=[postal["post_report"]])
        line(claim, postal["reuters_report"], postal["dhs_data"], via=[postal["beast_article"]], position=1)
    with django_assert_num_queries(4):
        claims = list(claims_with_evidence())
    with django_assert_num_queries(0):
        results = [claim_evidence(claim) for claim in claims]
    assert [len(r.chains) for r in results] == [2, 2, 2]
    assert {r.chains[0].text for r in results} == {f"The Daily Beast → The Washington Post → {TWO_PEOPLE}"}


def test_claims_with_evidence_keeps_the_given_filter(postal):
    kept = f.ClaimFactory(status=m.ClaimStatus.DISPUTED)
    f.ClaimFactory(status=m.ClaimStatus.CONFIRMED)

    qs = claims_with_evidence(m.Claim.objects.filter(status=m.ClaimStatus.DISPUTED))

    assert list(qs) == [kept]


def test_confidential_notes_never_reach_a_chain(postal):
    m.SourceConfidentialNote.objects.create(source=postal["two_people"], notes="Jane Roe, +1 555 0100")
    claim = f.ClaimFactory()
    line(claim, postal["post_report"], postal["two_people"])

    (chain,) = evidence_of(claim).chains

    assert "Jane Roe" not in repr(chain)
    assert "Jane Roe" not in chain.text
