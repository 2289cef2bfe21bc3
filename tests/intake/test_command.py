"""draft_dossier: the seed article gives back the seed's reading, and every draft imports."""

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from agencies import models as m
from agencies.exchange import dossier_import, dossier_load
from agencies.intake import KnownRecord

SEED_ARTICLE = Path("/work/shared/seeds/000_55c746b8deb3ff08.txt")
GOLD = Path(__file__).parent / "gold"
SEED = SEED_ARTICLE if SEED_ARTICLE.exists() else GOLD / "seed-daily-beast.txt"

pytestmark = pytest.mark.django_db


def draft(tmp_path, article, *options) -> dict:
    out = tmp_path / "draft.yaml"
    call_command("draft_dossier", str(article), "--output", str(out), *options, stdout=io.StringIO())
    return yaml.safe_load(out.read_text(encoding="utf-8")), out


def test_the_seed_article_gives_back_the_seed_and_the_draft_imports(tmp_path):
    data, path = draft(tmp_path, SEED)
    assert m.Claim.objects.count() == 0  # nothing written by drafting
    sources = data["sources"]
    anonymous = {s["count"]: s for s in sources if s["kind"] == "anonymous"}
    assert anonymous[2]["reason"] == "fear of professional reprisals"
    assert anonymous[1]["description"] == "one source familiar with the matter"
    assert [s["description"] for s in sources if s["kind"] == "official"] == ["a senior DHS official"]
    assert {"Tom Homan", "Austin Kocher"} <= {s.get("name") for s in sources if s["kind"] == "person"}
    assert {s["description"] for s in sources if s["kind"] == "dataset"} == {"DHS data", "ICE data"}
    periods = {(f["value"], f["period_start"], f["period_end"]) for f in data["figures"]}
    assert periods == {
        (37660, "2025-01-20", "2025-02-19"),
        (57000, "2024-01-20", "2025-01-19"),
        (139000, "2025-01-20", "2025-04-28"),
        (57000, "2025-01-20", "2025-04-28"),
    }
    documents = {d["id"]: d for d in data["documents"]}
    article = data["documents"][0]
    outlets = {documents[c].get("outlet") for c in article["cites"] if documents[c]["kind"] != "dataset"}
    assert {"washington-post", "reuters", "usa-today", "white-house-press"} <= outlets
    assert any(documents[c]["kind"] == "webpage" for c in article["cites"])  # the USPIS website
    assert data["comment_requests"] == [
        {"document": article["id"], "agency": "dhs", "response": "none"}  # no date in the text
    ]
    assert "# Questions for the researcher:" in path.read_text(encoding="utf-8")

    report = dossier_import(data=dossier_load(path))
    assert report.created > 30
    assert m.Figure.objects.count() == 4
    assert m.Source.objects.get(count=2).reason == "fear of professional reprisals"
    again = dossier_import(data=dossier_load(path))
    assert again.created == again.updated == 0


def test_a_follow_up_drafted_against_the_record_keeps_its_ids_and_imports_without_changing_them(tmp_path):
    call_command("load_seeds", stdout=io.StringIO())
    before = {model: model.history.count() for model in (m.Agency, m.Source, m.Document, m.Outlet, m.Claim)}
    data, path = draft(tmp_path, GOLD / "wire-reuters-usps-denial.txt")
    origins = {line["origin"] for claim in data["claims"] for line in claim["attributions"]}
    assert {"wapo-two-people", "dhs-data"} <= origins  # the record's, by their ids
    assert not {"wapo-two-people", "dhs-data"} & {s["id"] for s in data["sources"]}  # and not rewritten
    article = data["documents"][0]
    assert {"wapo-report", "reuters-dhs-data"} <= set(article["cites"])
    assert {c["agency"]: c["response"] for c in data["comment_requests"]} == {
        "ice": "declined",
        "white-house": "none",
    }

    report = dossier_import(data=dossier_load(path))
    # The record's agencies, sources and reports are named, not rewritten; the two claims the article
    # reports again (the enlistment, the 37,660) gain its lines.
    assert {k: v.updated for k, v in report.sections.items() if v.updated} == {"claims": 2}
    assert report.sections["documents"].created >= 2
    for model in (m.Agency, m.Source, m.Outlet):
        assert (
            model.history.count() - before[model]
            == report.sections[model._meta.verbose_name_plural.replace(" ", "_")].created
        )
    chain = m.Attribution.objects.filter(document__slug=article["id"], origin__slug="wapo-two-people")
    assert chain.exists()


def test_every_gold_article_drafts_into_a_dossier_that_imports_after_the_seed(tmp_path):
    call_command("load_seeds", stdout=io.StringIO())
    manifest = yaml.safe_load((GOLD / "manifest.yaml").read_text(encoding="utf-8"))["articles"]
    for entry in manifest:
        if entry["file"].startswith("seed-"):
            continue
        _data, path = draft(tmp_path, GOLD / entry["file"])
        dossier_import(data=dossier_load(path), dry_run=True)  # raises with every error, naming its place


def test_the_record_is_read_in_a_fixed_number_of_queries(django_assert_num_queries):
    call_command("load_seeds", stdout=io.StringIO())
    with django_assert_num_queries(5):
        small = KnownRecord.from_database()
    for n in range(30):
        agency = m.Agency.objects.create(slug=f"agency-{n}", name=f"Agency {n}", kind="other")
        m.StatedMission.objects.create(agency=agency, text="Its job.")
        m.Source.objects.create(slug=f"source-{n}", kind="person", name=f"Person {n}")
    with django_assert_num_queries(5):
        large = KnownRecord.from_database()
    assert len(large.agencies) == len(small.agencies) + 30
    assert "uspis-enlisted" in large.taken("claims", ["uspis-enlisted", "no-such-claim"])


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("article.pdf", b"x", "expected a .txt or .html file"),
        ("article.txt", b"\xff\xfe bad", "not UTF-8"),
        ("article.txt", b"   \n", "the file is empty"),
    ],
)
def test_bad_input_is_refused_naming_it(tmp_path, name, content, error):
    article = tmp_path / name
    article.write_bytes(content)
    with pytest.raises(CommandError, match=error):
        call_command("draft_dossier", str(article), stdout=io.StringIO())


def test_a_bad_date_option_is_refused(tmp_path):
    with pytest.raises(CommandError, match="published"):
        call_command("draft_dossier", str(SEED), "--published", "May 2025", stdout=io.StringIO())
