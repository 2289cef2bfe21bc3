"""Reading files: YAML and JSON, safely, with every refusal naming its place."""

import datetime as dt
import json
import time

import pytest

from agencies.exchange import DossierError, dossier_load, loading


def errors_of(source, **kwargs) -> list[str]:
    with pytest.raises(DossierError) as caught:
        dossier_load(source, **kwargs)
    return caught.value.errors


def test_yaml_keeps_what_yaml_means():
    data = dossier_load(b"format: oversight-dossier/1\nyear: 2025\nday: 2025-05-01\nmonth: 2025-05\n")
    assert data == {
        "format": "oversight-dossier/1",
        "year": 2025,
        "day": dt.date(2025, 5, 1),
        "month": "2025-05",
    }


def test_impossible_yaml_date_stays_text_so_the_importer_can_name_the_field():
    assert dossier_load(b"made: 2025-02-30\n") == {"made": "2025-02-30"}


def test_format_by_extension_and_by_content(tmp_path):
    as_json = tmp_path / "dossier.json"
    as_json.write_text('{"format": "oversight-dossier/1"}')
    as_yaml = tmp_path / "dossier.yml"
    as_yaml.write_text("format: oversight-dossier/1\n")
    no_extension = tmp_path / "dossier"
    no_extension.write_text('  {"format": "oversight-dossier/1", "agencies": []}')
    assert dossier_load(as_json) == dossier_load(str(as_yaml)) == {"format": "oversight-dossier/1"}
    assert dossier_load(no_extension) == {"format": "oversight-dossier/1", "agencies": []}
    assert dossier_load(b"format: x\n") == {"format": "x"}
    # A .json file is read as JSON only: YAML syntax there is an error, not a guess.
    bad = tmp_path / "bad.json"
    bad.write_text("format: oversight-dossier/1\n")
    assert errors_of(bad)[0].startswith("not valid JSON: Expecting value at line 1 column 1")


def test_alias_bomb_is_refused_quickly():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    bomb = ("\n".join(lines) + "\n").encode()
    started = time.monotonic()
    errors = errors_of(bomb)
    assert time.monotonic() - started < 2
    assert len(errors) == 1
    assert "values once aliases are expanded: refused" in errors[0]
    assert errors[0].startswith("a6: more than 2,000,000 values")


def test_modest_aliases_are_fine():
    data = dossier_load(b"via: &v [a, b]\nagain: *v\nbase: &m {x: 1, y: 2}\nmerged: {<<: *m, y: 3}\n")
    assert data == {
        "via": ["a", "b"],
        "again": ["a", "b"],
        "base": {"x": 1, "y": 2},
        "merged": {"x": 1, "y": 3},
    }


def test_recursive_alias_is_refused():
    errors = errors_of(b"format: oversight-dossier/1\nagencies: &loop [*loop]\n")
    assert errors == ["agencies[0]: an alias refers to a value that contains it (recursive): refused"]


def test_duplicate_yaml_keys_are_refused_with_their_place():
    text = b"""format: oversight-dossier/1
claims:
  - id: one
    attributions:
      - document: a
        origin: x
        origin: y
  - id: two
    id: three
"""
    assert errors_of(text) == [
        "claims[0].attributions[0].origin: duplicate key (line 7, first at line 6)",
        "claims[1].id: duplicate key (line 9, first at line 8)",
    ]


def test_duplicate_keys_in_one_flow_mapping_are_refused():
    assert errors_of(b"{a: 1, a: 2}\n") == ["a: duplicate key (line 1, first at line 1)"]


def test_duplicate_json_keys_are_refused_with_their_place():
    text = json.dumps({"format": "oversight-dossier/1", "agencies": [{"id": "x"}]}).replace(
        '{"id": "x"}', '{"id": "x", "name": "A", "name": "B"}'
    )
    assert errors_of(text.encode(), fmt="json") == ["agencies[0].name: duplicate key"]


def test_python_objects_are_never_built():
    errors = errors_of(b"format: !!python/object/apply:os.system ['true']\n")
    assert errors[0].startswith("not valid YAML: could not determine a constructor for the tag")
    assert "line 1" in errors[0]


def test_file_too_large_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(loading, "MAX_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_bytes(b"format: oversight-dossier/1\n" + b"# padding\n" * 20)
    assert errors_of(path) == ["the file is larger than 100 bytes: refused"]
    assert errors_of(path.read_bytes()) == ["the file is larger than 100 bytes: refused"]


def test_default_size_limit_is_stated():
    huge = b"#" * (loading.MAX_BYTES + 1)
    assert errors_of(huge) == ["the file is larger than 16 MiB: refused"]


def test_non_utf8_is_refused():
    assert errors_of(b"format: oversight-dossier/1\nname: caf\xe9\n") == [
        "the file is not UTF-8: byte 0xe9 at offset 37 cannot be decoded"
    ]


def test_utf8_bom_is_accepted():
    assert dossier_load("\ufeffformat: oversight-dossier/1\n".encode()) == {"format": "oversight-dossier/1"}


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "(top level): expected a mapping with 'format: oversight-dossier/1', the file is empty"),
        (b"- a\n- b\n", "(top level): expected a mapping with 'format: oversight-dossier/1', got a list"),
        (
            b"just text\n",
            "(top level): expected a mapping with 'format: oversight-dossier/1', got 'just text'",
        ),
        (b"[1, 2]", "(top level): expected a mapping with 'format: oversight-dossier/1', got a list"),
    ],
)
def test_top_level_must_be_a_mapping(content, expected):
    assert errors_of(content) == [expected]


def test_yaml_syntax_error_names_the_line():
    errors = errors_of(b"format: oversight-dossier/1\nagencies:\n  - id: [unclosed\n")
    assert len(errors) == 1 and errors[0].startswith("not valid YAML:") and "line 4" in errors[0]


def test_json_rejects_nan():
    assert errors_of(b'{"format": NaN}', fmt="json") == ["not readable JSON: NaN is not a number JSON allows"]


def test_too_deep_nesting_is_an_error_not_a_crash():
    too_deep = "nested more than 10 levels deep (a dossier needs 7): refused"
    assert errors_of(b"[" * 5000 + b"]" * 5000, fmt="json") == [f"(top level): {too_deep}"]
    assert errors_of(b"a: " + b"[" * 50 + b"]" * 50) == [f"a{'[0]' * 9}: {too_deep}"]
    assert errors_of(b"[" * 50 + b"]" * 50, fmt="json") == [f"(top level): {too_deep}"]
    # Deeper than libyaml goes: its own refusal comes first.
    assert errors_of(b"a: " + b"[" * 5000 + b"]" * 5000)[0].startswith("not valid YAML:")


def test_missing_file_is_an_error(tmp_path):
    assert errors_of(tmp_path / "nope.yaml")[0].startswith(f"cannot read '{tmp_path / 'nope.yaml'}'")
