"""What the proposer matches an article against: the record's agencies (with their missions),
outlets, sources and documents, read in a fixed number of queries, or given as a dossier; and the
record's claims about the agencies an article names, asked for once the article is read."""

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


@dataclass(frozen=True)
class KnownClaim:
    """A claim of the record as a dossier item would give it: its lines in order (a draft that adds
    a line gives them all, since a dossier's list replaces the stored one) and its figures."""

    id: str
    kind: str
    text: str
    agencies: tuple[str, ...]
    attributions: tuple[dict, ...] = ()
    figures: tuple[dict, ...] = ()  # {"id", "metric", "value", "unit", "period_start", "period_end"}


# How many of the record's claims an article is matched against: the newest about its agencies.
MAX_KNOWN_CLAIMS = 300


def _no_claims(agencies: Collection[str]) -> tuple[KnownClaim, ...]:
    return ()


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
    # The record's claims about any of the given agency ids (at most MAX_KNOWN_CLAIMS, newest first).
    claims_about: Callable[[Collection[str]], tuple[KnownClaim, ...]] = field(
        default=_no_claims, compare=False
    )

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
        return cls(
            agencies, outlets, sources, documents, taken=_taken_in_database, claims_about=_claims_in_database
        )

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
        claims = _claims_of_dossier(data)

        def claims_about(wanted: Collection[str]) -> tuple[KnownClaim, ...]:
            wanted = set(wanted)
            return tuple(c for c in claims if wanted & set(c.agencies))[:MAX_KNOWN_CLAIMS]

        return cls(
            agencies,
            outlets,
            sources,
            documents,
            taken=lambda s, ids: used.get(s, set()) & set(ids),
            claims_about=claims_about,
        )

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


def _line(line: dict) -> dict:
    """An attribution as a dossier gives it, empty fields left out (so that lines compare equal)."""
    out = {"document": line["document"], "origin": line["origin"], "stance": line.get("stance") or "supports"}
    for key in ("via", "quote", "locator"):
        if line.get(key):
            out[key] = list(line[key]) if key == "via" else line[key]
    return out


def _figure(item: dict) -> dict:
    out = {k: item.get(k) for k in ("id", "metric", "value", "unit")}
    out["period_start"] = _date(item.get("period_start"))
    out["period_end"] = _date(item.get("period_end"))
    return out


def _claims_of_dossier(data: dict) -> tuple[KnownClaim, ...]:
    figures: dict[str, list[dict]] = {}
    for item in data.get("figures") or ():
        figures.setdefault(item.get("claim"), []).append(_figure(item))
    return tuple(
        KnownClaim(
            c["id"],
            c.get("kind") or "statement",
            c.get("text") or "",
            tuple(c.get("agencies") or ()),
            tuple(_line(a) for a in c.get("attributions") or ()),
            tuple(figures.get(c["id"], ())),
        )
        for c in data.get("claims") or ()
        if "id" in c
    )


def _claims_in_database(wanted: Collection[str]) -> tuple[KnownClaim, ...]:
    """Six queries, however many claims the record holds: the newest MAX_KNOWN_CLAIMS about the
    agencies, then their agencies, lines, the lines' documents on the way, and their figures."""
    from agencies import models as m

    if not wanted:
        return ()
    ids = list(
        m.Claim.objects.filter(claim_agencies__agency__slug__in=list(wanted))
        .order_by("-id")
        .values_list("id", flat=True)
        .distinct()[:MAX_KNOWN_CLAIMS]
    )
    if not ids:
        return ()
    rows = {row["id"]: row for row in m.Claim.objects.filter(id__in=ids).values("id", "slug", "kind", "text")}
    agencies: dict[int, list[str]] = {}
    for claim_id, agency in (
        m.ClaimAgency.objects.filter(claim_id__in=ids)
        .order_by("claim_id", "position", "id")
        .values_list("claim_id", "agency__slug")
    ):
        agencies.setdefault(claim_id, []).append(agency)
    lines: dict[int, list[dict]] = {}
    by_id: dict[int, dict] = {}
    for row in (
        m.Attribution.objects.filter(claim_id__in=ids)
        .order_by("claim_id", "position", "id")
        .values("id", "claim_id", "document__slug", "origin__slug", "stance", "quote", "locator")
    ):
        line = {
            "document": row["document__slug"],
            "origin": row["origin__slug"],
            "stance": row["stance"],
            "via": [],
            "quote": row["quote"],
            "locator": row["locator"],
        }
        by_id[row["id"]] = line
        lines.setdefault(row["claim_id"], []).append(line)
    for attribution_id, document in (
        m.AttributionHop.objects.filter(attribution__claim_id__in=ids)
        .order_by("attribution_id", "position", "id")
        .values_list("attribution_id", "document__slug")
    ):
        by_id[attribution_id]["via"].append(document)
    figures: dict[int, list[dict]] = {}
    for row in m.Figure.objects.filter(claim_id__in=ids).values(
        "claim_id", "slug", "metric", "value", "unit", "period_start", "period_end"
    ):
        value = row["value"]
        value = int(value) if value == int(value) else str(value.normalize())
        figures.setdefault(row["claim_id"], []).append(_figure({**row, "id": row["slug"], "value": value}))
    return tuple(
        KnownClaim(
            rows[i]["slug"],
            rows[i]["kind"],
            rows[i]["text"],
            tuple(agencies.get(i, ())),
            tuple(_line(line) for line in lines.get(i, ())),
            tuple(figures.get(i, ())),
        )
        for i in ids
        if i in rows
    )
