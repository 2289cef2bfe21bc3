"""The proposer's parts, each on the smallest text that shows it: the article's structure, periods,
sources, speakers, figures, reports cited, comment requests, missions, and matching the record."""

import datetime as dt
from pathlib import Path

import pytest

from agencies.intake import KnownRecord, propose
from agencies.intake.article import read_article
from agencies.intake.periods import Context, find_periods

GOLD = Path(__file__).parent / "gold"
SEED_TEXT = (GOLD / "seed-daily-beast.txt").read_text(encoding="utf-8")
KNOWN = {
    "agencies": [
        {
            "id": "dhs",
            "name": "Department of Homeland Security",
            "acronym": "DHS",
            "kind": "executive_department",
        },
        {
            "id": "ice",
            "name": "U.S. Immigration and Customs Enforcement",
            "acronym": "ICE",
            "kind": "law_enforcement",
            "parent": "dhs",
        },
        {
            "id": "usps",
            "name": "United States Postal Service",
            "acronym": "USPS",
            "kind": "independent_agency",
        },
    ],
    "outlets": [{"id": "washington-post", "name": "The Washington Post", "kind": "news"}],
    "documents": [
        {
            "id": "wapo-report",
            "kind": "article",
            "outlet": "washington-post",
            "title": "The Post's report",
            "published": "2025-05",
        }
    ],
    "sources": [
        {
            "id": "wapo-two-people",
            "kind": "anonymous",
            "description": "two people",
            "count": 2,
            "granted_by": "wapo-report",
        },
        {"id": "tom-homan", "kind": "person", "name": "Tom Homan", "title": "White House border czar"},
    ],
    "claims": [{"id": "usps-said-tuesday-that-only"}],
}


def section(draft, name):
    return draft.dossier.get(name, [])


def by_kind(draft, kind):
    return [s for s in section(draft, "sources") if s["kind"] == kind]


# --- the article -----------------------------------------------------------------------------------


def test_header_lines_give_headline_outlet_byline_and_date_with_its_precision():
    article = read_article(
        "Headline about the Postal Service\nReuters\nBy Ann Lee and Bo Chen\nMay 2025\n\nFirst paragraph.\n"
    )
    assert article.headline == "Headline about the Postal Service"
    assert article.outlet_line == "Reuters"
    assert article.authors == ["Ann Lee", "Bo Chen"]
    assert str(article.date) == "2025-05"  # month precision: never May 1st
    assert [article.body[p.start : p.end] for p in article.paragraphs] == ["First paragraph."]


def test_the_seed_has_no_header_its_title_and_outlet_come_from_the_footer():
    article = read_article(SEED_TEXT)
    assert article.headline == "U.S. Post Office Accused of Secret Deportation Assistance"
    assert article.footer_outlet == "The Daily Beast"
    numbers = {article.body[p.start : p.end][:9]: p.number for p in article.paragraphs}
    assert numbers["Tom Homan"] == 11 and numbers["Austin Ko"] == 14
    assert len(article.paragraphs) == 14  # the footer is not a paragraph


def test_html_is_read_as_its_visible_text_and_spans_point_into_the_html():
    html = (GOLD / "press-release-dhs-100-days.html").read_text(encoding="utf-8")
    draft = propose(html)
    assert draft.dossier["documents"][0]["kind"] == "press_release"
    assert draft.dossier["documents"][0]["published"] == "2025-04-29"
    noem = next(p for p in draft.proposals if p.section == "sources" and p.key == "kristi-noem")
    assert [html[s:e] for s, e in noem.spans] == ["Kristi Noem"]
    quoted = [html[s:e] for p in draft.proposals if p.section == "claims" for s, e in p.spans]
    assert "We are removing the worst of the worst." in quoted
    assert (
        "In just 100 days, President Trump has delivered the most secure border in American history" in quoted
    )
    assert "window.dataLayer" not in str(draft.dossier)  # scripts are not text


def test_every_span_lies_in_the_text_as_given():
    draft = propose(SEED_TEXT, published="2025-05")
    assert draft.proposals
    for proposal in draft.proposals:
        for start, end in proposal.spans:
            assert 0 <= start < end <= len(SEED_TEXT), proposal


# --- periods ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("88,400 removals in the first quarter of 2026", "2026-01-01", "2026-03-31"),
        ("6,100 mail covers in all of fiscal 2024", "2023-10-01", "2024-09-30"),
        ("212 mail covers between February and April", "2025-02", "2025-04"),
        ("102,300 arrests between January 1 and March 31, 2026", "2026-01-01", "2026-03-31"),
        ("deported 37,660 people in its first month in office", "2025-01-20", "2025-02-19"),
        ("66,000 arrests in the administration’s first 100 days", "2025-01-20", "2025-04-29"),
        ("57,000 a month during Biden’s final year of presidency", "2024-01-20", "2025-01-19"),
        ("93 percent of members surveyed in May", "2025-05", "2025-05"),
    ],
)
def test_periods_resolve_to_dates_with_the_precision_written(text, start, end):
    periods = find_periods(text, 0, len(text), Context(dt.date(2025, 5, 20), True), said_on=None)
    assert [(str(p.start), str(p.end)) for p in periods] == [(start, end)]


