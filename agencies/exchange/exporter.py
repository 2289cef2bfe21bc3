"""Export the whole record as a dossier, in a stable order, in a constant number of queries.

Sections follow the format page; entities are sorted by id, ordered lists keep their stored
position. Empty optional fields are left out. A public export never carries confidential notes; an
internal one does (callers check permission).

The record is read section by section as it is written out, never held whole: each section and
each of its nested lists is one query, ordered by its owner's id (compared as code points, as
Python compares text, whatever the database's collation), and the nested rows are matched to
their owners as both streams go by.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterable, Iterator

import yaml
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Collate

from agencies import models as m

from .schema import FORMAT
from .sections import (
    CONFIDENTIAL,
    DATE,
    ID,
    NUMBER,
    REQUIRED_DATE,
    SECTIONS_DESCRIBED,
    TEXTS,
    Nested,
    Section,
)

_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# Rows fetched at a time, and entries written out at a time.
CHUNK = 2_000


class _Dumper(_SafeDumper):
    """Multi-line text as literal blocks, so that long paragraphs stay readable."""


def _represent_str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _date(value) -> str | None:
    return None if value is None else value.isoformat()


def _number(value: decimal.Decimal):
    """A Decimal as the plainest number that reads back exactly: int, float, else decimal text."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    if decimal.Decimal(repr(as_float)) == value:
        return as_float
    return format(value.normalize(), "f")


_WRITTEN = {DATE: _date, REQUIRED_DATE: _date, NUMBER: _number, TEXTS: lambda value: list(value or [])}


# --- reading ---------------------------------------------------------------------------------------


def _in_id_order(lookup: str):
    """An ordering on a slug that sorts as Python sorts text (PostgreSQL's collation may not)."""
    if connection.vendor == "postgresql":
        return Collate(F(lookup), "C")
    return F(lookup)  # SQLite compares text by its bytes already


def _lookup(attname: str, prefix: str = "") -> str:
    """The values() lookup of a field as the file writes it: a reference by its target's slug."""
    return f"{prefix}{attname.removesuffix('_id')}__slug" if attname.endswith("_id") else prefix + attname


def _key_lookups(section: Section, prefix: str = "") -> list[str]:
    """What the section's entries are sorted by: their id, or their two references."""
    if not section.keyed:
        return [prefix + "slug"]
    return [_lookup(section.field(name).attname, prefix) for name in section.key]


def _rows(queryset, fields: list[str], order: list) -> Iterator[dict]:
    return queryset.order_by(*order).values(*fields).iterator(chunk_size=CHUNK)


class _Children:
    """The rows of a nested list, in their owners' order: `take(key)` gives those of one owner."""

    def __init__(self, rows: Iterator[dict], key_fields: list[str]):
        self.rows = rows
        self.key_fields = key_fields
        self.head = next(rows, None)

    def _key(self, row: dict) -> tuple:
        return tuple(row[name] for name in self.key_fields)

    def take(self, key: tuple) -> list[dict]:
        taken = []
        # Rows of owners the parent stream never gave (written meanwhile) are passed over.
        while self.head is not None and self._key(self.head) <= key:
            if self._key(self.head) == key:
                taken.append(self.head)
            self.head = next(self.rows, None)
        return taken


def _nested_rows(nested: Nested, owner_keys: list[str], owner_prefix: str) -> _Children:
    """A nested list's rows, ordered as their owners are, then by their stored position."""
    prefix = owner_prefix + nested.owner.removesuffix("_id") + "__"
    keys = [f"{prefix}{name}" for name in owner_keys]
    fields = [_lookup(name) for name in nested.columns]
    if nested.inner:
        fields += ["position", "pk"]  # what the rows of its own nested list are matched by
    order = [_in_id_order(k) if k.endswith("slug") else k for k in keys] + ["position", "id"]
    return _Children(_rows(nested.model.objects.all(), fields + keys, order), keys)


def _entry(fields, row: dict, children: dict[str, _Children], row_key: tuple) -> dict:
    """One entry as the file writes it, optional fields that say nothing left out."""
    entry = {}
    for f in fields:
        if isinstance(f, Nested):
            value = _nested_entries(f, children, row_key, row)
        elif f.kind == ID:
            value = row["slug"]
        elif f.kind == CONFIDENTIAL:
            notes = children.get(f.name)
            found = notes.take(row_key) if notes is not None else []
            value = found[0]["notes"] if found else None
        else:
            value = row[_lookup(f.attname)]
            if f.kind in _WRITTEN:
                value = _WRITTEN[f.kind](value)
        if f.new or value not in (None, "", []):
            entry[f.name] = value
    return entry


