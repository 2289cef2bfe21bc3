"""Import a dossier: check everything first, then write only what changed, all or nothing.

Ids are the models' slugs. An entity the file names is created, or updated with
what the file gives for it: a field it gives replaces the stored value, an
explicit null clears it, a field it leaves out keeps the stored value; a nested
list it gives (missions, cites, agencies, attributions, claims) replaces the
stored list, one it leaves out is kept. An entity it does not name is left
alone. Rows are compared before anything is saved, so re-importing the same
file writes no row and adds no history, and a dry run can say field by field
what would change. Existing rows are fetched per section in a few `__in`
queries, never one query per reference.

The actor's permissions are asked here, for the command line and the upload
alike: a user who may not edit the record imports nothing, confidential notes
need the right to see them, a claim's verdict needs an editor.
"""

from __future__ import annotations

import decimal
import gc
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from agencies import models as m
from agencies.core import permissions, rules
from agencies.core.answers import AnswerCycle, check_answers
from agencies.core.bulk import delete_with_history, insert_with_history, update_with_history

from .errors import DossierError, at, show
from .schema import NEW_REQUIRES, SECTIONS, Structure, check_structure
from .sections import (
    BY_NAME,
    OPT_TEXT,
    REF,
    SECTIONS_DESCRIBED,
    TEXTS,
    URL,
    Field,
    Nested,
    Section,
    stored_lists,
)

CHANGE_REASON = "dossier import"
# Imports that write take this PostgreSQL advisory lock (for their transaction): two at once would
# otherwise both plan against the record before either wrote, and one would die on a unique key.
IMPORT_LOCK = 0x0D055_1E5

# The sections whose entries have ids (the others are known by a pair of references).
MODELS = {s.name: s.model for s in SECTIONS_DESCRIBED if not s.keyed}
KIND = {s.name: s.kind for s in SECTIONS_DESCRIBED}
_KEYED = {s.name: s for s in SECTIONS_DESCRIBED if s.keyed}
LISTS = stored_lists()


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionCounts:
    created: int = 0
    updated: int = 0


