"""Recording an article: a researcher's paste becomes a draft kept on the server, the review page
shows what the proposer found, and the accepted part is written as one import by that researcher.

The draft is stored (IntakeDraft) when the article is pasted and is the only thing trusted
afterwards: what the browser sends back is a decision per proposal (accept or reject), the edited
values of a few named fields, and a choice among the claims the draft itself offered as answerable.
Anything else is refused with a message naming the proposal; nothing is written until everything
checks, and then all of it is written in one transaction through the dossier importer.
"""

from __future__ import annotations

import copy
import inspect
import re
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from agencies import models as m
from agencies.core import permissions
from agencies.core.dates import PartialDate, PartialDateError
from agencies.exchange import FORMAT, DossierError, dossier_import

from . import KnownRecord, propose

REASON = "intake"
# Bounds on what a researcher sends: an article is a few thousand words, never a book.
MAX_TEXT_CHARS = 100_000
MAX_UPLOAD_BYTES = 512 * 1024
MAX_FIELD_CHARS = {"text": 5_000, "quote": 2_000}
MAX_OTHER_CHARS = 500
UPLOAD_SUFFIXES = (".txt", ".html", ".htm")
# Candidates offered for "answers which claim?"
ANSWER_CANDIDATES = 5

# Sections whose items have ids; the others are keyed as the proposer keys them.
ID_SECTIONS = ("agencies", "outlets", "documents", "sources", "claims", "roles", "data_systems", "figures")
# The fields a researcher may edit on the review page, per section; every other field is the draft's.
EDITABLE: dict[str, tuple[str, ...]] = {
    "agencies": ("name", "acronym"),
    "outlets": ("name",),
    "documents": ("title", "published", "url"),
    "sources": ("name", "title", "description"),
    "claims": ("text", "made"),
    "figures": ("value", "unit", "metric", "period_start", "period_end"),
    "missions": ("text",),
    "comment_requests": ("response", "response_text"),
    "roles": ("summary",),
    "data_systems": ("name",),
}
SECTION_LABELS = {
    "documents": "Document and the reports it cites",
    "outlets": "Outlets",
    "agencies": "Agencies",
    "missions": "Stated missions",
    "sources": "Sources",
    "claims": "Claims",
    "figures": "Figures",
    "comment_requests": "Comment requests",
    "roles": "Reported roles",
    "data_systems": "Data systems",
    "data_access": "Data access",
}
SECTION_ORDER = tuple(SECTION_LABELS)
ADMIN_CHANGE = {
    "agencies": ("agency", m.Agency),
    "outlets": ("outlet", m.Outlet),
    "documents": ("document", m.Document),
    "sources": ("source", m.Source),
    "claims": ("claim", m.Claim),
    "figures": ("figure", m.Figure),
    "roles": ("reportedrole", m.ReportedRole),
    "data_systems": ("datasystem", m.DataSystem),
}