def _nested_entries(nested: Nested, children: dict[str, _Children], owner_key: tuple, owner: dict) -> list:
    rows = children[nested.store].take(owner_key)
    if nested.refs:
        return [row[_lookup(nested.columns[0])] for row in rows]
    entries = []
    for row in rows:
        key = (*owner_key, row["position"], row["pk"]) if "pk" in row else ()
        entries.append(_entry(nested.entry, row, children, key))
    return entries


def _section_entries(section: Section, *, internal: bool) -> Iterator[dict]:
    """The section's entries in id (or key) order, read as they are written out."""
    keys = _key_lookups(section)
    fields = keys + [_lookup(f.attname) for f in section.stored_fields]
    children: dict[str, _Children] = {}
    for nested in section.nested:
        children[nested.store] = _nested_rows(nested, keys, "")
        for inner in nested.inner:
            owner_keys = [*_key_lookups(section, nested.owner.removesuffix("_id") + "__"), "position", "id"]
            children[inner.store] = _nested_rows(inner, owner_keys, "")
    if internal and any(f.kind == CONFIDENTIAL for f in section.scalars):
        notes = m.SourceConfidentialNote.objects.all()
        children["confidential_notes"] = _Children(
            _rows(notes, ["notes", "source__slug"], [_in_id_order("source__slug")]), ["source__slug"]
        )
    order = [_in_id_order(k) for k in keys]
    for row in _rows(section.model.objects.all(), fields, order):
        yield _entry(section.fields, row, children, tuple(row[k] for k in keys))


def dossier_sections(*, internal: bool = False) -> Iterator[tuple[str, Iterator[dict]]]:
    """Each section's name and its entries, in the format page's order, each read when reached."""
    for section in SECTIONS_DESCRIBED:
        yield section.name, _section_entries(section, internal=internal)


def dossier_export(*, internal: bool = False) -> dict:
    """The whole record as a dossier mapping. `internal` adds sources' confidential notes."""
    sections = dossier_sections(internal=internal)
    return {"format": FORMAT, **{name: list(entries) for name, entries in sections}}


# --- writing ---------------------------------------------------------------------------------------


def _batches(entries: Iterable[dict]) -> Iterator[list[dict]]:
    batch = []
    for entry in entries:
        batch.append(entry)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _yaml(data) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def _json(data, indent: str = "") -> str:
    return indent + json.dumps(data, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)


def _yaml_chunks(sections) -> Iterator[str]:
    # A top-level mapping's lists are written unindented: a section's entries read as a list alone.
    yield _yaml({"format": FORMAT})
    for name, entries in sections:
        written = False
        for batch in _batches(entries):
            yield (f"{name}:\n" if not written else "") + _yaml(batch)
            written = True
        if not written:
            yield _yaml({name: []})


def _json_chunks(sections) -> Iterator[str]:
    yield "{\n  " + json.dumps("format") + ": " + json.dumps(FORMAT, ensure_ascii=False)
    for name, entries in sections:
        opening = ",\n  " + json.dumps(name, ensure_ascii=False) + ": ["
        written = False
        for batch in _batches(entries):
            yield (opening if not written else ",") + ",".join("\n" + _json(e, "    ") for e in batch)
            written = True
        yield "\n  ]" if written else opening + "]"
    yield "\n}\n"


def dossier_stream(*, internal: bool = False, fmt: str = "yaml") -> Iterator[str]:
    """The whole record as dossier text, piece by piece: the same text as dumping `dossier_export`,
    in memory bounded by a few thousand entries whatever the record's size."""
    writers = {"yaml": _yaml_chunks, "json": _json_chunks}
    if fmt not in writers:
        raise ValueError(f"unknown dossier format {fmt!r}: use 'yaml' or 'json'")
    return _in_one_transaction(writers[fmt](dossier_sections(internal=internal)))


def _in_one_transaction(chunks: Iterator[str]) -> Iterator[str]:
    # Server-side cursors hand rows over as they are read inside a transaction; outside one,
    # PostgreSQL declares them WITH HOLD and copies out each section whole before its first row.
    with transaction.atomic():
        yield from chunks


def dossier_dump(data: dict, fmt: str = "yaml") -> str:
    """A dossier mapping as YAML (default) or JSON text, UTF-8 friendly, ending with a newline."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown dossier format {fmt!r}: use 'yaml' or 'json'")
    return _yaml(data)