@dataclass(frozen=True)
class FieldChange:
    """One stored field the import changes, old and new as a reader would write them."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class ListChange:
    """A stored list the import replaces: the entries that come and the rows that go."""

    field: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def reordered(self) -> bool:
        return not self.added and not self.removed


@dataclass(frozen=True)
class EntityChange:
    """What the import changes in one stored entity."""

    section: str
    key: str  # its id, or "(system, seeker)" for the keyed sections
    fields: tuple[FieldChange, ...] = ()
    lists: tuple[ListChange, ...] = ()

    def lines(self) -> list[str]:
        lines = [f"{self.section} {self.key}:"]
        lines += [f"    {c.field}: {c.old} -> {c.new}" for c in self.fields]
        for c in self.lists:
            if c.reordered:
                lines.append(f"    {c.field}: reordered")
            lines += [f"    {c.field}: + {entry}" for entry in c.added]
            lines += [f"    {c.field}: - {entry} (removed)" for entry in c.removed]
        return lines


@dataclass
class ImportReport:
    """What an import created and updated, per section (or would have, for a dry run), and for every
    stored entity it changes, each field (old and new) and each row that goes."""

    sections: dict[str, SectionCounts] = field(default_factory=lambda: {s: SectionCounts() for s in SECTIONS})
    dry_run: bool = False
    changes: list[EntityChange] = field(default_factory=list)
    new: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in SECTIONS})  # keys created

    @property
    def created(self) -> int:
        return sum(c.created for c in self.sections.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.sections.values())

    @property
    def removed(self) -> int:
        """Rows of stored lists that go (missions, citations, attributions, ...)."""
        return sum(len(c.removed) for change in self.changes for c in change.lists)

    def summary(self) -> str:
        if self.dry_run:
            lines = ["Dry run: nothing was written. The import would:"]
            lines += [
                f"  {name}: create {c.created}, update {c.updated}" for name, c in self.sections.items()
            ]
            lines.append(f"  in all: create {self.created}, update {self.updated}")
        else:
            lines = ["Dossier imported:"]
            lines += [
                f"  {name}: {c.created} created, {c.updated} updated" for name, c in self.sections.items()
            ]
            lines.append(f"  in all: {self.created} created, {self.updated} updated")
        return "\n".join(lines)

    def details(self, *, new_shown: int = 20) -> str:
        """Every change to a stored entity, field by field, and every row that goes; the new ones."""
        lines = []
        if self.changes:
            verb = "would change" if self.dry_run else "changed"
            lines.append(f"Stored entities the import {verb} ({self.removed} stored rows go):")
            for change in self.changes:
                lines += ["  " + line for line in change.lines()]
        news = [(name, keys) for name, keys in self.new.items() if keys]
        if news:
            lines.append("New:" if self.dry_run else "Created:")
            for name, keys in news:
                shown = ", ".join(keys[:new_shown])
                more = f" and {len(keys) - new_shown:,} more" if len(keys) > new_shown else ""
                lines.append(f"  {name}: {shown}{more}")
        return "\n".join(lines)

    __str__ = summary


# --- the service ---------------------------------------------------------------------------------


def dossier_import(
    *, data: dict, actor=None, dry_run: bool = False, reason: str = CHANGE_REASON
) -> ImportReport:
    """Check `data` (a loaded dossier) and apply it, all or nothing.

    Raises DossierError with the problems found (the first hundred, in file order, and how many
    more), each naming its place, and writes nothing. A dry run checks and reports but writes
    nothing either. `actor` is the user importing (None: a system action, e.g. the seeds): what
    their role may not write is refused. History rows record `actor` and `reason`.
    """
    if actor is not None and not permissions.can_edit_record(actor):
        raise DossierError(
            [
                f"{actor.get_username()} may not import a dossier: importing edits the record, "
                "which their role does not allow"
            ]
        )
    problem = rules.check_reason(reason, required=True, change="for the import")
    if problem:
        raise DossierError([f"(reason): {problem}"])
    reason = reason.strip()
    structure = check_structure(data)
    try:
        with _without_cycle_collection(), transaction.atomic():
            if not dry_run:
                _lock_imports()
            run = _Import(structure, actor=actor, reason=reason)
            run.check()
            report = run.plan(dry_run=dry_run)
            run.check_writes()
            if not dry_run:
                run.apply()
    except DatabaseError as exc:
        if _missing_schema(exc):
            raise DossierError(
                [
                    "the database lacks tables or columns this version of Oversight needs: "
                    "run `make migrate` (or `manage.py migrate`), then import again; nothing was written"
                ]
            ) from exc
        # Everything the database would refuse should have been caught above; never leak a traceback.
        raise DossierError([f"the database refused the import, nothing was written: {exc}"]) from exc
    return report


def _lock_imports() -> None:
    """Serialise imports that write: the second waits for the first to commit, then plans against
    what it wrote (and so, for the same file, changes nothing)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def _missing_schema(exc: DatabaseError) -> bool:
    """A table or column the models expect is not there: the migrations have not been run."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in ("42P01", "42703"):  # undefined_table, undefined_column
        return True
    text = str(exc)
    return text.startswith(("no such table", "no such column")) or "has no column named" in text


# --- internals -----------------------------------------------------------------------------------


@contextmanager
def _without_cycle_collection():
    """An import makes tens of thousands of short-lived objects, and each batch of them would set
    off a full pass of Python's cycle collector over everything the process holds: a third of the
    import's time. They are freed by reference counting; cycles wait until the import ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Ref(NamedTuple):
    """A foreign key as the file says it: a section and a slug (resolved to a pk when writing)."""

    section: str
    slug: str | None


class _OldRef(NamedTuple):
    """A stored foreign key, for the report: a section and a pk (shown as its slug)."""

    section: str
    pk: int | None


def _column_value(f: Field, value):
    """A field of the file as its column stores it: a reference as a Ref, empty text as ""."""
    if f.kind == REF:
        return Ref(f.target, value)
    if f.kind in (OPT_TEXT, URL):
        return value or ""
    if f.kind == TEXTS:
        return list(value)
    return value


def _fields(section: str, item) -> dict[str, Any]:
    """The row's own columns (attnames) as the file wants them."""
    return {f.attname: _column_value(f, getattr(item, f.name)) for f in BY_NAME[section].stored_fields}


def _references(section: str, item) -> list[tuple]:
    """(place within the item, target section, slug) for every id the item points at."""
    found = []
    _collect_references(_REFERENCES[section], item, (), found)
    return found


def _reference_plan(fields) -> tuple:
    """Where a section's references are, worked out once: (field, target, how, inner plan), `how`
    being one reference, a list of them, or a list of entries holding some."""
    plan = []
    for f in fields:
        if isinstance(f, Nested):
            if f.refs:
                plan.append((f.name, f.entry[0].target, _LIST, ()))
            else:
                plan.append((f.name, None, _ENTRIES, _reference_plan(f.entry)))
        elif f.kind == REF:
            plan.append((f.name, f.target, _ONE, ()))
    return tuple(plan)


def _collect_references(plan, item, place: tuple, found: list) -> None:
    for name, target, how, inner in plan:
        value = getattr(item, name)
        if how is _ONE:
            found.append(((*place, name), target, value))
        elif how is _LIST:
            found.extend(((*place, name, j), target, slug) for j, slug in enumerate(value))
        else:
            for j, entry in enumerate(value):
                _collect_references(inner, entry, (*place, name, j), found)