class ReviewError(Exception):
    """The review cannot be recorded as sent; `messages` say why, each naming the proposal."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


# --- Starting a draft -----------------------------------------------------------------------------


def read_upload(upload) -> str:
    """The text of an uploaded .txt or .html file, or a ValidationError saying what is wrong."""
    name = (upload.name or "").lower()
    if not name.endswith(UPLOAD_SUFFIXES):
        raise ValidationError({"upload": "Upload a .txt or .html file."})
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"upload": f"The file is larger than {MAX_UPLOAD_BYTES // 1024} KiB."})
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            {"upload": "The file is not UTF-8 text: save it as UTF-8 and upload it again."}
        ) from None


def _check_inputs(*, text: str, outlet: str, published: str, url: str) -> None:
    errors = {}
    if not text.strip():
        errors["text"] = "Paste the article's text, or upload it as a file."
    elif len(text) > MAX_TEXT_CHARS:
        errors["text"] = (
            f"The article is longer than {MAX_TEXT_CHARS:,} characters: paste one article at a time."
        )
    elif "\x00" in text:
        errors["text"] = "The text contains a NUL character: paste it as plain text."
    if len(outlet) > 200:
        errors["outlet"] = "Keep the outlet's name to 200 characters."
    if published:
        try:
            PartialDate.parse(published)
        except PartialDateError as exc:
            errors["published"] = str(exc)
    if len(url) > 500:
        errors["url"] = "Keep the address to 500 characters."
    if errors:
        raise ValidationError(errors)


def draft_start(*, actor, text: str, outlet: str = "", published: str = "", url: str = "") -> m.IntakeDraft:
    """Read the article and keep what Oversight proposes, for `actor` to review. Writes no record."""
    permissions.require(
        permissions.can_edit_record(actor), "Your role does not allow you to record articles."
    )
    text = text.replace("\r\n", "\n")
    outlet, published, url = outlet.strip(), published.strip(), url.strip()
    _check_inputs(text=text, outlet=outlet, published=published, url=url)
    draft = propose(
        text,
        outlet=outlet or None,
        published=published or None,
        url=url or None,
        known=KnownRecord.from_database(),
    )
    proposals = [asdict(p) for p in draft.proposals]
    stored = {
        "dossier": draft.dossier,
        "proposals": proposals,
        "candidates": answer_candidates(draft.dossier, text),
    }
    return m.IntakeDraft.objects.create(
        owner=actor, text=text, outlet=outlet, published=published, url=url, draft=stored
    )


# --- Claims a denial may answer -------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9][a-z0-9'-]{3,}")
_COMMON = frozenset(
    {
        *("that", "this", "with", "from", "have", "said", "says", "they", "their", "there", "about"),
        *("which", "would", "could", "into", "than", "them", "been", "were", "what", "when", "only"),
        *("also", "other", "more", "such", "most", "some", "will", "after", "before"),
    }
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _COMMON}


def answer_candidates(dossier: dict, text: str) -> dict[str, list[dict]]:
    """For each proposed denial, the record's claims about the same agencies it may answer, best
    first: those sharing more agencies, and whose words the denial and the article use. One query."""
    denials = [c for c in dossier.get("claims") or () if c.get("kind") == m.ClaimKind.DENIAL]
    if not denials:
        return {}
    wanted = {slug for claim in denials for slug in claim.get("agencies") or ()}
    proposed = {c["id"] for c in dossier.get("claims") or ()}
    about: dict[str, dict] = {}
    rows = (
        m.ClaimAgency.objects.filter(agency__slug__in=wanted)
        .order_by("claim_id")
        .values_list("claim__slug", "claim__text", "agency__slug")[:5000]
    )
    for slug, claim_text, agency in rows:
        if slug in proposed:
            continue
        entry = about.setdefault(slug, {"id": slug, "text": claim_text, "agencies": set()})
        entry["agencies"].add(agency)
    article = _words(text)
    out = {}
    for denial in denials:
        own = _words(denial.get("text") or "")
        agencies = set(denial.get("agencies") or ())
        scored = []
        for entry in about.values():
            shared = len(entry["agencies"] & agencies)
            if not shared:
                continue
            theirs = _words(entry["text"]) or {""}
            score = shared + len(theirs & own) / len(theirs) + len(theirs & article) / len(theirs)
            scored.append((-score, entry["id"], {"id": entry["id"], "text": entry["text"]}))
        scored.sort(key=lambda row: row[:2])
        out[denial["id"]] = [row[2] for row in scored[:ANSWER_CANDIDATES]]
    return out


# --- What the review page shows --------------------------------------------------------------------


@dataclass
class ReviewItem:
    index: int
    section: str
    key: str
    label: str
    spans: list
    match: str | None
    question: str | None
    match_url: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)  # editable (name, value)
    candidates: list[dict] = field(default_factory=list)
    answers: str | None = None
    summary: str = ""
    choice: str = "accept"

    @property
    def name(self) -> str:
        return f"p{self.index}"


def _find(dossier: dict, section: str, key: str) -> dict | None:
    """The dossier item a proposal names."""
    if section == "missions":
        agency, _, index = key.rpartition(":")
        for item in dossier.get("agencies") or ():
            if item.get("id") == agency:
                missions = item.get("missions") or []
                return missions[int(index)] if index.isdigit() and int(index) < len(missions) else None
        return None
    if section == "comment_requests":
        document, _, agency = key.partition(":")
        for item in dossier.get("comment_requests") or ():
            if item.get("document") == document and item.get("agency") == agency:
                return item
        return None
    if section == "data_access":
        system, _, seeker = key.partition(":")
        for item in dossier.get("data_access") or ():
            if item.get("system") == system and item.get("seeker") == seeker:
                return item
        return None
    for item in dossier.get(section) or ():
        if item.get("id") == key:
            return item
    return None


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _summary(section: str, item: dict) -> str:
    if section == "claims":
        lines = item.get("attributions") or []
        first = lines[0] if lines else {}
        chain = " → ".join([first.get("document", ""), *first.get("via", []), first.get("origin", "")])
        return f"{item.get('kind', '')} · about {', '.join(item.get('agencies') or [])} · {chain}"
    if section == "sources":
        bits = [item.get("kind", "")]
        if item.get("count"):
            bits.append(f"{item['count']} people")
        if item.get("reason"):
            bits.append(f"reason: {item['reason']}")
        return " · ".join(bits)
    if section == "documents":
        bits = [item.get("kind", ""), item.get("outlet") or "", _shown(item.get("published"))]
        if item.get("cites"):
            bits.append("cites " + ", ".join(item["cites"]))
        return " · ".join(b for b in bits if b)
    if section == "figures":
        return f"{item.get('metric', '')}, {item.get('period_start', '')} – {item.get('period_end', '')}"
    if section == "comment_requests":
        return f"{item.get('agency', '')} asked for comment: {item.get('response', '')}"
    return item.get("kind", "") if isinstance(item.get("kind"), str) else ""


def _claim_text(dossier: dict, slug: str) -> str:
    for claim in dossier.get("claims") or ():
        if claim.get("id") == slug:
            return claim.get("text", "")
    return m.Claim.objects.filter(slug=slug).values_list("text", flat=True).first() or ""


def review_items(intake: m.IntakeDraft) -> list[ReviewItem]:
    """Every proposal with what the page shows for it, in the order of the sections."""
    dossier = intake.draft["dossier"]
    candidates = intake.draft.get("candidates") or {}
    items = []
    for index, proposal in enumerate(intake.draft["proposals"]):
        section, key = proposal["section"], proposal["key"]
        item = _find(dossier, section, key) or {}
        review = ReviewItem(
            index=index,
            section=section,
            key=key,
            label=proposal["label"],
            spans=[tuple(span) for span in proposal.get("spans") or ()],
            match=proposal.get("match"),
            question=proposal.get("question"),
            summary=_summary(section, item),
        )
        if review.match and section in ADMIN_CHANGE:
            review.match_url = reverse("agencies:intake_match", args=[section, review.match])
        if not review.match:
            review.fields = [(name, _shown(item.get(name))) for name in EDITABLE.get(section, ())]
        if section == "claims":
            review.candidates = list(candidates.get(key, []))
            review.answers = item.get("answers")
            if review.answers and review.answers not in {c["id"] for c in review.candidates}:
                # The proposer's own pick comes first, chosen; the others stay one click away.
                picked = {"id": review.answers, "text": _claim_text(dossier, review.answers)}
                review.candidates.insert(0, picked)
        items.append(review)
    order = {section: n for n, section in enumerate(SECTION_ORDER)}
    items.sort(key=lambda r: (order.get(r.section, len(order)), r.index))
    return items


def highlighted(intake: m.IntakeDraft) -> list[tuple[str, list[int], str]]:
    """The article cut where proposals start and end: (text, proposal indices covering it, the
    section of the first of them) for the template to mark, escaped like any text."""
    text = intake.text
    proposals = intake.draft["proposals"]
    cuts = {0, len(text)}
    for proposal in proposals:
        for start, end in proposal.get("spans") or ():
            if 0 <= start < end <= len(text):
                cuts.update((start, end))
    bounds = sorted(cuts)
    pieces = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        covering = [
            i
            for i, proposal in enumerate(proposals)
            if any(s <= start and end <= e for s, e in proposal.get("spans") or ())
        ]
        section = proposals[covering[0]]["section"] if covering else ""
        pieces.append((text[start:end], covering, section))
    return pieces


# --- Reading the decisions back --------------------------------------------------------------------


@dataclass
class Decision:
    accept: bool
    edits: dict[str, str] = field(default_factory=dict)
    answers: str | None = None  # a candidate's id, or None


def read_decisions(intake: m.IntakeDraft, post) -> dict[int, Decision]:
    """One decision per stored proposal, from the form. Values are checked against the stored draft:
    an unknown decision, a field that is not editable or an answer not offered is refused."""
    proposals = intake.draft["proposals"]
    candidates = intake.draft.get("candidates") or {}
    errors, decisions = [], {}
    for index, proposal in enumerate(proposals):
        label = proposal["label"][:80]
        choice = post.get(f"p{index}", "accept")
        if choice not in ("accept", "reject"):
            errors.append(f"«{label}»: choose accept or reject.")
            continue
        decision = Decision(accept=choice == "accept")
        if decision.accept and not proposal.get("match"):
            item = _find(intake.draft["dossier"], proposal["section"], proposal["key"]) or {}
            for name in EDITABLE.get(proposal["section"], ()):
                sent = post.get(f"p{index}-{name}")
                if sent is None:
                    continue
                limit = MAX_FIELD_CHARS.get(name, MAX_OTHER_CHARS)
                if len(sent) > limit:
                    errors.append(f"«{label}»: {name} is longer than {limit} characters.")
                elif sent.strip() != _shown(item.get(name)).strip():
                    decision.edits[name] = sent.strip()
        if proposal["section"] == "claims":
            chosen = post.get(f"p{index}-answers", "")
            offered = {c["id"] for c in candidates.get(proposal["key"], ())}
            item = _find(intake.draft["dossier"], "claims", proposal["key"]) or {}
            if item.get("answers"):
                offered.add(item["answers"])
            if chosen and chosen not in offered:
                errors.append(f"«{label}»: it can answer only one of the claims offered.")
            decision.answers = chosen or None
        decisions[index] = decision
    extra = [
        name
        for name in post
        if re.fullmatch(r"p(\d+)(-.*)?", name) and int(re.match(r"p(\d+)", name).group(1)) >= len(proposals)
    ]
    if extra:
        errors.append("The form names proposals this draft does not have: reload the page.")
    if errors:
        raise ReviewError(errors)
    return decisions


# --- The accepted part as a dossier ---------------------------------------------------------------


def _key_of(section: str, item: dict) -> str:
    if section == "comment_requests":
        return f"{item.get('document')}:{item.get('agency')}"
    if section == "data_access":
        return f"{item.get('system')}:{item.get('seeker')}"
    return item.get("id")


def _apply_edit(section: str, item: dict, name: str, value: str) -> None:
    if value == "":
        item.pop(name, None)
    elif section == "figures" and name == "value":
        item[name] = value.replace(",", "")
    else:
        item[name] = value


def _record_claim(slug: str) -> dict:
    """A claim of the record as a dossier item, its lines included: accepting new lines for it adds
    to them, since a dossier's list replaces the stored one."""
    claim = m.Claim.objects.prefetch_related("claim_agencies__agency", "attributions__hops__document").get(
        slug=slug
    )
    lines = []
    for a in claim.attributions.select_related("document", "origin").order_by("position", "id"):
        line = {"document": a.document.slug, "origin": a.origin.slug, "stance": a.stance}
        via = [hop.document.slug for hop in a.hops.order_by("position", "id")]
        if via:
            line["via"] = via
        if a.quote:
            line["quote"] = a.quote
        if a.locator:
            line["locator"] = a.locator
        lines.append(line)
    item = {
        "id": claim.slug,
        "kind": claim.kind,
        "text": claim.text,
        "agencies": [link.agency.slug for link in claim.claim_agencies.order_by("position", "id")],
        "status": claim.status,
        "attributions": lines,
    }
    if claim.made:
        item["made"] = claim.made.isoformat()
    return item


