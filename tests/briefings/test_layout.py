"""How briefings print: read back page by page with pypdf, no page ends on a heading, the last page is
never a widow of a couple of lines, Letter and A4 as asked; and what the text says up front."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Count

from agencies import models as m
from agencies.briefings.data import briefing_data
from agencies.briefings.html import briefing_html
from agencies.briefings.render import briefing_render
from agencies.exchange.synthetic import record_load
from tests.briefings.pdf_reading import reader

pytestmark = pytest.mark.django_db

# Running heads and feet: not part of what a page ends with.
MARGIN_LINE = re.compile(
    r"^(OVERSIGHT\b.*|Public briefing|INTERNAL\b.*|Data fingerprint \w+|Page \d+ of \d+|.*Page \d+ of \d+)$"
)
WIDOW_LINES = 8


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def headings(scope, audience) -> set[str]:
    data = briefing_data(scope=scope, audience=audience)
    page = briefing_html(data, fingerprint="0" * 64, generated=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    found = set()
    for inner in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", page, flags=re.S):
        text = _norm(html_lib.unescape(re.sub(r"<[^>]+>", "", inner)))
        if text:
            found.add(text)
    return found


def body_lines(page) -> list[str]:
    lines = [" ".join(line.split()) for line in (page.extract_text() or "").splitlines()]
    return [line for line in lines if line and not MARGIN_LINE.match(line)]


def assert_prints_well(scope, audience="public", page_size="A4"):
    rendered = briefing_render(scope=scope, audience=audience, page_size=page_size)
    pdf = reader(rendered.pdf)
    titles = headings(scope, audience)
    width = float(pdf.pages[0].mediabox.width)
    assert round(width) == (612 if page_size == "letter" else 595), (scope, page_size, width)
    for number, page in enumerate(pdf.pages[1:], start=2):  # the cover is laid out by hand
        lines = body_lines(page)
        assert lines, f"page {number} of {scope} is empty"
        tail = {_norm(lines[-1]), _norm(" ".join(lines[-2:]))}
        assert not tail & titles, (
            f"page {number} of {scope} ({page_size}) ends with the heading {lines[-1]!r}"
        )
    last = body_lines(pdf.pages[-1])
    assert len(last) >= WIDOW_LINES, f"the last page of {scope} ({page_size}) holds only {last!r}"
    return rendered


@pytest.fixture
def seeded():
    call_command("load_seeds", stdout=io.StringIO())


@pytest.mark.parametrize("page_size", ["A4", "letter"])
def test_the_seed_briefings_print_without_orphaned_headings_or_widow_pages(seeded, page_size):
    for scope in ({"agencies": ["uspis"]}, {"agencies": ["dhs"]}, {"filter": "status=disputed"}):
        assert_prints_well(scope, page_size=page_size)
    assert_prints_well({"agencies": ["uspis"]}, audience="internal", page_size=page_size)


def test_generated_briefings_print_without_orphaned_headings_or_widow_pages():
    record_load(claims=60, seed=4, progress_stream=None)
    busiest = (
        m.Agency.objects.filter(parent__isnull=True)
        .annotate(n=Count("claim_agencies"))
        .order_by("-n", "slug")
        .first()
    )
    assert_prints_well({"agencies": [busiest.slug]})
    assert_prints_well({"filter": "status=disputed"}, page_size="letter")


def test_the_page_size_is_part_of_the_fingerprint(seeded):
    a4 = briefing_render(scope={"agencies": ["uspis"]}, audience="public", page_size="A4")
    letter = briefing_render(scope={"agencies": ["uspis"]}, audience="public", page_size="letter")
    assert a4.fingerprint != letter.fingerprint


def test_a_request_takes_its_page_size_from_the_setting_or_the_request(seeded, settings):
    from agencies.briefings.services import briefing_render_now

    settings.BRIEFING_PAGE_SIZE = "letter"
    default = briefing_render_now(actor=None, scope={"agencies": ["uspis"]}, audience="public")
    asked = briefing_render_now(actor=None, scope={"agencies": ["uspis"]}, audience="public", page_size="A4")
    assert (default.page_size, asked.page_size) == ("letter", "A4")
    sizes = [round(float(reader(b.file.read()).pages[0].mediabox.width)) for b in (default, asked)]
    assert sizes == [612, 595]


def test_the_briefing_says_it_all_up_front_and_lists_every_section(seeded):
    data = briefing_data(scope={"agencies": ["uspis"]}, audience="public")
    # What is reported, resting on whom, against what mission, who denies it, what is contested.
    assert "USPIS is reported to be: “Assisting DHS with tracking" in data.summary
    assert (
        "outside its stated mission" in data.summary and "every one resting only on anonymous" in data.summary
    )
    assert "No denial or dispute is recorded." in data.summary
    assert "Contested: 139,000 against 57,000 deportations" in data.summary
    assert "DHS had not responded by publication" in data.summary
    dhs = briefing_data(scope={"agencies": ["dhs"]}, audience="public")
    assert "Denied or disputed by ICE data" in dhs.summary
    # The DHS briefing counts the role USPIS is reported to play for it.
    assert [d.agency for d in dhs.findings.drift] == ["USPIS"]
    page = briefing_html(dhs, fingerprint="0" * 64, generated=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    contents = page[page.index('class="contents"') : page.index('class="about"')]
    for anchor in (
        "#findings",
        "#agencies",
        "#claims-agency-dhs",
        "#figures",
        "#timeline",
        "#requests",
        "#sources",
    ):
        assert f'href="{anchor}"' in contents
    assert "No stated mission on record" not in page and "No reported role on record" not in page
    # Only the statuses some claim has.
    assert [s.label for s in dhs.findings.statuses] == ["Unverified", "Disputed"]


def test_a_selection_says_where_its_claims_are_printed(seeded):
    data = briefing_data(scope={"filter": "status=disputed"}, audience="public")
    dhs = next(a for a in data.agencies if a.label == "DHS")
    assert dhs.also == [] and [ref.number for ref in dhs.also_below] == [1]
    page = briefing_html(data, fingerprint="0" * 64, generated=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert "(printed below under another agency)" in page and "printed above" not in page


def test_rate_pairs_say_something_and_which_side_is_larger(seeded):
    data = briefing_data(scope={"agencies": ["dhs"]}, audience="public")
    # Not "57,000 a month vs 57,000 people": neither side of a pair is a figure contested in its period.
    assert [(r.first.value, r.second.value, r.larger, r.ratio) for r in data.rates] == [
        ("57,000", "37,660", "earlier", "1.5×")
    ]


def test_the_chart_gives_each_bar_the_same_kind_of_second_line(seeded):
    from agencies.core.charts import contested_chart

    data = briefing_data(scope={"agencies": ["dhs"]}, audience="public")
    svg = str(contested_chart(data.contested))
    assert "people · press briefing" in svg and ">people</text>" in svg


def _heights(page, *starts: str) -> dict[str, float]:
    """Where (points from the foot of the page) the first piece of text starting with each string sits."""
    found: dict[str, float] = {}

    def visit(text, cm, tm, _font, _size):
        for start in starts:
            if start not in found and text.strip().startswith(start):
                found[start] = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]  # the text's y, on the page

    page.extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize("page_size", ["A4", "letter"])
def test_the_cover_note_follows_contents_and_never_runs_under_it(seeded, page_size):
    """A long Contents (every unverified claim, across four agencies) on the shorter Letter page ran
    under the cover's closing note when the note was pinned to the foot of the page."""
    rendered = briefing_render(scope={"filter": "status=unverified"}, audience="public", page_size=page_size)
    cover = reader(rendered.pdf).pages[0]
    at = _heights(cover, "Methodology", "Every statement")
    assert set(at) == {"Methodology", "Every statement"}, at  # both on the cover
    assert at["Every statement"] < at["Methodology"] - 8, at  # below the last Contents line, with a gap
