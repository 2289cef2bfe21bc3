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
from agencies.core.bulk import create_with_history, delete_with_history, update_with_history

from .errors import DossierError, at, show
from .schema import NEW_REQUIRES, SECTIONS, Structure, check_structure

CHANGE_REASON = "dossier import"
# Imports that write take this PostgreSQL advisory lock (for their transaction): two at once would
# otherwise both plan against the record before either wrote, and one would die on a unique key.
IMPORT_LOCK = 0x0D055_1E5

MODELS = {
    "agencies": m.Agency,
    "outlets": m.Outlet,
    "documents": m.Document,
    "sources": m.Source,
    "claims": m.Claim,
    "roles": m.ReportedRole,
    "data_systems": m.DataSystem,
    "figures": m.Figure,
}
KIND = {
    "agencies": "agency",
    "outlets": "outlet",
    "documents": "document",
    "sources": "source",
    "claims": "claim",
    "roles": "role",
    "data_systems": "data system",
    "figures": "figure",
}


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


def _fields(section: str, item) -> dict[str, Any]:
    """The row's own columns (attnames) as the file wants them."""
    if section == "agencies":
        return {
            "name": item.name,
            "acronym": item.acronym or "",
            "kind": item.kind,
            "parent_id": Ref("agencies", item.parent),
            "website": item.website or "",
        }
    if section == "outlets":
        return {"name": item.name, "kind": item.kind}
    if section == "documents":
        return {
            "kind": item.kind,
            "outlet_id": Ref("outlets", item.outlet),
            "title": item.title,
            "published": item.published,
            "url": item.url or "",
            "archived_url": item.archived_url or "",
            "authors": list(item.authors),
        }
    if section == "sources":
        return {
            "kind": item.kind,
            "description": item.description or "",
            "count": item.count,
            "reason": item.reason or "",
            "granted_by_id": Ref("documents", item.granted_by),
            "name": item.name or "",
            "title": item.title or "",
            "affiliation_id": Ref("agencies", item.affiliation),
            "agency_id": Ref("agencies", item.agency),
            "outlet_id": Ref("outlets", item.outlet),
            "document_id": Ref("documents", item.document),
        }
    if section == "claims":
        wanted = {"kind": item.kind, "text": item.text, "made": item.made, "status": item.status}
        if "answers" in item.model_fields_set:  # extension; left out, the stored link stays
            wanted["answers_id"] = Ref("claims", item.answers)
        return wanted
    if section == "roles":
        return {
            "agency_id": Ref("agencies", item.agency),
            "partner_id": Ref("agencies", item.partner),
            "summary": item.summary,
            "category": item.category,
            "status": item.status,
            "first_reported": item.first_reported,
            "mission_fit": item.mission_fit,
            "rationale": item.rationale or "",
        }
    if section == "data_systems":
        return {
            "agency_id": Ref("agencies", item.agency),
            "name": item.name,
            "description": item.description or "",
        }
    if section == "figures":
        return {
            "claim_id": Ref("claims", item.claim),
            "metric": item.metric,
            "value": item.value,
            "unit": item.unit,
            "period_start": item.period_start,
            "period_end": item.period_end,
            "geography": item.geography or "",
            "basis": item.basis or "",
        }
    if section == "data_access":
        return {"status": item.status}
    if section == "comment_requests":
        return {
            "requested": item.requested,
            "response": item.response,
            "response_text": item.response_text or "",
        }
    raise AssertionError(section)