def _record_agency(slug: str) -> dict:
    agency = m.Agency.objects.select_related("parent").get(slug=slug)
    item = {"id": agency.slug, "name": agency.name, "kind": agency.kind}
    if agency.acronym:
        item["acronym"] = agency.acronym
    if agency.parent_id:
        item["parent"] = agency.parent.slug
    if agency.website:
        item["website"] = agency.website
    return item


def _refs(section: str, item: dict):
    """(target section, id, whether dropping it may simply drop the reference) for each reference."""
    one = lambda target, name, soft=False: [(target, item.get(name), soft)] if item.get(name) else []  # noqa: E731
    if section == "agencies":
        out = one("agencies", "parent")
        for mission in item.get("missions") or ():
            if mission.get("document"):
                out.append(("documents", mission["document"], True))
        return out
    if section == "documents":
        return one("outlets", "outlet") + [("documents", d, True) for d in item.get("cites") or ()]
    if section == "sources":
        return (
            one("documents", "granted_by", True)
            + one("agencies", "affiliation", True)
            + one("agencies", "agency")
            + one("outlets", "outlet")
            + one("documents", "document", True)
        )
    if section == "claims":
        out = [("agencies", a, True) for a in item.get("agencies") or ()] + one("claims", "answers")
        for line in item.get("attributions") or ():
            out += [("documents", line.get("document"), False), ("sources", line.get("origin"), False)]
            out += [("documents", d, False) for d in line.get("via") or ()]
        return out
    if section == "figures":
        return one("claims", "claim")
    if section == "comment_requests":
        return one("documents", "document") + one("agencies", "agency")
    if section == "roles":
        return (
            one("agencies", "agency")
            + one("agencies", "partner", True)
            + [("claims", c, True) for c in item.get("claims") or ()]
        )
    if section == "data_systems":
        return one("agencies", "agency")
    if section == "data_access":
        return (
            one("data_systems", "system")
            + one("agencies", "seeker")
            + [("claims", c, True) for c in item.get("claims") or ()]
        )
    return []


