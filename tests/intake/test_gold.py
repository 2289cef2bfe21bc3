"""The gold set is well formed: every gold dossier imports, after the seed, with the real importer."""

from pathlib import Path

import pytest
import yaml

from agencies.exchange import dossier_import, dossier_load

GOLD = Path(__file__).parent / "gold"
MANIFEST = yaml.safe_load((GOLD / "manifest.yaml").read_text(encoding="utf-8"))["articles"]


def test_the_gold_set_has_eight_styles_and_three_held_out():
    assert len(MANIFEST) >= 8
    assert len({entry["style"] for entry in MANIFEST}) == len(MANIFEST)
    assert sum(1 for entry in MANIFEST if entry["held_out"]) >= 3
    for entry in MANIFEST:
        assert (GOLD / entry["file"]).is_file()
        assert (GOLD / entry["gold"]).is_file()


@pytest.mark.django_db
@pytest.mark.parametrize("entry", MANIFEST, ids=[e["gold"] for e in MANIFEST])
def test_each_gold_dossier_imports_after_the_seed(entry):
    dossier_import(data=dossier_load(GOLD / "seed-daily-beast.yaml"))
    report = dossier_import(data=dossier_load(GOLD / entry["gold"]))
    again = dossier_import(data=dossier_load(GOLD / entry["gold"]))
    assert again.created == again.updated == 0
    if entry["file"] != "seed-daily-beast.txt":
        assert report.created > 0