_ONE, _LIST, _ENTRIES = "one", "list", "entries"
_REFERENCES = {s.name: _reference_plan(s.fields) for s in SECTIONS_DESCRIBED}


def _entry_value(f: Field | Nested, entry):
    value = getattr(entry, f.name)
    if isinstance(f, Nested):
        return tuple(value)
    return value if f.kind == REF else _column_value(f, value)


def _entry_key(nested: Nested, entry) -> tuple | str:
    """An entry of a nested list as it is compared with the stored one."""
    if nested.refs:
        return entry
    return tuple(_entry_value(f, entry) for f in nested.entry)


def _stored_key(nested: Nested, row) -> tuple | str:
    """A stored row of a nested list as it is compared with the file's entry."""
    if nested.refs:
        return getattr(row, _slug_name(nested.entry[0]))
    return tuple(
        tuple(getattr(x, _slug_name(f.entry[0])) for x in getattr(row, f"stored_{f.store}"))
        if isinstance(f, Nested)
        else getattr(row, _slug_name(f) if f.kind == REF else f.attname)
        for f in nested.entry
    )


def _slug_name(f: Field) -> str:
    """The annotation a stored row carries its reference's slug in."""
    return f.attname.removesuffix("_id") + "_slug"


def _with_slugs(nested: Nested):
    """The stored rows of a list, each reference's slug beside it, in their stored order."""
    refs = [f for f in nested.entry if isinstance(f, Field) and f.kind == REF]
    annotations = {_slug_name(f): F(f.attname.removesuffix("_id") + "__slug") for f in refs}
    return nested.model.objects.annotate(**annotations).order_by(nested.owner, "position", "id")


def _chunks(values) -> list[list]:
    values = list(values)
    size = max(1, (connection.features.max_query_params or 10_000) - 10)
    return [values[i : i + size] for i in range(0, len(values), size)]


def _fetch(queryset, lookup: str, values) -> list:
    """Rows whose `lookup` is in `values`: one query per few hundred values, never one per value."""
    rows = []
    for chunk in _chunks(set(values)):
        rows.extend(queryset.filter(**{f"{lookup}__in": chunk}))
    return rows


def _grouped(rows, key: str) -> dict[Any, list]:
    groups = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return groups


def _given(item, name: str) -> bool:
    """Whether the file gives this field (null included): one it leaves out keeps the stored value."""
    return name in item.model_fields_set


def _wanted(section: str, item, *, stored: bool) -> dict[str, Any]:
    """The columns the file sets: every one for a new row, only those it gives for a stored row."""
    wanted = _fields(section, item)
    if not stored:
        return wanted
    given = item.model_fields_set
    return {f.attname: wanted[f.attname] for f in BY_NAME[section].stored_fields if f.name in given}


def _display(value) -> str:
    """A stored or wanted value as a dry run shows it."""
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, str):
        return show(value, 80)
    if isinstance(value, list):
        return show(", ".join(str(v) for v in value), 80).join("[]")
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _entry(name: str, entry) -> str:
    """An entry of a nested list as a dry run shows it."""
    if name == "missions":
        text, document, as_of = entry
        return (
            show(text, 70) + (f" (in {document})" if document else "") + (f", as of {as_of}" if as_of else "")
        )
    if name == "attributions":
        document, via, origin, stance, quote, locator = entry
        out = document + (f" via {', '.join(via)}" if via else "") + f" <- {origin} ({stance})"
        if quote:
            out += f", quote {show(quote, 40)}"
        return out + (f", at {show(locator, 40)}" if locator else "")
    return str(entry)


def _label(key) -> str:
    return f"({key[0]}, {key[1]})" if isinstance(key, tuple) else key


