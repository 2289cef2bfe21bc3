"""A follow-up that reports the record's claims again adds lines to them, never a second claim; a
figure is one claim carrying it; a denial answers the claim it denies."""

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies import models as m
from agencies.exchange import dossier_import
from agencies.intake import KnownRecord, propose
from tests import factories as f

GOLD = Path(__file__).parent / "gold"
FOLLOW_UP = (GOLD / "wire-reuters-usps-denial.txt").read_text(encoding="utf-8")
SEED = yaml.safe_load((GOLD / "seed-daily-beast.yaml").read_text(encoding="utf-8"))


def claims_of(draft) -> dict:
    return {c["id"]: c for c in draft.dossier["claims"]}


def test_the_follow_up_proposes_the_enlistment_claim_as_a_match_with_a_new_line():
    draft = propose(FOLLOW_UP, known=KnownRecord.from_dossier(SEED))
    claims = claims_of(draft)
    enlisted = claims["uspis-enlisted"]
    stored = next(c for c in SEED["claims"] if c["id"] == "uspis-enlisted")
    assert enlisted["text"] == stored["text"]  # the record's wording, not the article's
    article = draft.dossier["documents"][0]["id"]
    new = [line for line in enlisted["attributions"] if line["document"] == article]
    assert [(line["origin"], line["via"], line["locator"]) for line in new] == [
        ("wapo-two-people", ["wapo-report"], "para 3")
    ]
    assert len(enlisted["attributions"]) == len(stored["attributions"]) + 1
    proposal = next(p for p in draft.proposals if p.section == "claims" and p.key == "uspis-enlisted")
    assert proposal.match == "uspis-enlisted"
    # No other claim of the draft says it again.
    others = [c for c in claims.values() if c["id"] != "uspis-enlisted"]
    assert not any("enlisted" in c["text"] for c in others)
    assert "uspis-enlisted" not in {a["id"] for a in draft.dossier["agencies"]}


def test_the_denial_answers_the_claim_it_denies():
    draft = propose(FOLLOW_UP, known=KnownRecord.from_dossier(SEED))
    denials = [c for c in draft.dossier["claims"] if c["kind"] == "denial"]
    assert len(denials) == 1 and denials[0]["answers"] == "uspis-enlisted"
    assert "Partenheimer" in denials[0]["text"]


@pytest.mark.parametrize("record", ["empty", "seed"])
def test_a_figure_is_one_claim_carrying_it(record):
    known = KnownRecord.empty() if record == "empty" else KnownRecord.from_dossier(SEED)
    draft = propose(FOLLOW_UP, known=known)
    saying = [c for c in draft.dossier["claims"] if "37,660" in c["text"]]
    figures = [x for x in draft.dossier["figures"] if x["value"] == 37660]
    assert len(saying) == 1 and len(figures) == 1
    assert figures[0]["claim"] == saying[0]["id"] and saying[0]["kind"] == "figure"
    if record == "seed":
        # The record's claim and its figure, as stored: importing adds a line and no second figure.
        assert saying[0]["id"] == "deported-first-month"
        assert figures[0]["id"] == next(x["id"] for x in SEED["figures"] if x["value"] == 37660)


def test_a_sentence_is_not_matched_to_a_claim_about_other_agencies_or_in_other_words():
    known = KnownRecord.from_dossier(SEED)
    text = (
        "Agency adds staff\nReuters\nMay 21, 2025\n\n"
        "The Postal Inspection Service hired 200 new inspectors for mail theft cases, "
        "a USPS spokesperson said.\n\nICE said it enlisted more agents at the border."
    )
    draft = propose(text, known=known)
    assert not [p for p in draft.proposals if p.section == "claims" and p.match]


@pytest.mark.django_db
def test_the_record_claims_are_read_in_a_fixed_number_of_queries():
    call_command("load_seeds", stdout=io.StringIO())
    known = KnownRecord.from_database()
    with CaptureQueriesContext(connection) as few:
        claims = known.claims_about({"uspis", "dhs"})
    enlisted = next(c for c in claims if c.id == "uspis-enlisted")
    assert enlisted.agencies == ("uspis", "dhs") and len(enlisted.attributions) >= 2
    assert any(line.get("via") == ["wapo-report"] for line in enlisted.attributions)
    first = next(c for c in claims if c.id == "deported-first-month")
    assert [x["value"] for x in first.figures] == [37660]
    agency = m.Agency.objects.get(slug="uspis")
    for n in range(3):
        claim = f.ClaimFactory(slug=f"more-{n}", text=f"Another claim {n}")
        m.ClaimAgency.objects.create(claim=claim, agency=agency)
    with CaptureQueriesContext(connection) as more:
        assert len(known.claims_about({"uspis", "dhs"})) == len(claims) + 3
    assert len(few) == len(more) == 6


@pytest.mark.django_db
def test_the_follow_up_drafted_against_the_record_imports_as_lines_on_its_claims():
    call_command("load_seeds", stdout=io.StringIO())
    enlisted = m.Claim.objects.get(slug="uspis-enlisted")
    before = list(enlisted.attributions.order_by("position", "id").values_list("origin__slug", "quote"))
    figures = m.Figure.objects.count()
    draft = propose(FOLLOW_UP, known=KnownRecord.from_database())
    dossier_import(data=draft.dossier)
    lines = list(enlisted.attributions.order_by("position", "id").values_list("origin__slug", "quote"))
    assert lines[: len(before)] == before and len(lines) == len(before) + 1
    assert m.Figure.objects.count() == figures
    assert m.Figure.objects.get(value=37660).claim.attributions.count() == 2
    denial = m.Claim.objects.get(kind="denial", text__contains="Partenheimer")
    assert denial.answers == enlisted