def test_since_runs_to_the_day_it_was_said_and_the_inauguration_is_a_known_day():
    draft = propose(
        "Title here\n\n"
        "Tom Homan said on April 28 that ICE had deported 139,000 people since the inauguration.\n",
        published="2025-05-03",
    )
    (figure,) = section(draft, "figures")
    assert (figure["value"], figure["period_start"], figure["period_end"]) == (
        139000,
        "2025-01-20",
        "2025-04-28",
    )


def test_a_date_without_a_year_in_the_article_takes_the_year_before_when_it_would_be_later():
    draft = propose(
        "Title here\n\nICE made 500 arrests between November 1 and December 31, the data show.\n",
        published="2026-01-15",
    )
    (figure,) = section(draft, "figures")
    assert (figure["period_start"], figure["period_end"]) == ("2025-11-01", "2025-12-31")


# --- sources ---------------------------------------------------------------------------------------


def test_the_seed_gives_back_every_source_of_the_seed_dossier():
    draft = propose(SEED_TEXT, published="2025-05")
    (two,) = [s for s in by_kind(draft, "anonymous") if s["count"] == 2]
    assert two["reason"] == "fear of professional reprisals"
    assert two["description"] == "two people who spoke on the condition of anonymity"
    (one,) = [s for s in by_kind(draft, "anonymous") if s["count"] == 1]
    assert one["description"] == "one source familiar with the matter"
    # Both were granted anonymity by The Post's report, which the article cites.
    post = next(d for d in section(draft, "documents") if d.get("outlet") == "washington-post")
    assert two["granted_by"] == one["granted_by"] == post["id"]
    (official,) = by_kind(draft, "official")
    assert (official["description"], official["affiliation"]) == ("a senior DHS official", "dhs")
    people = {s["name"]: s for s in by_kind(draft, "person")}
    assert set(people) == {"Donald Trump", "Tom Homan", "Austin Kocher"}  # not Joe Biden: he says nothing
    assert people["Tom Homan"]["title"] == "Trump’s border czar"
    assert people["Tom Homan"]["affiliation"] == "white-house"
    assert people["Austin Kocher"]["title"].startswith("Syracuse University researcher")
    assert {s["description"] for s in by_kind(draft, "dataset")} == {"DHS data", "ICE data"}


def test_organisations_agencies_speaking_and_people_without_an_agency():
    draft = propose((GOLD / "short-govexec-union.txt").read_text(encoding="utf-8"))
    assert [s["name"] for s in by_kind(draft, "organisation")] == ["American Postal Workers Union"]
    (person,) = by_kind(draft, "person")
    assert (person["name"], person["title"]) == ("Mark Dimondstein", "union president")
    release = propose((GOLD / "press-release-dhs-100-days.html").read_text(encoding="utf-8"))
    assert [s["agency"] for s in by_kind(release, "agency")] == ["dhs"]


def test_sources_already_in_the_record_keep_their_ids():
    text = (
        "Postal follow-up\nReuters\nMay 20, 2025\n\n"
        "The Washington Post reported earlier this month, citing two people familiar with the matter, "
        "that the Inspection Service was helping DHS.\n\n"
        '"We follow the law," Tom Homan said.\n'
    )
    draft = propose(text, known=KnownRecord.from_dossier(KNOWN))
    origins = {line["origin"] for claim in section(draft, "claims") for line in claim["attributions"]}
    assert {"wapo-two-people", "tom-homan"} <= origins
    assert section(draft, "sources") == []  # the record's are referred to by id, never rewritten
    assert "wapo-report" in draft.dossier["documents"][0]["cites"]
    matched = {p.key: p.match for p in draft.proposals if p.match}
    assert matched["wapo-two-people"] == "wapo-two-people" and matched["dhs"] == "dhs"
    # What the record holds is named as it is there: importing it changes nothing.
    dhs = next(a for a in section(draft, "agencies") if a["id"] == "dhs")
    assert dhs == {
        "id": "dhs",
        "name": "Department of Homeland Security",
        "acronym": "DHS",
        "kind": "executive_department",
        "missions": [],
    }