def _drop_soft(section: str, item: dict, gone: dict[str, set]) -> None:
    """Drop the references a rejection may simply remove: a citation, an agency among others."""
    if section == "documents":
        item["cites"] = [d for d in item.get("cites") or () if d not in gone["documents"]]
    elif section == "claims":
        kept = [a for a in item.get("agencies") or () if a not in gone["agencies"]]
        if kept:
            item["agencies"] = kept
    elif section == "sources":
        for name, target in (
            ("granted_by", "documents"),
            ("affiliation", "agencies"),
            ("document", "documents"),
        ):
            if item.get(name) in gone[target]:
                item.pop(name)
    elif section == "agencies":
        for mission in item.get("missions") or ():
            if mission.get("document") in gone["documents"]:
                mission.pop("document")
    elif section in ("roles", "data_access"):
        if section == "roles" and item.get("partner") in gone["agencies"]:
            item.pop("partner")
        kept = [c for c in item.get("claims") or () if c not in gone["claims"]]
        if kept:
            item["claims"] = kept


class _Choices:
    """The reviewer's decisions, found by the section and key of the proposal each answers."""

    def __init__(self, proposals: list[dict], decisions: dict[int, Decision]):
        self.proposals, self.decisions = proposals, decisions
        self.by_key = {(p["section"], p["key"]): i for i, p in enumerate(proposals)}
        self.labels = {(p["section"], p["key"]): p["label"][:80] for p in proposals}

    def of(self, section: str, key: str) -> Decision | None:
        index = self.by_key.get((section, key))
        return None if index is None else self.decisions[index]

    def matched(self, section: str, key: str) -> bool:
        """Whether the proposal is an entity the record already has."""
        index = self.by_key.get((section, key))
        return index is not None and bool(self.proposals[index].get("match"))

    def label(self, section: str, key: str) -> str:
        return self.labels.get((section, key), key)