class _Import:
    def __init__(self, structure: Structure, *, actor, reason: str):
        self.structure = structure
        self.actor = actor
        self.reason = reason
        self.errors = structure.errors
        # First occurrence of each id (sections with ids) or key (data_access, comment_requests).
        self.defined: dict[str, dict[Any, tuple[int, Any]]] = {s: {} for s in SECTIONS}
        self.rows: dict[str, dict[str, Any]] = {s: {} for s in MODELS}  # slug -> existing row
        self.pks: dict[str, dict[str, int]] = {s: {} for s in MODELS}  # slug -> pk, existing then new
        self.keyed_stored: dict[str, dict[tuple, Any]] = {s: {} for s in _KEYED}  # key -> existing row
        self.now = timezone.now()

    def error(self, path: tuple, message: str) -> None:
        self.errors.add(path, at(path, message))

    # --- checking --------------------------------------------------------------------------------

    def check(self) -> None:
        """Every check of the file against itself and the record; raise them all at once."""
        self._check_duplicates()
        self._fetch_named()
        self._fetch_keyed()
        self._check_references()
        self._check_new()
        self._check_agency_cycles()
        self._check_permissions()
        self._check_answer_cycles()
        if self.errors:
            raise self.errors.error()

    def _check_duplicates(self) -> None:
        """An id given twice in a section, or a keyed entry (system and seeker, document and agency)."""
        items = self.structure.items
        for section in MODELS:
            for index, item in items[section]:
                first = self.defined[section].setdefault(item.id, (index, item))
                if first[0] != index:
                    self.error(
                        (section, index, "id"), f"duplicate id {item.id!r} (first at {section}[{first[0]}])"
                    )
        for section, key_of in (
            ("data_access", lambda i: (i.system, i.seeker)),
            ("comment_requests", lambda i: (i.document, i.agency)),
        ):
            for index, item in items[section]:
                first = self.defined[section].setdefault(key_of(item), (index, item))
                if first[0] != index:
                    a, b = key_of(item)
                    self.error(
                        (section, index), f"duplicate entry for ({a}, {b}) (first at {section}[{first[0]}])"
                    )

    def _fetch_named(self) -> None:
        """The stored rows the file defines or refers to, by their slugs."""
        referenced: dict[str, set] = {s: set() for s in MODELS}
        for section in SECTIONS:
            for _index, item in self.structure.items[section]:
                for _place, target, slug in _references(section, item):
                    if slug:  # neither None nor MISSING (a reference the entry leaves out)
                        referenced[target].add(slug)
        for section, model in MODELS.items():
            wanted = set(self.defined[section]) | referenced[section]
            for row in _fetch(model.objects.all(), "slug", wanted):
                self.rows[section][row.slug] = row
                self.pks[section][row.slug] = row.pk

    def _check_references(self) -> None:
        """Each reference names an entry of the file or a stored row; then each entry's own checks."""
        known = {s: set(self.defined[s]) | set(self.rows[s]) | self.structure.invalid_ids[s] for s in MODELS}
        for section in SECTIONS:
            for index, item in self.structure.items[section]:
                for place, target, slug in _references(section, item):
                    if slug and slug not in known[target]:
                        self.error((section, index, *place), f"unknown {KIND[target]} {slug!r}")
                self._check_item(section, index, item)

    def _fetch_keyed(self) -> None:
        """The stored data_access and comment_requests rows the file names, by their keys."""
        for section, spec in _KEYED.items():
            model = spec.model
            first, second = (spec.field(name).attname for name in spec.key)
            targets = [spec.field(name).target for name in spec.key]
            parents = {
                self.pks[targets[0]][k[0]] for k in self.defined[section] if k[0] in self.pks[targets[0]]
            }
            stored = {
                (getattr(r, first), getattr(r, second)): r
                for r in _fetch(model.objects.all(), first, parents)
            }
            for key in self.defined[section]:
                pk_key = (self.pks[targets[0]].get(key[0]), self.pks[targets[1]].get(key[1]))
                if None not in pk_key and pk_key in stored:
                    self.keyed_stored[section][key] = stored[pk_key]

    def _stored(self, section: str, item):
        if section in _KEYED:
            return None
        return self.rows[section].get(item.id) if section in MODELS else None

    def _effective(self, section: str, item, name: str, column: str | None = None):
        """The value a field will have: the file's when it gives it, else the stored one."""
        if _given(item, name):
            return getattr(item, name)
        row = self._stored(section, item)
        return None if row is None else getattr(row, column or name)

    def _check_item(self, section: str, index: int, item) -> None:
        """The record's rules (agencies/core/rules.py, shared with the services) on what the item will be."""
        here = (section, index)

        def rule(path: tuple, problem: str | None) -> None:
            if problem:
                self.error(path, problem)

        if section == "documents":
            rule((*here, "cites"), rules.citations_problem(item.id, list(item.cites)))
        elif section == "sources":
            kind, count = self._effective(section, item, "kind"), self._effective(section, item, "count")
            if count is not None and kind != m.SourceKind.ANONYMOUS:
                if _given(item, "count"):
                    self.error(
                        (*here, "count"), f"only an anonymous source has a count (this one is {kind!r})"
                    )
                else:
                    self.error(
                        (*here, "kind"),
                        f"only an anonymous source has a count: a {kind!r} source would keep the stored "
                        f"count {count} (give count: null as well)",
                    )
        elif section == "claims":
            if _given(item, "agencies"):
                rule((*here, "agencies"), rules.claim_agencies_problem(list(item.agencies)))
            if _given(item, "attributions") and not item.attributions:
                self.error((*here, "attributions"), "a claim needs at least one attribution")
            for j, attribution in enumerate(item.attributions):
                rule(
                    (*here, "attributions", j, "via"),
                    rules.via_problem(attribution.document, list(attribution.via)),
                )
        elif section in ("roles", "data_access"):
            if _given(item, "claims"):
                what = "A role" if section == "roles" else "Data access"
                rule((*here, "claims"), rules.resting_claims_problem(list(item.claims), what=what))
        elif section == "figures":
            start = self._effective(section, item, "period_start")
            end = self._effective(section, item, "period_end")
            problem = rules.period_problem(start.start if start else None, end.end if end else None)
            if problem:
                name = "period_end" if _given(item, "period_end") else "period_start"
                self.error((*here, name), f"{problem} ({start} to {end})")

    def _check_new(self) -> None:
        """A new entity gives every field the format requires; a stored one may leave them out."""
        for section in SECTIONS:
            stored = self.keyed_stored[section] if section in _KEYED else self.rows[section]
            kind = KIND[section]
            for key, (index, item) in self.defined[section].items():
                if key in stored:
                    continue
                for name in NEW_REQUIRES[section]:
                    if not _given(item, name):
                        self.error(
                            (section, index, name), f"required field is missing (a new {kind} needs it)"
                        )

    def _check_agency_cycles(self) -> None:
        parent = {
            slug: item.parent
            for slug, (_i, item) in self.defined["agencies"].items()
            if _given(item, "parent")
        }
        # Agencies whose parent the file does not give keep their stored one: follow those up to the root.
        by_pk = {row.pk: row for row in self.rows["agencies"].values()}
        frontier = [row for row in by_pk.values() if row.slug not in parent]
        while frontier:
            missing = {row.parent_id for row in frontier if row.parent_id and row.parent_id not in by_pk}
            frontier = _fetch(m.Agency.objects.only("pk", "slug", "parent_id"), "pk", missing)
            by_pk.update((row.pk, row) for row in frontier)
        for row in by_pk.values():
            if row.slug not in parent:
                parent[row.slug] = by_pk[row.parent_id].slug if row.parent_id in by_pk else None

        reported = set()
        for slug, (index, _item) in self.defined["agencies"].items():
            cycle = rules.parent_cycle(parent, slug, parent.get(slug))
            if cycle and frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                self.error(("agencies", index, "parent"), "parent cycle: " + " -> ".join(cycle))

    def _check_permissions(self) -> None:
        """What this actor's role may not write (a system action, without an actor, may)."""
        if self.actor is None:
            return
        items = self.structure.items
        if not permissions.can_see_confidential(self.actor):
            for index, item in items["sources"]:
                if _given(item, "confidential_notes"):
                    self.error(
                        ("sources", index, "confidential_notes"),
                        "only people allowed to see confidential notes may import (or clear) them; "
                        "remove the field or ask someone who may",
                    )
        for index, item in items["claims"]:
            if not _given(item, "status"):
                continue
            row = self.rows["claims"].get(item.id)
            current = None if row is None else row.status
            if item.status == current:
                continue
            problem = rules.status_change_problem(self.actor, item.status, current=current)
            if problem:
                change = f"from {current} to {item.status}" if current else f"to {item.status}"
                self.error(("claims", index, "status"), f"{problem} This file changes it {change}.")

    def check_writes(self) -> None:
        """After planning: the actor may add, change and delete each kind of row the import would."""
        if self.actor is None:
            return
        needed: dict[type, set[str]] = defaultdict(set)
        for section in SECTIONS:
            model = BY_NAME[section].model
            if self.creates[section]:
                needed[model].add("add")
            if self.updates[section]:
                needed[model].add("change")
        for name, spec in self.lists.items():
            nested = LISTS[name][1]
            for key, wanted in spec["wanted"].items():
                if key not in spec["stored"]:
                    if wanted:
                        needed[nested.model].add("add")
                elif self._stored_list(name, key) != wanted:
                    needed[nested.model].update(("add", "delete") if wanted else ("delete",))
                    for inner in nested.inner:
                        needed[inner.model].update(("add", "delete"))
        note = m.SourceConfidentialNote
        for action, entries in (
            ("add", self.note_creates),
            ("change", self.note_updates),
            ("delete", self.note_deletes),
        ):
            if entries:
                needed[note].add(action)
        refused = sorted(
            f"{action} {model._meta.verbose_name_plural}"
            for model, actions in needed.items()
            for action in actions
            if not permissions.can_write(self.actor, model, action)
        )
        if refused:
            raise DossierError(
                [
                    f"(permissions): {self.actor.get_username()}'s role does not allow this import: it would "
                    + "; ".join(refused)
                ],
            )

    # --- claims that answer claims (extension) ---------------------------------------------------

    def _check_answer_cycles(self) -> None:
        """No claim answers itself, and the answers (the file's over the stored) make no cycle."""
        named = {
            slug: item.answers
            for slug, (_i, item) in self.defined["claims"].items()
            if "answers" in item.model_fields_set
        }
        if not any(named.values()):
            return
        links = dict(
            m.Claim.objects.filter(answers__isnull=False).values_list("slug", "answers__slug").order_by()
        )
        links.update(named)
        for slug, answers in named.items():
            try:
                check_answers(claim=slug, answers=answers, answered=links)
            except AnswerCycle as exc:
                self.error(("claims", self.defined["claims"][slug][0], "answers"), str(exc))

    def _create_by_depth(self, spec: Section) -> None:
        """Create the section's new entries, each after the new one it points at (an agency's
        parent, the claim a claim answers): a few bulk inserts, one per depth."""
        own = [f.name for f in spec.stored_fields if f.kind == REF and f.target == spec.name]
        pending = dict(self.creates[spec.name])
        while pending:
            ready = [
                (key, item)
                for key, item in pending.items()
                if not any(getattr(item, name) in pending for name in own)
            ]
            self._create_entities(spec.name, ready)
            for key, _item in ready:
                del pending[key]

    # --- planning --------------------------------------------------------------------------------

    def _same(self, current, wanted) -> bool:
        if isinstance(wanted, Ref):
            if wanted.slug is None:
                return current is None
            # A slug with no pk yet is new: no stored row can point at it.
            return current is not None and self.pks[wanted.section].get(wanted.slug) == current
        return current == wanted

    def _changed(self, row, wanted: dict) -> list[str]:
        return [name for name, value in wanted.items() if not self._same(getattr(row, name), value)]

    def _note_fields(self, section: str, key, row, wanted: dict, changed: list[str]) -> None:
        """Remember, for the report, the old and new value of each changed field."""
        entries = self.field_changes[section].setdefault(key, [])
        for name in changed:
            value = wanted[name]
            if isinstance(value, Ref):
                old = _OldRef(value.section, getattr(row, name))
                self.old_refs[value.section].add(old.pk)
                entries.append((name.removesuffix("_id"), old, value))
            else:
                entries.append((name, getattr(row, name), value))

    def plan(self, *, dry_run: bool) -> ImportReport:
        self.creates: dict[str, list] = {s: [] for s in SECTIONS}  # (key, item)
        self.updates: dict[str, list] = {s: [] for s in SECTIONS}  # (row, wanted, changed names)
        self.touched: dict[str, set] = {s: set() for s in SECTIONS}  # keys of existing rows that change
        self.field_changes: dict[str, dict] = {s: {} for s in SECTIONS}  # key -> [(field, old, new)]
        self.list_changes: dict[str, dict] = {s: {} for s in SECTIONS}  # key -> [ListChange]
        self.old_refs: dict[str, set] = {s: set() for s in MODELS}  # pks whose slugs the report shows

        for section in SECTIONS:
            stored = self.keyed_stored[section] if section in _KEYED else self.rows[section]
            for key, (_index, item) in self.defined[section].items():
                row = stored.get(key)
                if row is None:
                    self.creates[section].append((key, item))
                    continue
                wanted = _wanted(section, item, stored=True)
                changed = self._changed(row, wanted)
                if changed:
                    self.updates[section].append((row, wanted, changed))
                    self.touched[section].add(key)
                    self._note_fields(section, key, row, wanted, changed)
        self.keyed_rows = {section: dict(self.keyed_stored[section]) for section in _KEYED}
        self._plan_children()
        return self._report(dry_run=dry_run)

    def _report(self, *, dry_run: bool) -> ImportReport:
        slugs = {section: {row.pk: slug for slug, row in self.rows[section].items()} for section in MODELS}
        for section, pks in self.old_refs.items():
            missing = pks - slugs[section].keys() - {None}
            if missing:
                slugs[section].update(
                    _fetch(MODELS[section].objects.values_list("pk", "slug"), "pk", missing)
                )

        def shown(value) -> str:
            if isinstance(value, _OldRef | Ref):
                slug = slugs[value.section].get(value.pk) if isinstance(value, _OldRef) else value.slug
                return "(none)" if slug is None else slug
            return _display(value)

        changes = []
        for section in SECTIONS:
            for key in self.defined[section]:
                fields = self.field_changes[section].get(key, [])
                lists = self.list_changes[section].get(key, [])
                if fields or lists:
                    changes.append(
                        EntityChange(
                            section=section,
                            key=_label(key),
                            fields=tuple(
                                FieldChange(
                                    field=name,
                                    old=old if isinstance(old, _Shown) else shown(old),
                                    new=new if isinstance(new, _Shown) else shown(new),
                                )
                                for name, old, new in fields
                            ),
                            lists=tuple(lists),
                        )
                    )
        return ImportReport(
            sections={
                s: SectionCounts(created=len(self.creates[s]), updated=len(self.touched[s])) for s in SECTIONS
            },
            dry_run=dry_run,
            changes=changes,
            new={s: [_label(key) for key, _item in self.creates[s]] for s in SECTIONS},
        )

    def _plan_children(self) -> None:
        """Compare each given ordered list with the stored one, in slug terms."""
        # list name -> {"section": owner section, "wanted": {key: list}, "stored": {key: stored child rows}}
        # "wanted" holds the lists the file gives, "stored" those of stored entities among them.
        self.lists: dict[str, dict] = {}
        for name, (section, nested) in LISTS.items():
            owners = self._stored_owners(section.name)
            wanted = {
                key: [_entry_key(nested, entry) for entry in getattr(item, nested.name)]
                for key, (_i, item) in self.defined[section.name].items()
                if _given(item, nested.name)
            }
            rows = self._stored_rows(nested, owners.values())
            stored = {key: rows.get(pk, []) for key, pk in owners.items() if key in wanted}
            self.lists[name] = {"section": section.name, "wanted": wanted, "stored": stored}
            for key in stored:
                old = self._stored_list(name, key)
                if old != wanted[key]:
                    self.touched[section.name].add(key)
                    self._note_list(section.name, key, name, old, wanted[key])
        self._plan_notes()

    def _stored_owners(self, section: str) -> dict[Any, int]:
        """The pks of the stored entities the file names, by their keys."""
        if section in _KEYED:
            return {key: row.pk for key, row in self.keyed_rows[section].items()}
        rows = self.rows[section]
        return {slug: rows[slug].pk for slug in self.defined[section] if slug in rows}

    def _stored_rows(self, nested: Nested, owner_pks) -> dict[Any, list]:
        """The stored rows of a nested list, by their owner's pk, with the rows of their own lists."""
        rows = _fetch(_with_slugs(nested), nested.owner, owner_pks)
        for inner in nested.inner:
            inner_rows = _grouped(
                _fetch(_with_slugs(inner), inner.owner, [row.pk for row in rows]), inner.owner
            )
            for row in rows:
                setattr(row, f"stored_{inner.store}", inner_rows.get(row.pk, []))
        return _grouped(rows, nested.owner)

    def _plan_notes(self) -> None:
        """Confidential notes: absent leaves a stored note alone, null removes it, text creates or
        replaces it. The report never shows a note's text."""
        sources = self._stored_owners("sources")
        notes = {
            n.source_id: n
            for n in _fetch(m.SourceConfidentialNote.objects.all(), "source_id", sources.values())
        }
        self.note_creates, self.note_updates, self.note_deletes = [], [], []
        for slug, (_i, item) in self.defined["sources"].items():
            if not _given(item, "confidential_notes"):
                continue
            note = notes.get(sources[slug]) if slug in sources else None
            if self._plan_note(slug, note, item.confidential_notes, stored=slug in sources):
                self.touched["sources"].add(slug)

    def _plan_note(self, slug: str, note, text: str | None, *, stored: bool) -> bool:
        """Plan one source's note; whether that changes a stored source."""
        if text is None:
            if note is None:
                return False
            self.note_deletes.append(note)
            self.list_changes["sources"].setdefault(slug, []).append(
                ListChange("confidential_notes", removed=("the confidential note (not shown)",))
            )
        elif note is None:
            self.note_creates.append((slug, text))
            if stored:
                self.field_changes["sources"].setdefault(slug, []).append(
                    ("confidential_notes", _Shown("(none)"), _Shown("a note (not shown)"))
                )
        elif note.notes != text:
            note.notes = text
            self.note_updates.append(note)
            self.field_changes["sources"].setdefault(slug, []).append(
                ("confidential_notes", _Shown("a note (not shown)"), _Shown("another note (not shown)"))
            )
        else:
            return False
        return stored

    def _note_list(self, section: str, key, name: str, old: list, new: list) -> None:
        """Remember, for the report, the entries a list gains and the stored rows that go."""

        def beyond(entries, others) -> list:
            """The entries of `entries` that `others` lacks, as many times as it lacks them."""
            extra = Counter(entries) - Counter(others)
            out = []
            for entry in entries:
                if extra[entry] > 0:
                    extra[entry] -= 1
                    out.append(entry)
            return out

        added, removed = beyond(new, old), beyond(old, new)
        self.list_changes[section].setdefault(key, []).append(
            ListChange(
                LISTS[name][1].name,
                added=tuple(_entry(name, e) for e in added),
                removed=tuple(_entry(name, e) for e in removed),
            )
        )

    # --- writing ---------------------------------------------------------------------------------

    def _pk(self, ref: Ref):
        return None if ref.slug is None else self.pks[ref.section][ref.slug]

    def _resolve(self, wanted: dict) -> dict:
        return {name: self._pk(v) if isinstance(v, Ref) else v for name, v in wanted.items()}

    def _create(self, model, rows: list[dict]) -> list[int]:
        """Insert rows given as {attname: value} (all with the same keys); their pks, in order."""
        if not rows:
            return []
        columns = list(rows[0])
        values = [tuple(row.values()) for row in rows]
        return insert_with_history(model, columns, values, user=self.actor, reason=self.reason)

    def _delete(self, rows) -> None:
        delete_with_history(rows, user=self.actor, reason=self.reason)

    def _create_entities(self, section: str, entries: list) -> None:
        spec = BY_NAME[section]
        rows = [
            {**self._key_columns(spec, key), **self._resolve(_fields(section, item))} for key, item in entries
        ]
        created = self._create(spec.model, rows)
        for (key, _item), pk in zip(entries, created, strict=True):
            (self.keyed_pks[section] if spec.keyed else self.pks[section])[key] = pk

    def _key_columns(self, spec: Section, key) -> dict[str, Any]:
        """How a new row is known: its slug, or the pks of the pair of references."""
        if not spec.keyed:
            return {"slug": key}
        return {
            spec.field(name).attname: self.pks[spec.field(name).target][slug]
            for name, slug in zip(spec.key, key, strict=True)
        }

    def _update_rows(self, section: str) -> None:
        entries = self.updates[section]
        if not entries:
            return
        names = set()
        for row, wanted, changed in entries:
            for name in changed:
                setattr(row, name, self._pk(wanted[name]) if isinstance(wanted[name], Ref) else wanted[name])
            names.update(changed)
            row.updated_at = self.now
        rows = [row for row, _w, _c in entries]
        update_with_history(
            rows, type(rows[0]), sorted(names | {"updated_at"}), user=self.actor, reason=self.reason
        )

    def _stored_list(self, name: str, key) -> list:
        nested = LISTS[name][1]
        return [_stored_key(nested, row) for row in self.lists[name]["stored"][key]]

    def _write_list(self, name: str) -> None:
        """Rewrite the lists that changed: delete the stored rows, create the file's, in order."""
        spec = self.lists[name]
        section, nested = LISTS[name]
        owners = self.keyed_pks[section.name] if section.keyed else self.pks[section.name]
        stale, objs, entries = [], [], []
        for key, wanted in spec["wanted"].items():
            if key in spec["stored"]:
                if key not in self.touched[section.name] or self._stored_list(name, key) == wanted:
                    continue
                stale.extend(spec["stored"][key])
            objs += [self._list_row(nested, owners[key], n, entry) for n, entry in enumerate(wanted)]
            entries += wanted
        for inner in nested.inner:
            self._delete([x for row in stale for x in getattr(row, f"stored_{inner.store}")])
        self._delete(stale)
        created = self._create(nested.model, objs)
        for i, inner in enumerate(nested.entry):
            if isinstance(inner, Nested):
                self._create(
                    inner.model,
                    [
                        self._list_row(inner, pk, n, slug)
                        for pk, entry in zip(created, entries, strict=True)
                        for n, slug in enumerate(entry[i])
                    ],
                )

    def _list_row(self, nested: Nested, owner: int, position: int, entry):
        """One stored row of a nested list from the file's entry (`_entry_key`'s form)."""
        values = (entry,) if nested.refs else entry
        columns = {}
        for f, value in zip(nested.entry, values, strict=True):
            if isinstance(f, Field):
                columns[f.attname] = self._pk(Ref(f.target, value)) if f.kind == REF else value
        return {nested.owner: owner, "position": position, **columns}

    def _write_notes(self) -> None:
        self._create(
            m.SourceConfidentialNote,
            [{"source_id": self.pks["sources"][slug], "notes": text} for slug, text in self.note_creates],
        )
        self._delete(self.note_deletes)
        for note in self.note_updates:
            note.updated_at = self.now
        update_with_history(
            self.note_updates,
            m.SourceConfidentialNote,
            ["notes", "updated_at"],
            user=self.actor,
            reason=self.reason,
        )

    def apply(self) -> None:
        """Write what the plan found, sections in the format page's order (each points only at the
        ones before it, or at itself), then the nested lists, which point at any."""
        self.keyed_pks = {
            section: {k: row.pk for k, row in self.keyed_rows[section].items()} for section in _KEYED
        }
        for spec in SECTIONS_DESCRIBED:
            self._create_by_depth(spec)
            self._update_rows(spec.name)
            if spec.name == "sources":
                self._write_notes()
        for name in LISTS:
            self._write_list(name)


class _Shown(str):
    """A value already written as the report shows it (a confidential note's stand-in)."""
