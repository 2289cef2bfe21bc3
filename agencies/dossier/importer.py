"""Import a dossier: check everything first, then write only what changed, all or nothing.

Ids are the models' slugs. An entity the file names is created, or updated from
the file when it differs (the file is authoritative for it, child lists
included); an entity it does not name is left alone. Rows are compared before
anything is saved, so re-importing the same file writes no row and adds no
history. Existing rows are fetched per section in a few `__in` queries, never
one query per reference.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from agencies import models as m
from agencies.answers import AnswerCycle, check_answers
from agencies.bulk import create_with_history

from .errors import DossierError, at
from .schema import SECTIONS, Structure, check_structure

CHANGE_REASON = "dossier import"
_BATCH = 500

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


@dataclass
class ImportReport:
    """What an import created and updated, per section (or would have, for a dry run)."""

    sections: dict[str, SectionCounts] = field(default_factory=lambda: {s: SectionCounts() for s in SECTIONS})
    dry_run: bool = False

    @property
    def created(self) -> int:
        return sum(c.created for c in self.sections.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.sections.values())

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

    __str__ = summary


# --- the service ---------------------------------------------------------------------------------


def dossier_import(*, data: dict, actor=None, dry_run: bool = False) -> ImportReport:
    """Check `data` (a loaded dossier) and apply it, all or nothing.

    Raises DossierError with every problem found, each naming its place, and
    writes nothing. A dry run checks and counts but writes nothing either.
    History rows record `actor` and the reason "dossier import".
    """
    structure = check_structure(data)
    try:
        with _without_cycle_collection(), transaction.atomic():
            run = _Import(structure, actor=actor)
            run.check()
            report = run.plan(dry_run=dry_run)
            if not dry_run:
                run.apply()
    except DatabaseError as exc:
        # Everything the database would refuse should have been caught above; never leak a traceback.
        raise DossierError([f"the database refused the import, nothing was written: {exc}"]) from exc
    return report


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


class _Import:
    def __init__(self, structure: Structure, *, actor):
        self.structure = structure
        self.actor = actor
        self.errors: list[tuple[tuple, str]] = list(structure.errors)
        # First occurrence of each id (sections with ids) or key (data_access, comment_requests).
        self.defined: dict[str, dict[Any, tuple[int, Any]]] = {s: {} for s in SECTIONS}
        self.rows: dict[str, dict[str, Any]] = {s: {} for s in MODELS}  # slug -> existing row
        self.pks: dict[str, dict[str, int]] = {s: {} for s in MODELS}  # slug -> pk, existing then new
        self.now = timezone.now()

    def error(self, path: tuple, message: str) -> None:
        self.errors.append((path, at(path, message)))

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
                    if slug is not None:
                        referenced[target].add(slug)
        for section, model in MODELS.items():
            wanted = set(self.defined[section]) | referenced[section]
            for row in _fetch(model.objects.all(), "slug", wanted):
                self.rows[section][row.slug] = row
                self.pks[section][row.slug] = row.pk

        known = {s: set(self.defined[s]) | set(self.rows[s]) | self.structure.invalid_ids[s] for s in MODELS}
        for section in SECTIONS:
            for index, item in items[section]:
                for place, target, slug in _references(section, item):
                    if slug is not None and slug not in known[target]:
                        self.error((section, index, *place), f"unknown {KIND[target]} {slug!r}")
                self._check_item(section, index, item)
        self._check_agency_cycles()
        self._check_answer_cycles()

        if self.errors:
            ranks = {s: n for n, s in enumerate(SECTIONS)}

            def order(error):
                path = error[0]
                index = path[1] if len(path) > 1 and isinstance(path[1], int) else -1
                return (ranks.get(path[0], -1) if path else -1, index)

            raise DossierError([message for _path, message in sorted(self.errors, key=order)])

    def _check_item(self, section: str, index: int, item) -> None:
        here = (section, index)

        def once(name: str, slugs) -> None:
            seen = set()
            for j, slug in enumerate(slugs):
                if slug in seen:
                    self.error((*here, name, j), f"{slug!r} is listed twice")
                seen.add(slug)

        if section == "documents":
            once("cites", item.cites)
            for j, slug in enumerate(item.cites):
                if slug == item.id:
                    self.error((*here, "cites", j), "a document cannot cite itself")
        elif section == "sources":
            if item.count is not None and item.kind != m.SourceKind.ANONYMOUS:
                self.error(
                    (*here, "count"), f"only an anonymous source has a count (this one is {item.kind!r})"
                )
        elif section == "claims":
            if not item.agencies:
                self.error((*here, "agencies"), "a claim is about at least one agency")
            if not item.attributions:
                self.error((*here, "attributions"), "a claim needs at least one attribution")
            once("agencies", item.agencies)
        elif section in ("roles", "data_access"):
            if not item.claims:
                what = "a role" if section == "roles" else "data access"
                self.error((*here, "claims"), f"{what} rests on at least one claim")
            once("claims", item.claims)
        elif section == "figures" and item.period_end.end < item.period_start.start:
            self.error((*here, "period_end"), f"{item.period_end} is before period_start {item.period_start}")

    def _check_agency_cycles(self) -> None:
        parent = {slug: item.parent for slug, (_i, item) in self.defined["agencies"].items()}
        # Agencies the file does not name keep their stored parent: follow those up to the root.
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
            chain, current = [slug], parent.get(slug)
            while current is not None and current not in chain:
                chain.append(current)
                current = parent.get(current)
            if current == slug and frozenset(chain) not in reported:
                reported.add(frozenset(chain))
                path = (*chain, slug)
                self.error(("agencies", index, "parent"), "parent cycle: " + " -> ".join(path))

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
        # A new claim answering another new one is created after it: by depth, a few bulk inserts.
        pending = dict(self.creates["claims"])
        while pending:
            ready = [
                (slug, item)
                for slug, item in pending.items()
                if item.answers is None or item.answers not in pending
            ]
            self._create_entities("claims", ready)
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

    def plan(self, *, dry_run: bool) -> ImportReport:
        self.creates: dict[str, list] = {s: [] for s in SECTIONS}  # (key, item)
        self.updates: dict[str, list] = {s: [] for s in SECTIONS}  # (row, wanted, changed names)
        self.touched: dict[str, set] = {s: set() for s in SECTIONS}  # keys of existing rows that change

        for section in MODELS:
            for slug, (_index, item) in self.defined[section].items():
                row = self.rows[section].get(slug)
                if row is None:
                    self.creates[section].append((slug, item))
                    continue
                wanted = _fields(section, item)
                changed = self._changed(row, wanted)
                if changed:
                    self.updates[section].append((row, wanted, changed))
                    self.touched[section].add(slug)

        self._plan_keyed()
        self._plan_children()

        return ImportReport(
            sections={
                s: SectionCounts(created=len(self.creates[s]), updated=len(self.touched[s])) for s in SECTIONS
            },
            dry_run=dry_run,
        )

    def _plan_keyed(self) -> None:
        """data_access and comment_requests: no ids, keyed by (system, seeker) and (document, agency)."""
        self.keyed_rows: dict[str, dict] = {}
        for section, model, (first, second), targets in (
            ("data_access", m.DataAccess, ("system_id", "seeker_id"), ("data_systems", "agencies")),
            ("comment_requests", m.CommentRequest, ("document_id", "agency_id"), ("documents", "agencies")),
        ):
            parents = {
                self.pks[targets[0]][k[0]] for k in self.defined[section] if k[0] in self.pks[targets[0]]
            }
            stored = {
                (getattr(r, first), getattr(r, second)): r
                for r in _fetch(model.objects.all(), first, parents)
            }
            matched = {}
            for key, (_index, item) in self.defined[section].items():
                pk_key = (self.pks[targets[0]].get(key[0]), self.pks[targets[1]].get(key[1]))
                row = stored.get(pk_key) if None not in pk_key else None
                if row is None:
                    self.creates[section].append((key, item))
                    continue
                matched[key] = row
                wanted = _fields(section, item)
                changed = self._changed(row, wanted)
                if changed:
                    self.updates[section].append((row, wanted, changed))
                    self.touched[section].add(key)
            self.keyed_rows[section] = matched

    def _plan_children(self) -> None:
        """Compare each named entity's ordered lists with the stored ones, in slug terms."""
        d = self.defined
        stored_pk = {
            s: {slug: self.rows[s][slug].pk for slug in d[s] if slug in self.rows[s]} for s in MODELS
        }
        # list name -> {"section": owner section, "wanted": {key: list}, "stored": {key: stored child rows}}
        self.lists: dict[str, dict] = {}

        def register(name, section, wanted, stored_rows, keys_pks):
            stored = {key: stored_rows.get(pk, []) for key, pk in keys_pks.items()}
            self.lists[name] = {"section": section, "wanted": wanted, "stored": stored}
            for key in stored:
                if self._stored_list(name, key) != wanted[key]:
                    self.touched[section].add(key)

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
            {
                slug: [(x.text, x.document, x.as_of) for x in item.missions]
                for slug, (_i, item) in d["agencies"].items()
            },
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
            {slug: list(item.cites) for slug, (_i, item) in d["documents"].items()},
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
            {slug: list(item.agencies) for slug, (_i, item) in d["claims"].items()},
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
            {
                slug: [_attribution_key(a) for a in item.attributions]
                for slug, (_i, item) in d["claims"].items()
            },
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
            {slug: list(item.claims) for slug, (_i, item) in d["roles"].items()},
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
            {key: list(item.claims) for key, (_i, item) in d["data_access"].items()},
            access_claims,
            accesses,
        )

        # Confidential notes: absent or null leaves a stored note alone; text creates or updates it.
        sources = stored_pk["sources"]
        notes = {
            n.source_id: n
            for n in _fetch(m.SourceConfidentialNote.objects.all(), "source_id", sources.values())
        }
        self.note_creates, self.note_updates = [], []
        for slug, (_i, item) in d["sources"].items():
            if item.confidential_notes is None:
                continue
            note = notes.get(sources[slug]) if slug in sources else None
            if note is None:
                self.note_creates.append((slug, item.confidential_notes))
            elif note.notes != item.confidential_notes:
                note.notes = item.confidential_notes
                self.note_updates.append(note)
            else:
                continue
            if slug in sources:
                self.touched["sources"].add(slug)

    # --- writing ---------------------------------------------------------------------------------

    def _pk(self, ref: Ref):
        return None if ref.slug is None else self.pks[ref.section][ref.slug]

    def _resolve(self, wanted: dict) -> dict:
        return {name: self._pk(v) if isinstance(v, Ref) else v for name, v in wanted.items()}

    def _create(self, model, objs: list) -> list:
        if not objs:
            return []
        return create_with_history(objs, model, user=self.actor, reason=CHANGE_REASON)

    def _delete(self, rows) -> None:
        # One by one so that each history row says who and why; only lists that changed get here.
        for row in rows:
            row._change_reason = CHANGE_REASON
            if self.actor is not None:
                row._history_user = self.actor
            row.delete()

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
        bulk_update_with_history(
            [row for row, _w, _c in entries],
            type(entries[0][0]),
            sorted(names | {"updated_at"}),
            batch_size=_BATCH,
            default_user=self.actor,
            default_change_reason=CHANGE_REASON,
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
        # A new agency whose parent is also new is created after it: by depth, a few bulk inserts.
        pending = dict(self.creates["agencies"])
        while pending:
            ready = [
                (slug, item)
                for slug, item in pending.items()
                if item.parent is None or item.parent not in pending
            ]
            self._create_entities("agencies", ready)
            for slug, _item in ready:
                del pending[slug]

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
        if self.note_updates:
            for note in self.note_updates:
                note.updated_at = self.now
            bulk_update_with_history(
                self.note_updates,
                m.SourceConfidentialNote,
                ["notes", "updated_at"],
                batch_size=_BATCH,
                default_user=self.actor,
                default_change_reason=CHANGE_REASON,
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