def accepted_dossier(intake: m.IntakeDraft, decisions: dict[int, Decision]) -> dict:
    """The accepted part of the draft as a dossier for the importer. Entities the record already
    has are referred to by id and left as they are, but for the lines and missions added to them.
    Raises ReviewError when an accepted proposal needs one that was rejected."""
    choices = _Choices(intake.draft["proposals"], decisions)
    gone: dict[str, set] = {s: set() for s in (*ID_SECTIONS, "missions")}
    out = _accepted_items(copy.deepcopy(intake.draft["dossier"]), choices, gone)
    _accept_missions(out, choices)
    from_record = _refer_to_record(out, choices)
    errors = _rejected_needs(out, gone, choices)
    _check_new_ids(out, from_record, errors, choices.labels)
    if errors:
        raise ReviewError(list(dict.fromkeys(errors)))
    return {"format": FORMAT, **{section: items for section, items in out.items() if items}}


def _accepted_items(source: dict, choices: _Choices, gone: dict[str, set]) -> dict[str, list]:
    """The draft's entities less the rejected ones (noted in `gone`), with the reviewer's edits."""
    out: dict[str, list] = {}
    for section in (*ID_SECTIONS, "data_access", "comment_requests"):
        for item in source.get(section) or ():
            key = _key_of(section, item)
            chosen = choices.of(section, key)
            if chosen is not None and not chosen.accept:
                if section in gone:
                    gone[section].add(key)
                continue
            if chosen is not None:
                for name, value in chosen.edits.items():
                    _apply_edit(section, item, name, value)
                if section == "claims":
                    if chosen.answers:
                        item["answers"] = chosen.answers
                    else:
                        item.pop("answers", None)
            out.setdefault(section, []).append(item)
    return out


