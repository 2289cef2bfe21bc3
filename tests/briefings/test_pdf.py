"""The briefing's PDF, read back: its text, outline and metadata, what it must never carry, and its pages
as pictures."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from PIL import Image, ImageStat

from agencies.briefings.html import INTERNAL_MARKING
from agencies.briefings.render import briefing_render
from tests.briefings.pdf_reading import everything, flat_text, outline_titles, page_texts, reader
from tests.factories import CANARY, MISSION, REASON, ROLE, TWO_PEOPLE, seed_case

pytestmark = pytest.mark.django_db

USPIS = {"agencies": ["uspis"]}


@pytest.fixture
def postal():
    return seed_case()


@pytest.fixture
def public(postal):
    return briefing_render(scope=USPIS, audience="public")


@pytest.fixture
def internal(postal):
    return briefing_render(scope=USPIS, audience="internal")


def test_the_text_holds_what_a_reader_needs(public):
    text = flat_text(public.pdf)

    assert MISSION in text
    assert ROLE in text and "Outside the stated mission".upper() in text.upper()
    assert f"The Daily Beast[2] → The Washington Post[3] → {TWO_PEOPLE} ({REASON})" in text
    assert "139,000" in text and "57,000" in text
    assert "139,000 against 57,000" in text
    assert "DHS Department of Homeland Security (connected) The Daily Beast" in text
    assert "No response by publication" in text
    assert "https://www.thedailybeast.com/us-post-office-deportations/" in text.replace(" ", "")
    assert "Methodology" in text and "Independent origins" in text


def test_the_outline_metadata_and_page_numbers(public):
    pdf = reader(public.pdf)
    titles = outline_titles(public.pdf)

    for title in (
        "Key findings",
        "Agencies",
        "United States Postal Inspection Service (USPIS)",
        "Figures",
        "Timeline",
        "Comment requests",
        "Sources",
        "Methodology",
    ):
        assert title in titles
    assert pdf.metadata.title == "Briefing: United States Postal Inspection Service"
    assert "USPIS" in pdf.metadata.subject and "public edition" in pdf.metadata.subject
    pages = page_texts(public.pdf)
    assert len(pages) == public.page_count == len(pdf.pages)
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {len(pages)}" in text


def test_every_page_of_an_internal_briefing_says_so(internal):
    for text in page_texts(internal.pdf):
        assert INTERNAL_MARKING in " ".join(text.split())
    assert "internal edition" in reader(internal.pdf).metadata.subject


def test_the_canary_in_confidential_notes_is_only_in_the_internal_briefing(public, internal):
    assert CANARY not in everything(public.pdf)
    assert "CANARY-7f3c91" not in everything(public.pdf)
    assert INTERNAL_MARKING not in everything(public.pdf)

    assert CANARY in flat_text(internal.pdf)
    assert CANARY not in repr(reader(internal.pdf).metadata)
    assert CANARY not in " ".join(outline_titles(internal.pdf))
    assert dict(reader(internal.pdf).attachments) == {}


def test_the_pages_look_like_pages(public, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    path = tmp_path / "briefing.pdf"
    path.write_bytes(public.pdf)

    subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")], check=True)  # noqa: S603,S607

    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == public.page_count
    for image_path in images:
        image = Image.open(image_path).convert("L")
        assert image.size[0] < image.size[1]  # portrait A4
        inked = sum(image.histogram()[:200])
        assert inked > 0.005 * image.size[0] * image.size[1], f"{image_path.name} is blank"
        assert ImageStat.Stat(image).stddev[0] > 5
