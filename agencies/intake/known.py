"""What the proposer matches an article against: the record's agencies (with their missions),
outlets, sources and documents, read in a fixed number of queries, or given as a dossier."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field


@dataclass(frozen=True)
class KnownAgency:
    id: str
    name: str
    acronym: str
    kind: str
    parent: str | None
    missions: tuple[dict, ...] = ()  # {"text", "document", "as_of"} as in a dossier, oldest first
    website: str = ""


@dataclass(frozen=True)
class KnownOutlet:
    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class KnownSource:
    id: str
    kind: str
    name: str = ""
    title: str = ""
    description: str = ""
    count: int | None = None
    reason: str = ""
    granted_by: str | None = None
    affiliation: str | None = None
    agency: str | None = None
    outlet: str | None = None
    document: str | None = None


@dataclass(frozen=True)
class KnownDocument:
    id: str
    kind: str
    title: str
    outlet: str | None = None
    published: str | None = None


def _nothing_taken(section: str, ids: Collection[str]) -> set[str]:
    return set()


@dataclass(frozen=True)
class KnownRecord:
    agencies: tuple[KnownAgency, ...] = ()
    outlets: tuple[KnownOutlet, ...] = ()
    sources: tuple[KnownSource, ...] = ()
    documents: tuple[KnownDocument, ...] = ()
    # Which of these ids the record already uses in a section the proposer does not read whole
    # (claims, figures, roles): a new id must never be one of them, or an import would overwrite.
    taken: Callable[[str, Collection[str]], set[str]] = field(default=_nothing_taken, compare=False)

    @classmethod
    def empty(cls) -> KnownRecord:
        return cls()

    @classmethod
    def from_database(cls) -> KnownRecord:
        """Five queries, whatever the size of the record (plus one per section asked of `taken`)."""
        from agencies import models as m

        missions: dict[int, list[dict]] = {}
        for row in m.StatedMission.objects.order_by("agency_id", "position", "id").values(
            "agency_id", "text", "document__slug", "as_of"
        ):
            mission = {"text": row["text"], "document": row["document__slug"], "as_of": _date(row["as_of"])}
            missions.setdefault(row["agency_id"], []).append(mission)
        agencies = tuple(
            KnownAgency(
                row["slug"],
                row["name"],
                row["acronym"],
                row["kind"],
                row["parent__slug"],
                tuple(missions.get(row["id"], ())),
                row["website"],
            )
            for row in m.Agency.objects.values(
                "id", "slug", "name", "acronym", "kind", "parent__slug", "website"
            )
        )
        outlets = tuple(
            KnownOutlet(row["slug"], row["name"], row["kind"])
            for row in m.Outlet.objects.values("slug", "name", "kind")
        )
        sources = tuple(
            KnownSource(
                id=row["slug"],
                kind=row["kind"],
                name=row["name"],
                title=row["title"],
                description=row["description"],
                count=row["count"],
                reason=row["reason"],
                granted_by=row["granted_by__slug"],
                affiliation=row["affiliation__slug"],
                agency=row["agency__slug"],
                outlet=row["outlet__slug"],
                document=row["document__slug"],
            )
            for row in m.Source.objects.values(
                "slug",
                "kind",
                "name",
                "title",
                "description",
                "count",
                "reason",
                "granted_by__slug",
                "affiliation__slug",
                "agency__slug",
                "outlet__slug",
                "document__slug",
            )
        )
        documents = tuple(
            KnownDocument(
                row["slug"], row["kind"], row["title"], row["outlet__slug"], _date(row["published"])
            )
            for row in m.Document.objects.values("slug", "kind", "title", "outlet__slug", "published")
        )
        return cls(agencies, outlets, sources, documents, taken=_taken_in_database)

    @classmethod
    def from_dossier(cls, data: dict) -> KnownRecord:
        """The record as a dossier describes it (tests, the eval: a follow-up read after the seed)."""
        agencies = tuple(
            KnownAgency(
                a["id"],
                a["name"],
                a.get("acronym") or "",
                a["kind"],
                a.get("parent"),
                tuple(
                    {"text": x["text"], "document": x.get("document"), "as_of": _date(x.get("as_of"))}
                    for x in a.get("missions") or ()
                ),
                a.get("website") or "",
            )
            for a in data.get("agencies") or ()
        )
        outlets = tuple(KnownOutlet(o["id"], o["name"], o["kind"]) for o in data.get("outlets") or ())
        keys = ("name", "title", "description", "reason")
        sources = tuple(
            KnownSource(
                id=s["id"],
                kind=s["kind"],
                count=s.get("count"),
                granted_by=s.get("granted_by"),
                affiliation=s.get("affiliation"),
                agency=s.get("agency"),
                outlet=s.get("outlet"),
                document=s.get("document"),
                **{k: s.get(k) or "" for k in keys},
            )
            for s in data.get("sources") or ()
        )
        documents = tuple(
            KnownDocument(d["id"], d["kind"], d["title"], d.get("outlet"), _date(d.get("published")))
            for d in data.get("documents") or ()
        )
        used = {
            section: {
                item["id"] for item in data.get(section) or () if isinstance(item, dict) and "id" in item
            }
            for section in ("claims", "figures", "roles", "data_systems")
        }
        return cls(agencies, outlets, sources, documents, taken=lambda s, ids: used.get(s, set()) & set(ids))

    def ids(self, section: str) -> set[str]:
        return {item.id for item in getattr(self, section)}


def _date(value) -> str | None:
    if value in (None, ""):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _taken_in_database(section: str, ids: Collection[str]) -> set[str]:
    from agencies import models as m

    model = {"claims": m.Claim, "figures": m.Figure, "roles": m.ReportedRole, "data_systems": m.DataSystem}[
        section
    ]
    return set(model.objects.filter(slug__in=list(ids)).values_list("slug", flat=True)) if ids else set()