def test_new_ids_never_take_an_id_the_record_uses():
    text = (
        "Title here\n\nThe U.S. Postal Service said on Tuesday that it only shares data the law requires.\n"
    )
    (free,) = section(propose(text, published="2025-05-20"), "claims")
    known = {**KNOWN, "claims": [{"id": free["id"]}]}
    (claim,) = section(propose(text, published="2025-05-20", known=KnownRecord.from_dossier(known)), "claims")
    assert claim["id"] == f"{free['id']}-2"


def test_a_statement_about_no_agency_is_left_out_and_said_so():
    draft = propose("Title here\n\nJane Roe said the weather was fine.\n", published="2025-05-20")
    assert "claims" not in draft.dossier
    assert "name no agency" in next(p for p in draft.proposals if p.section == "documents").question


# --- who said what -------------------------------------------------------------------------------


def test_quotes_go_to_their_speakers_through_pronouns_and_words_pointing_back():
    draft = propose(SEED_TEXT, published="2025-05")
    speaker = {}
    for claim in section(draft, "claims"):
        for line in claim["attributions"]:
            if line.get("quote"):
                speaker[line["quote"][:20].rstrip(".")] = line["origin"]
    post_people = next(s["id"] for s in by_kind(draft, "anonymous") if s["count"] == 2)
    one_source = next(s["id"] for s in by_kind(draft, "anonymous") if s["count"] == 1)
    assert speaker["millions"] == "donald-trump"  # "Trump, who has vowed to deport “millions”"
    assert speaker["mail covers"] == post_people  # "The sources told The Post ..."
    assert speaker["complete overreach"] == one_source
    assert speaker["The Inspection Servi"] == one_source  # "..., the source said."
    assert speaker["They seem to be tryin"[:20]] == one_source  # the same paragraph's speaker
    assert speaker["a key part of ensuri"] == "senior-dhs-official"
    assert speaker["The numbers are good"] == "tom-homan"  # "he told reporters"
    assert speaker["either engaging in a"] == "austin-kocher"


def test_chains_run_through_the_report_or_briefing_they_came_by():
    draft = propose(SEED_TEXT, published="2025-05")
    docs = {d["id"]: d for d in section(draft, "documents")}
    vias = {}
    for claim in section(draft, "claims"):
        for line in claim["attributions"]:
            vias.setdefault(line["origin"], set()).update(line.get("via", []))
    outlet_of = {key: docs[key].get("outlet") or docs[key]["kind"] for key in docs}
    assert {outlet_of[v] for v in vias["senior-dhs-official"]} == {"washington-post"}
    assert {outlet_of[v] for v in vias["austin-kocher"]} == {"usa-today"}  # "told the publication"
    assert {docs[v]["kind"] for v in vias["tom-homan"]} == {"transcript"}  # the press briefing
    assert {outlet_of[v] for v in vias["dhs-data"]} == {"reuters"}  # "According to Reuters"


def test_a_transcript_gives_each_turn_to_its_speaker_and_asks_for_a_name_it_lacks():
    text = (
        "Gaggle\nThe White House\nMay 6, 2025\n\n"
        "Q: Is it true?\n\nMR. SMITH: We follow the law.\n\nQ: Really?\n\nMR. SMITH: Yes.\n"
    )
    draft = propose(text)
    assert draft.dossier["documents"][0]["kind"] == "transcript"
    (person,) = by_kind(draft, "person")
    assert person["name"] == "Smith"
    question = next(p for p in draft.proposals if p.key == person["id"]).question
    assert "full name" in question
    quotes = [line["quote"] for c in section(draft, "claims") for line in c["attributions"]]
    assert quotes == ["We follow the law.", "Yes."]  # the reporters' questions are nobody's claims


# --- figures, reports, comment requests, missions --------------------------------------------------


def test_the_seed_gives_back_its_figures_with_their_periods():
    draft = propose(SEED_TEXT, published="2025-05")
    got = {(f["value"], f["period_start"], f["period_end"]) for f in section(draft, "figures")}
    assert got == {
        (37660, "2025-01-20", "2025-02-19"),
        (57000, "2024-01-20", "2025-01-19"),
        (139000, "2025-01-20", "2025-04-28"),
        (57000, "2025-01-20", "2025-04-28"),
    }
    inherited = next(
        p for p in draft.proposals if p.section == "figures" and p.label.startswith("57000 people")
    )
    assert "compared with" in inherited.question  # the period is taken from Homan's: said so


def test_a_value_the_text_rejects_and_durations_are_not_figures():
    text = (
        "Correction\nUSA Today\nMay 3, 2025\n\n"
        "Data from ICE show about 57,000 deportations between Jan. 20 and April 28, not 75,000,"
        " in 100 days.\n"
    )
    draft = propose(text)
    assert [f["value"] for f in section(draft, "figures")] == [57000]