def _references(section: str, item):
    """(place within the item, target section, slug) for every id the item points at."""
    if section == "agencies":
        yield ("parent",), "agencies", item.parent
        for j, mission in enumerate(item.missions):
            yield ("missions", j, "document"), "documents", mission.document
    elif section == "documents":
        yield ("outlet",), "outlets", item.outlet
        for j, slug in enumerate(item.cites):
            yield ("cites", j), "documents", slug
    elif section == "sources":
        yield ("granted_by",), "documents", item.granted_by
        yield ("affiliation",), "agencies", item.affiliation
        yield ("agency",), "agencies", item.agency
        yield ("outlet",), "outlets", item.outlet
        yield ("document",), "documents", item.document
    elif section == "claims":
        for j, slug in enumerate(item.agencies):
            yield ("agencies", j), "agencies", slug
        for j, attribution in enumerate(item.attributions):
            yield ("attributions", j, "document"), "documents", attribution.document
            for k, slug in enumerate(attribution.via):
                yield ("attributions", j, "via", k), "documents", slug
            yield ("attributions", j, "origin"), "sources", attribution.origin
        yield ("answers",), "claims", item.answers
    elif section == "roles":
        yield ("agency",), "agencies", item.agency
        yield ("partner",), "agencies", item.partner
        for j, slug in enumerate(item.claims):
            yield ("claims", j), "claims", slug
    elif section == "data_systems":
        yield ("agency",), "agencies", item.agency
    elif section == "data_access":
        yield ("system",), "data_systems", item.system
        yield ("seeker",), "agencies", item.seeker
        for j, slug in enumerate(item.claims):
            yield ("claims", j), "claims", slug
    elif section == "figures":
        yield ("claim",), "claims", item.claim
    elif section == "comment_requests":
        yield ("document",), "documents", item.document
        yield ("agency",), "agencies", item.agency


def _attribution_key(attribution) -> tuple:
    return (
        attribution.document,
        tuple(attribution.via),
        attribution.origin,
        attribution.stance,
        attribution.quote or "",
        attribution.locator or "",
    )


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
    return {column: value for column, value in wanted.items() if column.removesuffix("_id") in given}


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


