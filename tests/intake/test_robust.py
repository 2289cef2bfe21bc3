"""Whatever text comes in, the proposer answers with a draft the importer accepts, never an error."""

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.exchange import dossier_import
from agencies.intake import propose

GOLD = Path(__file__).parent / "gold"
# Tuned articles only: a failing example prints its text, and the held-out ones are never to be read.
MANIFEST = yaml.safe_load((GOLD / "manifest.yaml").read_text(encoding="utf-8"))["articles"]
HELD_OUT = {entry["file"] for entry in MANIFEST if entry.get("held_out")}
ARTICLES = [
    p.read_text(encoding="utf-8")
    for p in sorted(GOLD.glob("*.txt")) + sorted(GOLD.glob("*.html"))
    if p.name not in HELD_OUT
]


def spans_are_inside(draft, text):
    return all(0 <= s <= e <= len(text) for p in draft.proposals for s, e in p.spans)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    article=st.sampled_from(ARTICLES),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    noise=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40),
)
def test_cut_and_noisy_articles_give_importable_drafts(article, cut, noise):
    start, end = sorted(int(x * len(article)) for x in cut)
    text = article[start:end] + noise
    draft = propose(text, published="2025-05-20")
    assert spans_are_inside(draft, text)
    dossier_import(data=draft.dossier, dry_run=True)  # raises DossierError naming every problem


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\n\n", "<html></html>", "Only a headline", "“", '"unclosed', "1,000,000,000,000 people"],
)
def test_degenerate_texts(text):
    draft = propose(text)
    assert draft.dossier["format"] == "oversight-dossier/1"
    dossier_import(data=draft.dossier, dry_run=True)