def _accept_missions(out: dict[str, list], choices: _Choices) -> None:
    """Each agency's missions (the record's, then the new ones) less the rejected new ones."""
    for agency in out.get("agencies", []):
        missions = []
        for index, mission in enumerate(agency.get("missions") or ()):
            chosen = choices.of("missions", f"{agency['id']}:{index}")
            if chosen is not None and not chosen.accept:
                continue
            if chosen is not None:
                for name, value in chosen.edits.items():
                    _apply_edit("missions", mission, name, value)
            missions.append(mission)
        if "missions" in agency:
            agency["missions"] = missions


def _refer_to_record(out: dict[str, list], choices: _Choices) -> set[tuple[str, str]]:
    """What the record has already is written as stored, with only the new lines and missions
    added, and left out when nothing is added; the (section, id) of those written."""
    from_record: set[tuple[str, str]] = set()
    for section in ID_SECTIONS:
        kept = []
        for item in out.get(section, []):
            if not choices.matched(section, item["id"]):
                kept.append(item)
            elif section == "claims":
                stored = _record_claim(item["id"])
                known = {repr(sorted(line.items())) for line in stored["attributions"]}
                new = [a for a in item.get("attributions") or () if repr(sorted(a.items())) not in known]
                if new or item.get("answers"):
                    stored["attributions"] += new
                    if item.get("answers"):
                        stored["answers"] = item["answers"]
                    kept.append(stored)
                    from_record.add((section, item["id"]))
            elif section == "agencies" and any(
                choices.of("missions", f"{item['id']}:{i}") is not None
                for i in range(len(item.get("missions") or ()))
            ):
                kept.append({**_record_agency(item["id"]), "missions": item.get("missions") or []})
                from_record.add((section, item["id"]))
        out[section] = kept
    return from_record