# Each nested list as the format names it.
_LIST_FIELDS = {
    "missions": "missions",
    "citations": "cites",
    "claim_agencies": "agencies",
    "attributions": "attributions",
    "role_claims": "claims",
    "access_claims": "claims",
}
_KEYED = {
    "data_access": (m.DataAccess, ("system_id", "seeker_id"), ("data_systems", "agencies")),
    "comment_requests": (m.CommentRequest, ("document_id", "agency_id"), ("documents", "agencies")),
}
# The rows each nested list is stored as.
_LIST_MODELS = {
    "missions": m.StatedMission,
    "citations": m.Citation,
    "claim_agencies": m.ClaimAgency,
    "attributions": m.Attribution,
    "role_claims": m.RoleClaim,
    "access_claims": m.DataAccessClaim,
}
_KEYED_KIND = {"data_access": "data access entry", "comment_requests": "comment request"}


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

        referenced = {s: set() for s in MODELS}
        for section in SECTIONS:
            for _index, item in items[section]:
                for _place, target, slug in _references(section, item):
                    if slug:  # neither None nor MISSING (a reference the entry leaves out)
                        referenced[target].add(slug)
        for section, model in MODELS.items():
            wanted = set(self.defined[section]) | referenced[section]
            for row in _fetch(model.objects.all(), "slug", wanted):
                self.rows[section][row.slug] = row
                self.pks[section][row.slug] = row.pk
        self._fetch_keyed()

        known = {s: set(self.defined[s]) | set(self.rows[s]) | self.structure.invalid_ids[s] for s in MODELS}
        for section in SECTIONS:
            for index, item in items[section]:
                for place, target, slug in _references(section, item):
                    if slug and slug not in known[target]:
                        self.error((section, index, *place), f"unknown {KIND[target]} {slug!r}")
                self._check_item(section, index, item)
        self._check_new()
        self._check_agency_cycles()
        self._check_permissions()
        self._check_answer_cycles()

        if self.errors:
            raise self.errors.error()

    def _fetch_keyed(self) -> None:
        """The stored data_access and comment_requests rows the file names, by their keys."""
        for section, (model, (first, second), targets) in _KEYED.items():
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
            kind = _KEYED_KIND.get(section) or KIND[section]
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
            model = MODELS.get(section) or _KEYED[section][0]
            if self.creates[section]:
                needed[model].add("add")
            if self.updates[section]:
                needed[model].add("change")
        for name, spec in self.lists.items():
            model = _LIST_MODELS[name]
            for key, wanted in spec["wanted"].items():
                if key not in spec["stored"]:
                    if wanted:
                        needed[model].add("add")
                elif self._stored_list(name, key) != wanted:
                    needed[model].update(("add", "delete") if wanted else ("delete",))
                    if name == "attributions":
                        needed[m.AttributionHop].update(("add", "delete"))
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

    def _create_claims(self) -> None:
        # A new claim answering another new one is created after it.
        self._create_by_depth("claims", lambda item: item.answers)

    def _create_by_depth(self, section: str, depends_on) -> None:
        """Create the section's new entities, each after the new one it points at (`depends_on`):
        a few bulk inserts, one per depth."""
        pending = dict(self.creates[section])
        while pending:
            ready = [(slug, item) for slug, item in pending.items() if depends_on(item) not in pending]
            self._create_entities(section, ready)
            for slug, _item in ready:
                del pending[slug]

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
        d = self.defined
        stored_pk = {
            s: {slug: self.rows[s][slug].pk for slug in d[s] if slug in self.rows[s]} for s in MODELS
        }
        # list name -> {"section": owner section, "wanted": {key: list}, "stored": {key: stored child rows}}
        # "wanted" holds the lists the file gives, "stored" those of stored entities among them.
        self.lists: dict[str, dict] = {}

        def register(name, section, wanted, stored_rows, keys_pks):
            stored = {key: stored_rows.get(pk, []) for key, pk in keys_pks.items() if key in wanted}
            self.lists[name] = {"section": section, "wanted": wanted, "stored": stored}
            for key in stored:
                old = self._stored_list(name, key)
                if old != wanted[key]:
                    self.touched[section].add(key)
                    self._note_list(section, key, name, old, wanted[key])

        def given(section, attribute, value):
            return {key: value(item) for key, (_i, item) in d[section].items() if _given(item, attribute)}

        agencies = stored_pk["agencies"]
        missions = _grouped(
            _fetch(
                m.StatedMission.objects.annotate(document_slug=F("document__slug")).order_by(
                    "agency_id", "position", "id"
                ),
                "agency_id",
                agencies.values(),
            ),
            "agency_id",
        )
        register(
            "missions",
            "agencies",
            given(
                "agencies", "missions", lambda item: [(x.text, x.document, x.as_of) for x in item.missions]
            ),
            missions,
            agencies,
        )

        documents = stored_pk["documents"]
        citations = _grouped(
            _fetch(
                m.Citation.objects.annotate(cited_slug=F("cited__slug")).order_by(
                    "citing_id", "position", "id"
                ),
                "citing_id",
                documents.values(),
            ),
            "citing_id",
        )
        register(
            "citations",
            "documents",
            given("documents", "cites", lambda item: list(item.cites)),
            citations,
            documents,
        )

        claims = stored_pk["claims"]
        claim_agencies = _grouped(
            _fetch(
                m.ClaimAgency.objects.annotate(agency_slug=F("agency__slug")).order_by(
                    "claim_id", "position", "id"
                ),
                "claim_id",
                claims.values(),
            ),
            "claim_id",
        )
        register(
            "claim_agencies",
            "claims",
            given("claims", "agencies", lambda item: list(item.agencies)),
            claim_agencies,
            claims,
        )

        attributions = _fetch(
            m.Attribution.objects.annotate(
                document_slug=F("document__slug"), origin_slug=F("origin__slug")
            ).order_by("claim_id", "position", "id"),
            "claim_id",
            claims.values(),
        )
        hops = _grouped(
            _fetch(
                m.AttributionHop.objects.annotate(document_slug=F("document__slug")).order_by(
                    "attribution_id", "position", "id"
                ),
                "attribution__claim_id",
                claims.values(),
            ),
            "attribution_id",
        )
        for attribution in attributions:
            attribution.stored_hops = hops.get(attribution.pk, [])
        register(
            "attributions",
            "claims",
            given("claims", "attributions", lambda item: [_attribution_key(a) for a in item.attributions]),
            _grouped(attributions, "claim_id"),
            claims,
        )

        roles = stored_pk["roles"]
        role_claims = _grouped(
            _fetch(
                m.RoleClaim.objects.annotate(claim_slug=F("claim__slug")).order_by(
                    "role_id", "position", "id"
                ),
                "role_id",
                roles.values(),
            ),
            "role_id",
        )
        register(
            "role_claims",
            "roles",
            given("roles", "claims", lambda item: list(item.claims)),
            role_claims,
            roles,
        )

        accesses = {key: row.pk for key, row in self.keyed_rows["data_access"].items()}
        access_claims = _grouped(
            _fetch(
                m.DataAccessClaim.objects.annotate(claim_slug=F("claim__slug")).order_by(
                    "access_id", "position", "id"
                ),
                "access_id",
                accesses.values(),
            ),
            "access_id",
        )
        register(
            "access_claims",
            "data_access",
            given("data_access", "claims", lambda item: list(item.claims)),
            access_claims,
            accesses,
        )

        # Confidential notes: absent leaves a stored note alone, null removes it, text creates or
        # replaces it. The report never shows a note's text.
        sources = stored_pk["sources"]
        notes = {
            n.source_id: n
            for n in _fetch(m.SourceConfidentialNote.objects.all(), "source_id", sources.values())
        }
        self.note_creates, self.note_updates, self.note_deletes = [], [], []
        for slug, (_i, item) in d["sources"].items():
            if not _given(item, "confidential_notes"):
                continue
            note = notes.get(sources[slug]) if slug in sources else None
            text = item.confidential_notes
            if text is None:
                if note is None:
                    continue
                self.note_deletes.append(note)
                self.list_changes["sources"].setdefault(slug, []).append(
                    ListChange("confidential_notes", removed=("the confidential note (not shown)",))
                )
            elif note is None:
                self.note_creates.append((slug, text))
                if slug in sources:
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
                continue
            if slug in sources:
                self.touched["sources"].add(slug)

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
                _LIST_FIELDS[name],
                added=tuple(_entry(name, e) for e in added),
                removed=tuple(_entry(name, e) for e in removed),
            )
        )

    # --- writing ---------------------------------------------------------------------------------

    def _pk(self, ref: Ref):
        return None if ref.slug is None else self.pks[ref.section][ref.slug]

    def _resolve(self, wanted: dict) -> dict:
        return {name: self._pk(v) if isinstance(v, Ref) else v for name, v in wanted.items()}

    def _create(self, model, objs: list) -> list:
        if not objs:
            return []
        return create_with_history(objs, model, user=self.actor, reason=self.reason)

    def _delete(self, rows) -> None:
        delete_with_history(rows, user=self.actor, reason=self.reason)

    def _create_entities(self, section: str, entries: list) -> None:
        model = MODELS[section]
        objs = [model(slug=slug, **self._resolve(_fields(section, item))) for slug, item in entries]
        for obj in self._create(model, objs):
            self.pks[section][obj.slug] = obj.pk

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

    def _entities(self, section: str) -> None:
        self._create_entities(section, self.creates[section])
        self._update_rows(section)

    def _replace(self, name: str, model, owner_pk, build) -> list[tuple]:
        """Rewrite the lists that changed: delete the stored rows, create the file's, in order.

        Returns (created row, file entry) pairs.
        """
        spec = self.lists[name]
        section = spec["section"]
        stale, objs, entries = [], [], []
        for key, wanted in spec["wanted"].items():
            if key in spec["stored"]:
                if key not in self.touched[section] or self._stored_list(name, key) == wanted:
                    continue
                stale.extend(spec["stored"][key])
            owner = owner_pk(key)
            for position, entry in enumerate(wanted):
                objs.append(build(owner, position, entry))
                entries.append(entry)
        if name == "attributions":
            self._delete([hop for row in stale for hop in row.stored_hops])
        self._delete(stale)
        return list(zip(self._create(model, objs), entries, strict=True))

    def _stored_list(self, name: str, key) -> list:
        rows = self.lists[name]["stored"][key]
        if name == "missions":
            return [(x.text, x.document_slug, x.as_of) for x in rows]
        if name == "citations":
            return [x.cited_slug for x in rows]
        if name == "claim_agencies":
            return [x.agency_slug for x in rows]
        if name == "attributions":
            return [
                (
                    x.document_slug,
                    tuple(h.document_slug for h in x.stored_hops),
                    x.origin_slug,
                    x.stance,
                    x.quote,
                    x.locator,
                )
                for x in rows
            ]
        return [x.claim_slug for x in rows]

    def _create_agencies(self) -> None:
        # A new agency whose parent is also new is created after it.
        self._create_by_depth("agencies", lambda item: item.parent)

    def apply(self) -> None:
        pk = self.pks
        doc = lambda slug: None if slug is None else pk["documents"][slug]  # noqa: E731

        self._entities("outlets")
        self._entities("documents")
        self._replace(
            "citations",
            m.Citation,
            lambda key: pk["documents"][key],
            lambda owner, position, slug: m.Citation(
                citing_id=owner, cited_id=pk["documents"][slug], position=position
            ),
        )
        self._create_agencies()
        self._update_rows("agencies")
        self._replace(
            "missions",
            m.StatedMission,
            lambda key: pk["agencies"][key],
            lambda owner, position, e: m.StatedMission(
                agency_id=owner, text=e[0], document_id=doc(e[1]), as_of=e[2], position=position
            ),
        )
        self._entities("sources")
        self._create(
            m.SourceConfidentialNote,
            [
                m.SourceConfidentialNote(source_id=pk["sources"][slug], notes=text)
                for slug, text in self.note_creates
            ],
        )
        self._delete(self.note_deletes)
        if self.note_updates:
            for note in self.note_updates:
                note.updated_at = self.now
            update_with_history(
                self.note_updates,
                m.SourceConfidentialNote,
                ["notes", "updated_at"],
                user=self.actor,
                reason=self.reason,
            )
        self._create_claims()
        self._update_rows("claims")
        self._replace(
            "claim_agencies",
            m.ClaimAgency,
            lambda key: pk["claims"][key],
            lambda owner, position, slug: m.ClaimAgency(
                claim_id=owner, agency_id=pk["agencies"][slug], position=position
            ),
        )
        created = self._replace(
            "attributions",
            m.Attribution,
            lambda key: pk["claims"][key],
            lambda owner, position, e: m.Attribution(
                claim_id=owner,
                document_id=pk["documents"][e[0]],
                origin_id=pk["sources"][e[2]],
                stance=e[3],
                quote=e[4],
                locator=e[5],
                position=position,
            ),
        )
        self._create(
            m.AttributionHop,
            [
                m.AttributionHop(
                    attribution_id=attribution.pk, document_id=pk["documents"][slug], position=position
                )
                for attribution, entry in created
                for position, slug in enumerate(entry[1])
            ],
        )
        self._entities("figures")
        self._entities("roles")
        self._replace(
            "role_claims",
            m.RoleClaim,
            lambda key: pk["roles"][key],
            lambda owner, position, slug: m.RoleClaim(
                role_id=owner, claim_id=pk["claims"][slug], position=position
            ),
        )
        self._entities("data_systems")

        access_pks = {key: row.pk for key, row in self.keyed_rows["data_access"].items()}
        new_accesses = [
            m.DataAccess(
                system_id=pk["data_systems"][key[0]], seeker_id=pk["agencies"][key[1]], status=item.status
            )
            for key, item in self.creates["data_access"]
        ]
        for (key, _item), row in zip(
            self.creates["data_access"], self._create(m.DataAccess, new_accesses), strict=True
        ):
            access_pks[key] = row.pk
        self._update_rows("data_access")
        self._replace(
            "access_claims",
            m.DataAccessClaim,
            lambda key: access_pks[key],
            lambda owner, position, slug: m.DataAccessClaim(
                access_id=owner, claim_id=pk["claims"][slug], position=position
            ),
        )

        self._create(
            m.CommentRequest,
            [
                m.CommentRequest(
                    document_id=pk["documents"][key[0]],
                    agency_id=pk["agencies"][key[1]],
                    **_fields("comment_requests", item),
                )
                for key, item in self.creates["comment_requests"]
            ],
        )
        self._update_rows("comment_requests")


class _Shown(str):
    """A value already written as the report shows it (a confidential note's stand-in)."""
