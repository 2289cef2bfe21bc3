"""Property-based: whatever comes in, the import answers DossierError or succeeds, never half-writes."""

import datetime as dt
import io
import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.exchange import FORMAT, SECTIONS, DossierError, dossier_import, dossier_load
from agencies.exchange.schema import SECTION_ITEMS, AttributionItem, Mission

from .conftest import history_counts, row_counts, small

pytestmark = pytest.mark.django_db

# Modest by default; DOSSIER_EXAMPLES=2000 for a longer hunt.
EXAMPLES = int(os.environ.get("DOSSIER_EXAMPLES", "60"))
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FIELD_NAMES = sorted(
    {n for model in (*SECTION_ITEMS.values(), Mission, AttributionItem) for n in model.model_fields}
)
IDS_IN_SMALL = sorted(
    {item["id"] for section in SECTIONS for item in small().get(section, []) if "id" in item}
)


class _Rollback(Exception):
    pass


def isolated(check):
    """Run `check` in a savepoint rolled back afterwards: each example starts from the same record."""
    try:
        with transaction.atomic():
            check()
            raise _Rollback
    except _Rollback:
        pass


def import_or_reject(data) -> bool:
    """True when accepted; a rejection must be a DossierError that wrote nothing."""
    before = row_counts()
    try:
        dossier_import(data=data)
    except DossierError as exc:
        assert exc.errors and all(isinstance(e, str) and e for e in exc.errors)
        assert row_counts() == before
        return False
    return True


# --- (a) garbage ---------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["2025", "2025-05", "2025-02-30", "May 2025", "https://example.org", "", FORMAT])
    | st.sampled_from(IDS_IN_SMALL)
    | st.dates().map(lambda d: d)
    | st.datetimes().map(lambda d: d)
)
keys = st.sampled_from(FIELD_NAMES + list(SECTIONS) + ["format"]) | st.text(max_size=8)
structures = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6),
    max_leaves=30,
)
dossier_like = st.fixed_dictionaries(
    {"format": st.just(FORMAT)},
    optional={
        section: st.lists(st.dictionaries(keys, structures, max_size=8), max_size=3) | structures
        for section in SECTIONS
    },
)


@PROPERTY_SETTINGS
@given(data=structures | dossier_like)
def test_garbage_structures_are_rejected_cleanly(data):
    isolated(lambda: import_or_reject(data))


yamlish = st.lists(
    st.sampled_from(
        [
            "format: oversight-dossier/1\n",
            "agencies:\n",
            "  - ",
            "id: x",
            "&a ",
            "*a",
            "!!python/object:os.system ",
            "{",
            "}",
            "[",
            "]",
            ":",
            "- ",
            "\n",
            "  ",
            "'",
            '"',
            "2025-02-30",
            "<<: ",
            "? ",
            "|\n",
            "\t",
            "\x00",
            "\xff",
        ]
    )
    | st.text(max_size=10),
    max_size=30,
).map("".join)


@PROPERTY_SETTINGS
@given(raw=st.binary(max_size=300) | yamlish.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_garbage_bytes_are_rejected_cleanly(raw):
    def check():
        try:
            data = dossier_load(raw)
        except DossierError as exc:
            assert exc.errors
            return
        import_or_reject(data)

    isolated(check)


@settings(
    max_examples=max(10, EXAMPLES // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=st.binary(max_size=200) | structures.map(lambda s: json.dumps(s, default=str).encode()))
def test_garbage_through_the_command_is_a_command_error(raw, tmp_path):
    path = tmp_path / "garbage.json"
    path.write_bytes(raw)

    def check():
        before = row_counts()
        try:
            call_command("import_dossier", str(path), stdout=io.StringIO(), stderr=io.StringIO())
        except CommandError as exc:
            assert "Traceback" not in str(exc)
            assert row_counts() == before

    isolated(check)


# --- (b) mutations of a valid dossier ------------------------------------------------------------


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _parent(data, path):
    target = data
    for part in path[:-1]:
        target = target[part]
    return target


other_types = st.sampled_from(
    [None, True, 0, -1, 2025, 1.5, "", "text", [], {}, ["x"], {"id": "x"}, dt.date(2025, 2, 3)]
)
bad_dates = st.sampled_from(
    ["May 2025", "2025-13", "2025-02-30", "25", "2025-5", dt.datetime(2025, 1, 1, 1), 99999]
)


@PROPERTY_SETTINGS
@given(draw=st.data(), stored=st.booleans())
def test_mutated_dossiers_are_accepted_or_rejected_whole(draw, stored):
    def check():
        if stored:  # half the time the record already holds the original, so mutations become updates
            dossier_import(data=small())
        data = small()
        for _ in range(draw.draw(st.integers(min_value=1, max_value=3), label="mutations")):
            paths = [p for p in _paths(data) if p]
            path = draw.draw(st.sampled_from(paths), label="path")
            parent, key = _parent(data, path), path[-1]
            operation = draw.draw(
                st.sampled_from(["drop", "type", "rename", "unknown-ref", "date", "duplicate"]),
                label="operation",
            )
            if operation == "drop":
                del parent[key]
            elif operation == "type":
                parent[key] = draw.draw(other_types, label="value")
            elif operation == "rename" and isinstance(parent, dict):
                new_key = draw.draw(
                    st.sampled_from(FIELD_NAMES) | st.text(min_size=1, max_size=6), label="key"
                )
                parent[new_key] = parent.pop(key)
            elif operation == "unknown-ref":
                parent[key] = draw.draw(
                    st.sampled_from(["ghost", "wapo-insiders", *IDS_IN_SMALL]), label="ref"
                )
            elif operation == "date":
                parent[key] = draw.draw(bad_dates, label="date")
            elif operation == "duplicate" and isinstance(parent, list):
                parent.append(parent[key])
        if import_or_reject(data):
            # Accepted: then importing it again changes nothing, not even history.
            rows, history = row_counts(), history_counts()
            report = dossier_import(data=data)
            assert (report.created, report.updated) == (0, 0)
            assert (row_counts(), history_counts()) == (rows, history)

    isolated(check)