def _rejected_needs(out: dict[str, list], gone: dict[str, set], choices: _Choices) -> list[str]:
    """Drop the references a rejection may simply remove; the accepted proposals that need a
    rejected one, said to the reviewer."""
    errors: list[str] = []
    for section, items in out.items():
        for item in items:
            _drop_soft(section, item, gone)
            key = _key_of(section, item)
            for target, ref, soft in _refs(section, item):
                if ref in gone.get(target, ()) and not soft:
                    errors.append(
                        f"«{choices.label(section, key)}» needs «{choices.label(target, ref)}», which you "
                        "rejected: accept both, or reject both."
                    )
            if section == "claims" and not item.get("agencies"):
                errors.append(f"«{choices.label(section, key)}»: every agency it is about was rejected.")
    return errors


def _check_new_ids(out: dict, from_record: set, errors: list[str], labels: dict) -> None:
    """A new entity never takes an id the record uses: the import would overwrite that entity."""
    for section, (name, model) in ADMIN_CHANGE.items():
        new = {item["id"] for item in out.get(section, []) if (section, item["id"]) not in from_record}
        if not new:
            continue
        for slug in sorted(set(model.objects.filter(slug__in=new).values_list("slug", flat=True))):
            errors.append(
                f"«{labels.get((section, slug), slug)}»: the record already has another {name} with the id "
                f"{slug!r}; reject this proposal, or record it in the admin."
            )


# --- Recording -------------------------------------------------------------------------------------


def _import(data: dict, actor):
    kwargs = {"data": data, "actor": actor}
    if "reason" in inspect.signature(dossier_import).parameters:
        kwargs["reason"] = REASON
    return dossier_import(**kwargs)


def draft_record(*, actor, intake: m.IntakeDraft, post):
    """Write the accepted part of `intake`, as `actor`, in one transaction; returns the import's report.

    Raises PermissionDenied (the role, or someone else's draft), ReviewError (the decisions) or
    DossierError (what the importer refuses): in each case nothing is written and the draft stays."""
    permissions.require(
        permissions.can_edit_record(actor), "Your role does not allow you to record articles."
    )
    if intake.owner_id != actor.pk:
        raise PermissionDenied("This draft is another researcher's.")
    with transaction.atomic():
        locked = m.IntakeDraft.objects.select_for_update().get(pk=intake.pk)
        if locked.state != m.IntakeState.OPEN:
            raise ReviewError([f"This draft was {locked.get_state_display().lower()} already."])
        decisions = read_decisions(locked, post)
        data = accepted_dossier(locked, decisions)
        report = _import(data, actor)
        locked.state = m.IntakeState.RECORDED
        locked.report = report.summary()
        locked.save(update_fields=["state", "report", "updated_at"])
    return report


def draft_discard(*, actor, intake: m.IntakeDraft) -> None:
    permissions.require(
        permissions.can_edit_record(actor), "Your role does not allow you to record articles."
    )
    if intake.owner_id != actor.pk:
        raise PermissionDenied("This draft is another researcher's.")
    updated = m.IntakeDraft.objects.filter(pk=intake.pk, state=m.IntakeState.OPEN).update(
        state=m.IntakeState.DISCARDED
    )
    if not updated:
        raise ReviewError(["This draft is not open any more."])


__all__ = [
    "DossierError",
    "ReviewError",
    "accepted_dossier",
    "answer_candidates",
    "draft_discard",
    "draft_record",
    "draft_start",
    "highlighted",
    "read_decisions",
    "read_upload",
    "review_items",
]