def test_a_figure_without_any_period_carries_a_question():
    draft = propose("Title here\n\nICE has 6,000 officers, the agency said.\n", published="2025-05-02")
    (figure,) = section(draft, "figures")
    assert (figure["period_start"], figure["period_end"]) == ("2025-05-02", "2025-05-02")
    assert "no period" in next(p for p in draft.proposals if p.section == "figures").question


def test_the_seed_cites_four_reports_and_the_briefing():
    draft = propose(SEED_TEXT, published="2025-05")
    docs = {d["id"]: d for d in section(draft, "documents")}
    cited = [docs[key] for key in draft.dossier["documents"][0]["cites"]]
    assert {(d["kind"], d.get("outlet")) for d in cited if d["kind"] != "dataset"} == {
        ("article", "washington-post"),
        ("article", "reuters"),
        ("article", "usa-today"),
        ("webpage", "uspis-press"),  # "according to its own website"
        ("transcript", "white-house-press"),  # "told reporters during a press briefing"
    }


@pytest.mark.parametrize(
    ("sentence", "response", "text"),
    [
        ("The Daily Beast has reached out to the DHS for comment.", "none", None),
        ("ICE did not respond to a request for comment.", "none", None),
        ("U.S. Immigration and Customs Enforcement declined to comment.", "declined", None),
        (
            "An ICE spokesperson declined to comment on the figures.",
            "declined",
            "declined to comment on the figures",
        ),
        ("DHS referred questions to ICE.", "responded", "referred questions to ICE"),
    ],
)
def test_comment_requests_and_what_came_back(sentence, response, text):
    draft = propose(f"Title here\n\n{sentence}\n", published="2025-05-01")
    (request,) = section(draft, "comment_requests")
    assert request["response"] == response
    assert request.get("response_text") == text
    assert request["requested"] == "2025-05-01"


def test_missions_quoted_or_described_and_new_agencies_with_their_parent():
    text = (
        "Mail covers\nThe Washington Post\nJune 12, 2025\n\n"
        "An audit by the Postal Service's Office of Inspector General found gaps.\n\n"
        'The inspector general\'s office, whose stated mission is "to conduct independent audits," '
        "said in a statement that it had opened a review.\n"
    )
    draft = propose(text, known=KnownRecord.from_dossier(KNOWN))
    oig = next(a for a in section(draft, "agencies") if "Inspector General" in a["name"])
    assert (oig["name"], oig["parent"]) == ("USPS Office of Inspector General", "usps")
    assert oig["missions"] == [
        {
            "text": "to conduct independent audits",
            "document": draft.dossier["documents"][0]["id"],
            "as_of": "2025-06-12",
        }
    ]
    assert [s["agency"] for s in by_kind(draft, "agency")] == [oig["id"]]
    assert next(p for p in draft.proposals if p.key == oig["id"]).question  # new: asked to check


def test_a_mission_from_the_agency_website_is_not_proposed_twice():
    known = dict(KNOWN)
    known["agencies"] = KNOWN["agencies"] + [
        {
            "id": "uspis",
            "name": "United States Postal Inspection Service",
            "acronym": "USPIS",
            "kind": "law_enforcement",
            "parent": "usps",
            "missions": [{"text": "investigating mail theft", "document": "uspis-website"}],
        },
    ]
    known["outlets"] = KNOWN["outlets"] + [
        {"id": "uspis-web", "name": "U.S. Postal Inspection Service", "kind": "government"}
    ]
    known["documents"] = KNOWN["documents"] + [
        {"id": "uspis-website", "kind": "webpage", "outlet": "uspis-web", "title": "USPIS website"}
    ]
    draft = propose(SEED_TEXT, published="2025-05", known=KnownRecord.from_dossier(known))
    uspis = next(a for a in section(draft, "agencies") if a["id"] == "uspis")
    assert uspis["missions"] == [
        {"text": "investigating mail theft", "document": "uspis-website"}
    ]  # kept, not doubled
    assert "uspis-website" in draft.dossier["documents"][0]["cites"]


def test_without_a_date_the_draft_asks_rather_than_guessing_silently():
    draft = propose(SEED_TEXT)
    document = next(
        p
        for p in draft.proposals
        if p.section == "documents" and p.key == draft.dossier["documents"][0]["id"]
    )
    assert "no publication date" in document.question
    assert "published" not in draft.dossier["documents"][0]


def test_a_bad_date_is_refused_naming_it():
    with pytest.raises(ValueError, match="published"):
        propose(SEED_TEXT, published="May 2025")


@pytest.mark.django_db
def test_proposing_reads_nothing_from_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        propose(SEED_TEXT, published="2025-05", known=KnownRecord.from_dossier(KNOWN))
