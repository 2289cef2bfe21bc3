"""Export the whole record as a dossier, in a stable order, in a constant number of queries.

Sections follow the format page; entities are sorted by id (in Python, so the
order does not depend on the database's collation); ordered lists keep their
stored position. Empty optional fields are left out. A public export never
carries confidential notes; an internal one does (callers check permission).
"""

from __future__ import annotations

import decimal
import json
from collections import defaultdict

import yaml

from agencies import models as m

from .schema import FORMAT, SECTIONS

_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


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


def _compact(entry: dict, required: tuple[str, ...]) -> dict:
    """Leave out optional fields that say nothing (None, "", []); keep the field order."""
    return {k: v for k, v in entry.items() if k in required or v not in (None, "", [])}


def _by_owner(rows, owner: str) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[owner]].append(row)
    return grouped


def dossier_export(*, internal: bool = False) -> dict:
    """The whole record as a dossier mapping. `internal` adds sources' confidential notes."""
    by_id = lambda entries: sorted(entries, key=lambda e: e["id"])  # noqa: E731
    in_position = ("position", "id")

    missions = _by_owner(
        m.StatedMission.objects.order_by("agency_id", *in_position).values(
            "agency_id", "text", "document__slug", "as_of"
        ),
        "agency_id",
    )
    agencies = by_id(
        _compact(
            {
                "id": a["slug"],
                "name": a["name"],
                "acronym": a["acronym"],
                "kind": a["kind"],
                "parent": a["parent__slug"],
                "website": a["website"],
                "missions": [
                    _compact(
                        {"text": x["text"], "document": x["document__slug"], "as_of": _date(x["as_of"])},
                        ("text",),
                    )
                    for x in missions[a["pk"]]
                ],
            },
            ("id", "name", "kind"),
        )
        for a in m.Agency.objects.values("pk", "slug", "name", "acronym", "kind", "parent__slug", "website")
    )

    outlets = by_id(
        {"id": o["slug"], "name": o["name"], "kind": o["kind"]} for o in m.Outlet.objects.values()
    )

    cites = _by_owner(
        m.Citation.objects.order_by("citing_id", *in_position).values("citing_id", "cited__slug"), "citing_id"
    )
    documents = by_id(
        _compact(
            {
                "id": d["slug"],
                "kind": d["kind"],
                "outlet": d["outlet__slug"],
                "title": d["title"],
                "published": _date(d["published"]),
                "url": d["url"],
                "archived_url": d["archived_url"],
                "authors": list(d["authors"] or []),
                "cites": [c["cited__slug"] for c in cites[d["pk"]]],
            },
            ("id", "kind", "title"),
        )
        for d in m.Document.objects.values(
            "pk", "slug", "kind", "outlet__slug", "title", "published", "url", "archived_url", "authors"
        )
    )

    notes = {}
    if internal:
        notes = dict(m.SourceConfidentialNote.objects.values_list("source_id", "notes"))
    sources = by_id(
        _compact(
            {
                "id": s["slug"],
                "kind": s["kind"],
                "description": s["description"],
                "count": s["count"],
                "reason": s["reason"],
                "granted_by": s["granted_by__slug"],
                "name": s["name"],
                "title": s["title"],
                "affiliation": s["affiliation__slug"],
                "agency": s["agency__slug"],
                "outlet": s["outlet__slug"],
                "document": s["document__slug"],
                "confidential_notes": notes.get(s["pk"]),
            },
            ("id", "kind"),
        )
        for s in m.Source.objects.values(
            "pk",
            "slug",
            "kind",
            "description",
            "count",
            "reason",
            "granted_by__slug",
            "name",
            "title",
            "affiliation__slug",
            "agency__slug",
            "outlet__slug",
            "document__slug",
        )
    )

    claim_agencies = _by_owner(
        m.ClaimAgency.objects.order_by("claim_id", *in_position).values("claim_id", "agency__slug"),
        "claim_id",
    )
    hops = _by_owner(
        m.AttributionHop.objects.order_by("attribution_id", *in_position).values(
            "attribution_id", "document__slug"
        ),
        "attribution_id",
    )
    attributions = _by_owner(
        m.Attribution.objects.order_by("claim_id", *in_position).values(
            "pk", "claim_id", "document__slug", "origin__slug", "stance", "quote", "locator"
        ),
        "claim_id",
    )
    claims = by_id(
        _compact(
            {
                "id": c["slug"],
                "kind": c["kind"],
                "text": c["text"],
                "agencies": [x["agency__slug"] for x in claim_agencies[c["pk"]]],
                "made": _date(c["made"]),
                "status": c["status"],
                "answers": c["answers__slug"],  # extension: the claim this one answers
                "attributions": [
                    _compact(
                        {
                            "document": a["document__slug"],
                            "via": [h["document__slug"] for h in hops[a["pk"]]],
                            "origin": a["origin__slug"],
                            "stance": a["stance"],
                            "quote": a["quote"],
                            "locator": a["locator"],
                        },
                        ("document", "origin", "stance"),
                    )
                    for a in attributions[c["pk"]]
                ],
            },
            ("id", "kind", "text", "agencies", "status", "attributions"),
        )
        for c in m.Claim.objects.values("pk", "slug", "kind", "text", "made", "status", "answers__slug")
    )

    role_claims = _by_owner(
        m.RoleClaim.objects.order_by("role_id", *in_position).values("role_id", "claim__slug"), "role_id"
    )
    roles = by_id(
        _compact(
            {
                "id": r["slug"],
                "agency": r["agency__slug"],
                "partner": r["partner__slug"],
                "summary": r["summary"],
                "category": r["category"],
                "status": r["status"],
                "first_reported": _date(r["first_reported"]),
                "mission_fit": r["mission_fit"],
                "rationale": r["rationale"],
                "claims": [x["claim__slug"] for x in role_claims[r["pk"]]],
            },
            ("id", "agency", "summary", "category", "status", "mission_fit", "claims"),
        )
        for r in m.ReportedRole.objects.values(
            "pk",
            "slug",
            "agency__slug",
            "partner__slug",
            "summary",
            "category",
            "status",
            "first_reported",
            "mission_fit",
            "rationale",
        )
    )

    data_systems = by_id(
        _compact(
            {
                "id": s["slug"],
                "agency": s["agency__slug"],
                "name": s["name"],
                "description": s["description"],
            },
            ("id", "agency", "name"),
        )
        for s in m.DataSystem.objects.values("slug", "agency__slug", "name", "description")
    )

    access_claims = _by_owner(
        m.DataAccessClaim.objects.order_by("access_id", *in_position).values("access_id", "claim__slug"),
        "access_id",
    )
    data_access = sorted(
        (
            {
                "system": a["system__slug"],
                "seeker": a["seeker__slug"],
                "status": a["status"],
                "claims": [x["claim__slug"] for x in access_claims[a["pk"]]],
            }
            for a in m.DataAccess.objects.values("pk", "system__slug", "seeker__slug", "status")
        ),
        key=lambda e: (e["system"], e["seeker"]),
    )

    figures = by_id(
        _compact(
            {
                "id": f["slug"],
                "claim": f["claim__slug"],
                "metric": f["metric"],
                "value": _number(f["value"]),
                "unit": f["unit"],
                "period_start": _date(f["period_start"]),
                "period_end": _date(f["period_end"]),
                "geography": f["geography"],
                "basis": f["basis"],
            },
            ("id", "claim", "metric", "value", "unit", "period_start", "period_end"),
        )
        for f in m.Figure.objects.values(
            "slug",
            "claim__slug",
            "metric",
            "value",
            "unit",
            "period_start",
            "period_end",
            "geography",
            "basis",
        )
    )

    comment_requests = sorted(
        (
            _compact(
                {
                    "document": c["document__slug"],
                    "agency": c["agency__slug"],
                    "requested": _date(c["requested"]),
                    "response": c["response"],
                    "response_text": c["response_text"],
                },
                ("document", "agency", "response"),
            )
            for c in m.CommentRequest.objects.values(
                "document__slug", "agency__slug", "requested", "response", "response_text"
            )
        ),
        key=lambda e: (e["document"], e["agency"]),
    )

    sections = {
        "agencies": agencies,
        "outlets": outlets,
        "documents": documents,
        "sources": sources,
        "claims": claims,
        "roles": roles,
        "data_systems": data_systems,
        "data_access": data_access,
        "figures": figures,
        "comment_requests": comment_requests,
    }
    return {"format": FORMAT, **{name: sections[name] for name in SECTIONS}}


def dossier_dump(data: dict, fmt: str = "yaml") -> str:
    """A dossier mapping as YAML (default) or JSON text, UTF-8 friendly, ending with a newline."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown dossier format {fmt!r}: use 'yaml' or 'json'")
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
