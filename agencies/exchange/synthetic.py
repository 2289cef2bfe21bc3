"""A synthetic record for measuring Oversight at scale: the same rows from the same seed, loaded in bulk.

`SyntheticRecord(claims=N, seed=S, prefix="syn")` describes a record the size of a research group's
after years of work: a few dozen agencies in a hierarchy (departments > components > offices, plus
independent agencies and executive offices), outlets, documents citing earlier documents, sources of
every kind (a few with confidential notes), claims about one to three agencies with one to five
attribution lines (some through via documents, some re-reporting another line), figures (contested
pairs and rates), reported roles, data systems and the access sought to them, comment requests.

Rows come out as `Batch`es of tuples with their ids already assigned, in an order that satisfies every
foreign key, and the claims in chunks, so memory stays bounded whatever N. `record_load` writes them:
COPY through psycopg 3 on PostgreSQL, `bulk_create` in batches elsewhere.

Synthetic rows are not edits: no history row is written for them (the history says who changed the
record and why, and nobody did). The rows are the same for a seed whatever the database; only ids
move past the rows already there.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass, field
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.utils import timezone

from agencies import models as m
from agencies.core.bulk import copy_rows
from agencies.core.fields import EncryptedTextField
from agencies.models.base import slug_validator

from .sections import SECTIONS_DESCRIBED, every_list

POPULAR_EVERY = 50
CLAIM_CHUNK = 10_000  # claims generated, and written, at a time
BULK_BATCH = 2_000  # rows per bulk_create call (Django splits further to the backend's parameter limit)
EPOCH = dt.date(2016, 1, 1)  # the record's dates run from here...
SPAN_DAYS = 3_830  # ...to mid-2026

# Models in the order they are written: every foreign key points at a model written before it.
RECORD_MODELS: tuple[type[models.Model], ...] = (
    m.Agency,
    m.Outlet,
    m.Document,
    m.Citation,
    m.Source,
    m.SourceConfidentialNote,
    m.StatedMission,
    m.ReportedRole,
    m.DataSystem,
    m.DataAccess,
    m.Claim,
    m.ClaimAgency,
    m.Attribution,
    m.AttributionHop,
    m.Figure,
    m.RoleClaim,
    m.DataAccessClaim,
    m.CommentRequest,
)


def _entry_columns(section, leave_out: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A section's own columns as the dossier describes them: id, slug or keys, then its fields."""
    keys = tuple(section.field(name).attname for name in section.key) if section.keyed else ("slug",)
    return ("id", *keys, *(f.attname for f in section.stored_fields if f.attname not in leave_out))


def _list_columns(nested) -> tuple[str, ...]:
    return ("id", nested.owner, *nested.columns, "position")


# The columns each model's rows give, in order: the generator makes no claim answer another.
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    **{s.model: _entry_columns(s, leave_out=("answers_id",)) for s in SECTIONS_DESCRIBED},
    **{n.model: _list_columns(n) for n in every_list()},
    m.SourceConfidentialNote: ("id", "source_id", "notes"),
}


def _words(text: str) -> list[str]:
    return text.split()


# --- Vocabulary -------------------------------------------------------------------------------------
# Invented names throughout: a synthetic record must never be mistaken for reporting on a real body.

DEPARTMENTS = [
    ("Department of Border Affairs", "DBA", ["Border Patrol Service", "Removal Operations", "Visa Bureau"]),
    ("Department of Civic Records", "DCR", ["Census Office", "Registry Service", "Archives Directorate"]),
    ("Department of Public Revenue", "DPR", ["Tax Enforcement Bureau", "Customs Service", "Audit Office"]),
    ("Department of Postal Services", "DPS", ["Inspection Service", "Mail Operations", "Parcel Directorate"]),
    ("Department of Public Safety", "DOS", ["Investigations Bureau", "Marshals Service", "Prisons Bureau"]),
    ("Department of Labour Standards", "DLS", ["Wage Inspectorate", "Workplace Safety Office"]),
    ("Department of Public Health", "DPH", ["Disease Surveillance Centre", "Drug Agency", "Benefits Office"]),
    ("Department of Transit", "DOT", ["Aviation Authority", "Highway Administration", "Rail Safety Board"]),
]
OFFICES = ["Intelligence Unit", "Data Analytics Office", "Field Operations", "Compliance Office"]
INDEPENDENT = [
    ("Federal Communications Board", "FCB"),
    ("Elections Commission", "ELC"),
    ("Financial Conduct Authority", "FCA"),
    ("Privacy Oversight Board", "POB"),
]
EXECUTIVE = [("Office of the Chief Executive", "OCE"), ("Office of Border Coordination", "OBC")]

OUTLETS = [
    ("The Capital Ledger", m.OutletKind.NEWS),
    ("Evening Courier", m.OutletKind.NEWS),
    ("The Daily Beacon", m.OutletKind.NEWS),
    ("Harbour Times", m.OutletKind.NEWS),
    ("The Plain Dealer Review", m.OutletKind.NEWS),
    ("Metro Observer", m.OutletKind.NEWS),
    ("The Frontier Post", m.OutletKind.NEWS),
    ("National Record", m.OutletKind.NEWS),
    ("The Sentinel", m.OutletKind.NEWS),
    ("Riverside Gazette", m.OutletKind.NEWS),
    ("Public Interest Desk", m.OutletKind.NEWS),
    ("The Inquirer Weekly", m.OutletKind.NEWS),
    ("Northern Wire", m.OutletKind.WIRE),
    ("Continental Press Agency", m.OutletKind.WIRE),
    ("Global Newswire", m.OutletKind.WIRE),
    ("Civic Data Project", m.OutletKind.NGO),
    ("Rights Watch Collective", m.OutletKind.NGO),
    ("Open Records Initiative", m.OutletKind.NGO),
    ("State University Migration Lab", m.OutletKind.ACADEMIC),
    ("Institute for Public Accountability", m.OutletKind.ACADEMIC),
    ("Policy Review Quarterly", m.OutletKind.OTHER),
]
FIRST_NAMES = _words(
    "Ana Ben Carla Dmitri Elena Farid Grace Hiro Ines Jonah Kemi Lars Maya Nadia Omar "
    "Priya Quinn Rosa Samir Tara Uma Victor Wen Ximena Yusuf Zoe Aaron Bea Cyrus Dana"
)
LAST_NAMES = _words(
    "Abbott Baptiste Castillo Dubois Eriksen Fontaine Gallagher Haddad Ibarra Jansen "
    "Kowalski Lindqvist Moreau Nakamura Okafor Petrov Quintero Rahman Santos Takahashi "
    "Urban Varga Whitfield Xu Yilmaz Zeller Brennan Costa Delgado Ferreira"
)
TITLES = ["spokesperson", "deputy director", "former official", "commissioner", "senior adviser", "auditor"]
RESEARCH = ["researcher who compiles enforcement data", "professor of public policy", "data analyst"]
REASONS = [
    "fear of professional reprisals",
    "not authorised to speak publicly",
    "to discuss internal deliberations",
    "fear of retaliation",
    "the matter is under investigation",
]
TOPICS = [
    "the programme",
    "the agreement",
    "internal planning",
    "the data request",
    "the operation",
    "the budget",
]
CATEGORIES = [
    ("immigration_enforcement", "tracking, detaining and removing immigrants"),
    ("surveillance", "monitoring communications and movements"),
    ("data_sharing", "sharing records with other agencies"),
    ("tax_enforcement", "pursuing tax debts"),
    ("border_security", "screening travellers at the border"),
    ("public_health_tracking", "tracing contacts during outbreaks"),
    ("labour_inspection", "inspecting workplaces for violations"),
    ("benefit_fraud", "investigating benefit fraud"),
]
SYSTEMS = [
    ("Mail covers", "Photographs of the exterior of envelopes and packages."),
    ("Package tracking", "Where a parcel went and when."),
    ("Online account data", "Log-ins, addresses and contact details of online accounts."),
    ("Financial records", "Card payments and money orders."),
    ("IP address logs", "Addresses that reached the agency's websites."),
    ("Licence plate reads", "Camera reads of vehicle plates."),
    ("Biometric enrolment records", "Fingerprints and photographs taken at enrolment."),
    ("Case management system", "Investigations, subjects and their status."),
]
METRICS = [
    ("removals", "removals"),
    ("arrests", "arrests"),
    ("returns", "returns"),
    ("detentions", "people detained"),
    ("data_requests", "data requests"),
    ("subpoenas", "subpoenas issued"),
    ("inspections", "inspections"),
    ("prosecutions", "prosecutions"),
    ("complaints", "complaints received"),
    ("audits", "audits opened"),
]
REGIONS = ["United States"] * 20 + [
    "Northern District",
    "Southern District",
    "Eastern District",
    "Western District",
    "Capital Region",
    "Coastal Region",
    "Mountain Region",
    "Plains Region",
    "Lakes Region",
    "Delta Region",
    "Harbour City",
    "Riverside County",
]
VERBS = [
    ("expanded", "expanding"),
    ("quietly began", "quietly beginning"),
    ("suspended", "suspending"),
    ("accelerated", "accelerating"),
    ("reorganised", "reorganising"),
    ("paused", "pausing"),
    ("outsourced", "outsourcing"),
    ("tripled", "tripling"),
]
OBJECTS = [
    "its inspections of detention sites",
    "a pilot to screen parcels",
    "a contract for facial recognition",
    "checks on benefit claimants",
    "the collection of travel records",
    "audits of regional offices",
    "cooperation with local police",
    "requests for subscriber data",
    "the review of asylum files",
    "the vetting of contractors",
    "a programme of workplace raids",
    "overtime for field agents",
]
ADJECTIVES = [
    "complete overreach",
    "a necessary step",
    "unlawful",
    "deeply troubling",
    "routine",
    "long overdue",
    "a waste of money",
    "creative accounting",
]
INTENTS = [
    "double the number of field agents",
    "close its regional offices",
    "deport millions",
    "share all records with its partners",
    "end the programme",
    "publish its data monthly",
]
DENIALS = [
    "shared any personal data",
    "took part in the operation",
    "received the request",
    "changed its policy",
    "kept records of the searches",
]
QUOTES = [
    "very, very nervous",
    "complete overreach",
    "key to giving law enforcement the resources it needs",
    "nothing to hide",
    "we were never asked",
    "a matter of routine",
    "not what we signed up for",
    "under review",
]
RESPONSES = [
    "The agency said it does not comment on ongoing operations.",
    "A spokesperson said the programme complies with the law.",
    "The department referred questions to its partners.",
]
# Programme names, each in a few claims in a thousand: selective terms for the search benchmark.
_SYLLABLES = ["kes", "tor", "vel", "mar", "dun", "quil", "bra", "zen", "lor", "fen", "gal", "rho"]
CODENAMES = [
    (a + b + c).capitalize()
    for a in _SYLLABLES
    for b in _SYLLABLES
    for c in ("ine", "wick", "moor")
    if a != b
]
SELECTIVE_TERM = CODENAMES[0]  # "Kestorine"
CODENAME_SHARE = 0.02  # share of claims that name a programme; each name is 1 / len(CODENAMES) of those

CLAIM_KINDS = [
    (m.ClaimKind.STATEMENT, 30),
    (m.ClaimKind.CHARACTERISATION, 18),
    (m.ClaimKind.ROLE, 18),
    (m.ClaimKind.INTENT, 10),
    (m.ClaimKind.DENIAL, 8),
    (m.ClaimKind.DATA_ACCESS, 8),
    (m.ClaimKind.FIGURE, 1.5),
]
STATUSES = [
    (m.ClaimStatus.UNVERIFIED, 55),
    (m.ClaimStatus.CORROBORATED, 15),
    (m.ClaimStatus.CONFIRMED, 10),
    (m.ClaimStatus.DISPUTED, 10),
    (m.ClaimStatus.REFUTED, 5),
    (m.ClaimStatus.RETRACTED, 5),
]
ATTRIBUTIONS = [(1, 35), (2, 30), (3, 20), (4, 10), (5, 5)]
SOURCE_KINDS = [
    (m.SourceKind.ANONYMOUS, 30),
    (m.SourceKind.OFFICIAL, 20),
    (m.SourceKind.PERSON, 20),
    (m.SourceKind.AGENCY, 10),
    (m.SourceKind.ORGANISATION, 8),
    (m.SourceKind.DATASET, 7),
    (m.SourceKind.OUTLET, 5),
]
CONFIDENTIAL_SHARE = 0.01  # of anonymous and unnamed-official sources; at least one in any record


def _iso(day: int, precision: str) -> str:
    """A day number (days since EPOCH) as the ISO prefix of a partial date of that precision."""
    date = EPOCH + dt.timedelta(days=day)
    if precision == "year":
        return f"{date.year:04d}"
    if precision == "month":
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


class _Weighted:
    """Picks from weighted items with one random number and a bisection."""

    def __init__(self, pairs: Sequence[tuple[object, float]]):
        self.items = [item for item, _ in pairs]
        total = 0.0
        self.cumulative = []
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


@dataclass(frozen=True)
class Batch:
    model: type[models.Model]
    columns: tuple[str, ...]
    rows: list[tuple]


@dataclass
class _Doc:
    id: int
    day: int
    published: str
    outlet: int | None
    outlet_index: int | None
    cites: list[int] = field(default_factory=list)  # indexes into the documents list
    cited_by: list[int] = field(default_factory=list)
    own_sources: list[int] = field(default_factory=list)  # indexes into the sources list


@dataclass(frozen=True)
class _SourceFields:
    """A source's columns after its id, slug and kind, in order: what each kind of source fills in."""

    description: str = ""
    count: int | None = None
    reason: str = ""
    granted_by: int | None = None  # document
    name: str = ""
    title: str = ""
    affiliation: int | None = None  # agency
    agency: int | None = None
    outlet: int | None = None
    document: int | None = None


@dataclass
class _Agency:
    id: int
    slug: str
    name: str
    acronym: str
    kind: str
    parent: int | None  # index
    department: int  # index of its top-level agency
    weight: float
    roles: list[int] = field(default_factory=list)  # indexes into the roles list
    systems: list[int] = field(default_factory=list)


@dataclass
class _ClaimRows:
    """The rows of one chunk of claims, and the figures a later one may contest."""

    claims: list[tuple] = field(default_factory=list)
    links: list[tuple] = field(default_factory=list)
    lines: list[tuple] = field(default_factory=list)
    hops: list[tuple] = field(default_factory=list)
    figures: list[tuple] = field(default_factory=list)
    recent_figures: list[tuple] = field(default_factory=list)  # the last 50: metric, start, end, place, value


class SyntheticRecord:
    """The rows of a synthetic record of `claims` claims, reproducible from `seed`.

    `start` maps a model to its first id (default 1 for every model): the loader passes the ids
    past what the database already holds, so that the rows never collide with it.
    The steps below draw from one `self.rng` in a fixed order: a draw moved changes every row after it.
    """

    def __init__(
        self,
        *,
        claims: int,
        seed: int = 1,
        prefix: str = "syn",
        start: dict[type[models.Model], int] | None = None,
        figure_share: float | None = None,
    ):
        if claims < 1:
            raise ValueError("a synthetic record needs at least one claim")
        slug_validator(prefix)
        self.claims = claims
        self.seed = seed
        self.prefix = prefix
        self.next_id = {model: (start or {}).get(model, 1) for model in RECORD_MODELS}
        # Reproducible, not secret: the same seed gives the same record.
        self.rng = random.Random(f"oversight-synthetic/{seed}")  # noqa: S311
        kinds = CLAIM_KINDS
        if figure_share is not None:
            others = [(k, w) for k, w in CLAIM_KINDS if k != m.ClaimKind.FIGURE]
            rest = sum(w for _, w in others)
            kinds = [*others, (m.ClaimKind.FIGURE, rest * figure_share / (1 - figure_share))]
        self.kinds = _Weighted(kinds)
        self.statuses = _Weighted(STATUSES)
        self.attribution_counts = _Weighted(ATTRIBUTIONS)
        self.source_kinds = _Weighted(SOURCE_KINDS)
        # Tens of thousands of documents for a million claims; enough for small records too.
        self.reporting_count = max(60, min(60_000, claims // 20))
        self.source_count = max(40, self.reporting_count // 2)
        self.counts: dict[type[models.Model], int] = defaultdict(int)

    # --- ids ---------------------------------------------------------------------------------------

    def _ids(self, model: type[models.Model], n: int) -> range:
        first = self.next_id[model]
        self.next_id[model] = first + n
        return range(first, first + n)

    def _id(self, model: type[models.Model]) -> int:
        first = self.next_id[model]
        self.next_id[model] = first + 1
        return first

    def _slug(self, kind: str, n: int) -> str:
        return f"{self.prefix}-{kind}-{n}"

    def _batch(self, model: type[models.Model], rows: list[tuple]) -> Batch:
        self.counts[model] += len(rows)
        return Batch(model, COLUMNS[model], rows)

    # --- the record --------------------------------------------------------------------------------

    def batches(self, progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        """Every row, model by model and the claims chunk by chunk; `progress(claims_done)` after each."""
        yield from self._agencies()
        yield from self._outlets()
        yield from self._documents()
        yield from self._sources()
        yield from self._missions()
        yield from self._roles_and_systems()
        done = 0
        while done < self.claims:
            size = min(CLAIM_CHUNK, self.claims - done)
            yield from self._claims(done, size)
            done += size
            if progress is not None:
                progress(done)
        yield from self._links()
        yield from self._comment_requests()

    def _agencies(self) -> Iterator[Batch]:
        rng = self.rng
        specs: list[tuple[str, str, str, int | None, int, float]] = []  # name, acronym, kind, parent, dept
        for name, acronym, components in DEPARTMENTS:
            dept = len(specs)
            specs.append((name, acronym, m.AgencyKind.EXECUTIVE_DEPARTMENT, None, dept, 3.0))
            for component in components:
                comp = len(specs)
                comp_acronym = acronym + "-" + "".join(w[0] for w in component.split() if w[0].isupper())
                kind = m.AgencyKind.LAW_ENFORCEMENT if rng.random() < 0.4 else m.AgencyKind.COMPONENT
                specs.append((f"{component} ({acronym})", comp_acronym, kind, dept, dept, 2.0))
                for office in rng.sample(OFFICES, rng.randint(0, 3)):
                    office_acronym = comp_acronym + "-" + "".join(w[0] for w in office.split())
                    specs.append(
                        (
                            f"{office}, {component} ({acronym})",
                            office_acronym,
                            m.AgencyKind.OTHER,
                            comp,
                            dept,
                            0.5,
                        )
                    )
        for name, acronym in INDEPENDENT:
            specs.append((name, acronym, m.AgencyKind.INDEPENDENT_AGENCY, None, len(specs), 1.0))
        for name, acronym in EXECUTIVE:
            specs.append((name, acronym, m.AgencyKind.EXECUTIVE_OFFICE, None, len(specs), 1.5))
        ids = self._ids(m.Agency, len(specs))
        self.agencies = []
        rows = []
        for n, (name, acronym, kind, parent, dept, weight) in enumerate(specs):
            slug = self._slug("agency", n + 1)
            agency = _Agency(ids[n], slug, name, acronym, kind, parent, dept, weight)
            self.agencies.append(agency)
            website = f"https://{acronym.lower()}.example.gov"
            rows.append(
                (ids[n], slug, name, acronym, kind, ids[parent] if parent is not None else None, website)
            )
        # Claims concentrate on some agencies: a skewed weight on top of the tier's.
        self.agency_pick = _Weighted(
            [(i, a.weight * (1 + 4 * rng.random() ** 3)) for i, a in enumerate(self.agencies)]
        )
        yield self._batch(m.Agency, rows)

    def _outlets(self) -> Iterator[Batch]:
        specs = list(OUTLETS)
        # Each department and independent body has a press office: the outlet of its own documents.
        self.press_office = {}
        for i, agency in enumerate(self.agencies):
            if agency.parent is None:
                self.press_office[i] = len(specs)
                specs.append((f"{agency.name} press office", m.OutletKind.GOVERNMENT))
        ids = self._ids(m.Outlet, len(specs))
        self.outlet_ids = list(ids)
        self.outlet_names = [name for name, _ in specs]
        self.news_outlets = [i for i, (_, kind) in enumerate(specs) if kind != m.OutletKind.GOVERNMENT]
        # A few outlets publish most of the reporting.
        self.outlet_pick = _Weighted([(i, 1 / (1 + rank)) for rank, i in enumerate(self.news_outlets)])
        rows = [(ids[n], self._slug("outlet", n + 1), name, kind) for n, (name, kind) in enumerate(specs)]
        yield self._batch(m.Outlet, rows)

    def _documents(self) -> Iterator[Batch]:
        # The agencies' own web pages, then the reporting.
        n_docs = len(self.agencies) + self.reporting_count
        ids = self._ids(m.Document, n_docs)
        self.docs: list[_Doc] = []
        self.datasets: list[int] = []  # data releases: what data-set sources point at
        self.agency_pages: dict[int, int] = {}  # agency index -> its web page (document index)
        rows = [self._agency_page(a_index, agency, ids) for a_index, agency in enumerate(self.agencies)]
        self.first_reporting = len(self.docs)
        remaining = n_docs - self.first_reporting
        citations: list[tuple[int, int, int]] = []
        for k in range(remaining):
            # Spread over the span in order, so that a document only ever cites earlier ones.
            rows.append(self._reporting(int(SPAN_DAYS * (k + self.rng.random()) / remaining), ids, citations))
        # Popular documents: one in POPULAR_EVERY (fewer in a small record, never just one or two).
        self.doc_pick_span = len(self.docs) - self.first_reporting
        self.popular_every = max(2, min(POPULAR_EVERY, self.doc_pick_span // 20))
        yield self._batch(m.Document, rows)
        yield self._batch(
            m.Citation,
            [(i, *c) for i, c in zip(self._ids(m.Citation, len(citations)), citations, strict=True)],
        )

    def _press_office_of(self, a_index: int) -> int | None:
        """The outlet of the agency's department (or its own, at the top): where its own documents appear."""
        agency = self.agencies[a_index]
        return self.press_office.get(a_index if agency.parent is None else agency.department)

    def _agency_page(self, a_index: int, agency: _Agency, ids: range) -> tuple:
        """The agency's own web page: the source of its stated missions."""
        outlet_index = self._press_office_of(a_index)
        self.agency_pages[a_index] = len(self.docs)
        doc = _Doc(ids[len(self.docs)], self.rng.randrange(SPAN_DAYS // 4), "", None, outlet_index)
        doc.published = _iso(doc.day, "month")
        doc.outlet = self.outlet_ids[outlet_index] if outlet_index is not None else None
        self.docs.append(doc)
        slug = self._slug("document", len(self.docs))
        about = f"https://{agency.acronym.lower()}.example.gov/about"
        return (
            doc.id,
            slug,
            m.DocumentKind.WEBPAGE,
            doc.outlet,
            f"About the {agency.name}",
            doc.published,
            about,
            "",
            [],
        )

    def _reporting(self, day: int, ids: range, citations: list) -> tuple:
        """The next reporting document, published on `day`, and the citations it makes."""
        rng = self.rng
        r = rng.random()
        precision = "day" if r < 0.75 else ("month" if r < 0.95 else "year")
        agency_index = self.agency_pick(rng)
        agency = self.agencies[agency_index]
        kind, outlet_index = self._reporting_kind(agency_index)
        outlet_id = self.outlet_ids[outlet_index] if outlet_index is not None else None
        index = len(self.docs)
        if kind == m.DocumentKind.DATASET:
            self.datasets.append(index)
        doc = _Doc(ids[index], day, _iso(day, precision), outlet_id, outlet_index)
        if kind != m.DocumentKind.DATASET:
            self._cite_earlier(doc, index, citations)
        self.docs.append(doc)
        slug = self._slug("document", index + 1)
        title = self._reporting_title(kind, agency, doc.published)
        authors = (
            [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 2))]
            if kind in (m.DocumentKind.ARTICLE, m.DocumentKind.REPORT)
            else []
        )
        host = f"{self.prefix}-outlet-{outlet_index + 1}" if outlet_index is not None else "unknown"
        url = f"https://{host}.example.org/{slug}"
        archived = f"https://archive.example.org/{slug}" if rng.random() < 0.2 else ""
        return (doc.id, slug, kind, outlet_id, title, doc.published, url, archived, authors)

    def _reporting_kind(self, agency_index: int) -> tuple[str, int | None]:
        """A reporting document's kind and outlet: the agency's press office for its own releases."""
        r = self.rng.random()
        if r < 0.12:
            kind = m.DocumentKind.PRESS_RELEASE if r < 0.08 else m.DocumentKind.DATASET
            return kind, self._press_office_of(agency_index)
        kind = (
            m.DocumentKind.ARTICLE
            if r < 0.85
            else (m.DocumentKind.REPORT if r < 0.95 else m.DocumentKind.TRANSCRIPT)
        )
        return kind, self.outlet_pick(self.rng)

    def _cite_earlier(self, doc: _Doc, index: int, citations: list) -> None:
        """Up to three earlier reporting documents, mostly recent ones."""
        rng = self.rng
        first_reporting = self.first_reporting
        if index <= first_reporting + 3:
            return
        for position in range(rng.choice((0, 0, 1, 1, 2, 3))):
            back = 1 + int((index - first_reporting - 1) * rng.random() ** 4)
            cited = index - back
            if cited not in doc.cites:
                doc.cites.append(cited)
                self.docs[cited].cited_by.append(index)
                citations.append((doc.id, self.docs[cited].id, position))

    def _reporting_title(self, kind: str, agency: _Agency, published: str) -> str:
        rng = self.rng
        verb = rng.choice(VERBS)
        if kind == m.DocumentKind.DATASET:
            return f"{agency.acronym} enforcement statistics, {published[:4]}"
        if kind == m.DocumentKind.PRESS_RELEASE:
            return f"{agency.name} announces it {verb[0]} {rng.choice(OBJECTS)}"
        what = rng.choice(OBJECTS)
        said = rng.choice(("records show", "officials say", "documents reveal", "sources say"))
        return f"{agency.acronym} {verb[1]} {what}, {said}"

    def _pick_doc(self) -> int:
        """A reporting document; a few popular stories (one in fifty) get a third of all lines."""
        rng = self.rng
        if rng.random() < 0.3:
            every = self.popular_every
            return self.first_reporting + every * int(rng.random() * self.doc_pick_span / every)
        return self.first_reporting + int(rng.random() * self.doc_pick_span)

    def _sources(self) -> Iterator[Batch]:
        rng = self.rng
        n = self.source_count
        ids = self._ids(m.Source, n)
        rows = []
        self.source_ids = list(ids)
        self.source_kind = []
        self.named_sources: list[int] = []
        notes = []
        kinds_needed = [k for k, _ in SOURCE_KINDS]  # every kind at least once, whatever the size
        for k in range(n):
            kind = kinds_needed.pop(0) if kinds_needed else self.source_kinds(rng)
            agency = self.agencies[self.agency_pick(rng)]
            fields = _SOURCE_FIELDS[kind](self, k, agency)
            self.source_kind.append(kind)
            if kind not in (m.SourceKind.ANONYMOUS, m.SourceKind.OFFICIAL):
                self.named_sources.append(k)
            elif rng.random() < CONFIDENTIAL_SHARE or not notes:
                notes.append((ids[k], self._confidential_note()))
            rows.append((ids[k], self._slug("source", k + 1), kind, *astuple(fields)))
        yield self._batch(m.Source, rows)
        note_ids = self._ids(m.SourceConfidentialNote, len(notes))
        yield self._batch(
            m.SourceConfidentialNote, [(i, *note) for i, note in zip(note_ids, notes, strict=True)]
        )

    def _confidential_note(self) -> str:
        rng = self.rng
        return (
            f"Real name {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}; "
            f"reach through the {rng.choice(('desk', 'lawyer', 'union'))} only."
        )

    # One per kind of source: the fields it fills in. `k` is the source's index.

    def _anonymous_source(self, k: int, agency: _Agency) -> _SourceFields:
        rng = self.rng
        count = rng.choice((1, 1, 2, 2, 3, 4))
        topic = rng.choice(TOPICS)
        description = (
            f"{count} people familiar with {topic}" if count > 1 else f"a person familiar with {topic}"
        )
        reason = rng.choice(REASONS)
        doc_index = self._pick_doc()
        self.docs[doc_index].own_sources.append(k)
        return _SourceFields(
            description=description, count=count, reason=reason, granted_by=self.docs[doc_index].id
        )

    def _official_source(self, k: int, agency: _Agency) -> _SourceFields:
        rng = self.rng
        description = f"a {rng.choice(('senior', 'former', 'regional'))} {agency.acronym} official"
        reason = rng.choice(REASONS) if rng.random() < 0.5 else ""
        doc_index = self._pick_doc()
        self.docs[doc_index].own_sources.append(k)
        return _SourceFields(description=description, reason=reason, affiliation=agency.id)

    def _person_source(self, k: int, agency: _Agency) -> _SourceFields:
        rng = self.rng
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        return _SourceFields(name=name, title=f"{agency.acronym} {rng.choice(TITLES)}", affiliation=agency.id)

    def _agency_source(self, k: int, agency: _Agency) -> _SourceFields:
        return _SourceFields(description=f"{agency.name}, officially", agency=agency.id)

    def _organisation_source(self, k: int, agency: _Agency) -> _SourceFields:
        rng = self.rng
        outlet_index = rng.choice(self.news_outlets)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        title = rng.choice(RESEARCH)
        return _SourceFields(description=f"{name}, {self.outlet_names[outlet_index]}", name=name, title=title)

    def _dataset_source(self, k: int, agency: _Agency) -> _SourceFields:
        doc_index = self.rng.choice(self.datasets) if self.datasets else self._pick_doc()
        return _SourceFields(description=f"{agency.acronym} data", document=self.docs[doc_index].id)

    def _outlet_source(self, k: int, agency: _Agency) -> _SourceFields:
        outlet_index = self.rng.choice(self.news_outlets)
        return _SourceFields(
            description=f"{self.outlet_names[outlet_index]}'s own reporting",
            outlet=self.outlet_ids[outlet_index],
        )

    def _missions(self) -> Iterator[Batch]:
        rng = self.rng
        rows = []
        for a_index, agency in enumerate(self.agencies):
            page = self.docs[self.agency_pages[a_index]]
            for position in range(rng.choice((1, 1, 2))):
                focus = rng.choice(CATEGORIES)[1] if position == 0 else rng.choice(CATEGORIES)[1]
                text = f"The {agency.name} is responsible for {focus}."
                day = page.day + position * 400
                rows.append(
                    (self._id(m.StatedMission), agency.id, text, page.id, _iso(day, "month"), position)
                )
        yield self._batch(m.StatedMission, rows)

    def _roles_and_systems(self) -> Iterator[Batch]:
        rng = self.rng
        roles, systems, accesses = [], [], []
        self.role_rows: list[tuple[int, int, int | None, str]] = []  # id, agency idx, partner idx, summary
        self.access_rows: list[tuple[int, int, int, str]] = []  # id, holder idx, seeker idx, system name
        for a_index, agency in enumerate(self.agencies):
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                category, phrase = rng.choice(CATEGORIES)
                partner = self.agency_pick(rng)
                partner = None if partner == a_index or rng.random() < 0.3 else partner
                partner_label = f" for the {self.agencies[partner].acronym}" if partner is not None else ""
                summary = f"{agency.acronym} is {phrase}{partner_label}."
                fit = rng.choice(
                    (m.MissionFit.OUTSIDE, m.MissionFit.WITHIN, m.MissionFit.WITHIN, m.MissionFit.UNCLEAR)
                )
                rationale = {
                    m.MissionFit.OUTSIDE: f"The stated mission does not cover {phrase}.",
                    m.MissionFit.WITHIN: "The stated mission covers this work.",
                    m.MissionFit.UNCLEAR: "The stated mission is silent on this.",
                }[fit]
                role_id = self._id(m.ReportedRole)
                agency.roles.append(len(self.role_rows))
                self.role_rows.append((role_id, a_index, partner, summary))
                status = rng.choice(list(m.RoleStatus))
                first = _iso(rng.randrange(SPAN_DAYS), rng.choice(("month", "day")))
                roles.append(
                    (
                        role_id,
                        self._slug("role", len(self.role_rows)),
                        agency.id,
                        self.agencies[partner].id if partner is not None else None,
                        summary,
                        category,
                        status,
                        first,
                        fit,
                        rationale,
                    )
                )
            if agency.kind in (m.AgencyKind.LAW_ENFORCEMENT, m.AgencyKind.COMPONENT):
                for name, description in rng.sample(SYSTEMS, rng.randint(1, 3)):
                    system_id = self._id(m.DataSystem)
                    systems.append(
                        (system_id, self._slug("system", len(systems) + 1), agency.id, name, description)
                    )
                    seekers = {self.agency_pick(rng) for _ in range(rng.choice((0, 1, 1, 2)))} - {a_index}
                    for seeker in sorted(seekers):
                        access_id = self._id(m.DataAccess)
                        agency.systems.append(len(self.access_rows))
                        self.access_rows.append((access_id, a_index, seeker, name))
                        status = rng.choice(list(m.AccessStatus))
                        accesses.append((access_id, system_id, self.agencies[seeker].id, status))
        self.role_claims: dict[int, list[int]] = defaultdict(list)  # role index -> claim ids
        self.access_claims: dict[int, list[int]] = defaultdict(list)
        self.claims_about: dict[int, list[int]] = defaultdict(list)  # agency index -> a few claim ids
        yield self._batch(m.ReportedRole, roles)
        yield self._batch(m.DataSystem, systems)
        yield self._batch(m.DataAccess, accesses)

    # --- claims ------------------------------------------------------------------------------------

    def _origin_for(self, doc_index: int) -> int:
        """A source for a line reported by this document: one it introduced, or a named one."""
        rng = self.rng
        own = self.docs[doc_index].own_sources
        if own and rng.random() < 0.6:
            return own[int(rng.random() * len(own))]
        if rng.random() < 0.5 and self.named_sources:
            return self.named_sources[int(rng.random() * len(self.named_sources))]
        return int(rng.random() * len(self.source_ids))

    def _via(self, doc_index: int) -> list[int]:
        """Up to two hops along real citations: the document got it from one it cites, and so on."""
        rng = self.rng
        via = []
        current = doc_index
        while len(via) < 2 and self.docs[current].cites and rng.random() < 0.45:
            current = self.docs[current].cites[int(rng.random() * len(self.docs[current].cites))]
            if current == doc_index or current in via:
                break
            via.append(current)
        return via

    def _claim_text(self, kind: str, agency: _Agency, extra: dict) -> str:
        rng = self.rng
        if kind == m.ClaimKind.ROLE and agency.roles:
            role = agency.roles[int(rng.random() * len(agency.roles))]
            extra["role"] = role
            text = f"The {agency.name} is reported to be " + self.role_rows[role][3].split(" is ", 1)[1]
        elif kind == m.ClaimKind.DATA_ACCESS and self.access_rows:
            access = int(rng.random() * len(self.access_rows))
            extra["access"] = access
            _, holder, seeker, system = self.access_rows[access]
            text = (
                f"The {self.agencies[seeker].acronym} sought access to the {self.agencies[holder].acronym}'s "
                f"{system.lower()}."
            )
        elif kind == m.ClaimKind.FIGURE:
            metric, phrase = METRICS[int(rng.random() * len(METRICS))]
            extra["metric"] = (metric, phrase)
            text = f"The {agency.acronym} recorded {{value}} {phrase} {{period}}."
        elif kind == m.ClaimKind.CHARACTERISATION:
            who = rng.choice(("Critics", "A former official", "Researchers", "Union leaders", "Lawmakers"))
            what = rng.choice(OBJECTS)[4:]
            text = f"{who} described the {agency.acronym}'s {what} as {rng.choice(ADJECTIVES)}."
        elif kind == m.ClaimKind.INTENT:
            text = f"The {agency.name} intends to {rng.choice(INTENTS)} by {2017 + rng.randrange(10)}."
        elif kind == m.ClaimKind.DENIAL:
            text = f"The {agency.acronym} denied that it {rng.choice(DENIALS)}."
        else:
            verb = rng.choice(VERBS)[0]
            text = f"The {agency.name} {verb} {rng.choice(OBJECTS)} in {rng.choice(REGIONS)}."
        if rng.random() < CODENAME_SHARE:
            text = (
                text[:-1] + f" under the programme known as {CODENAMES[int(rng.random() * len(CODENAMES))]}."
            )
        return text

    def _claims(self, done: int, size: int) -> Iterator[Batch]:
        chunk = _ClaimRows()
        for n, claim_id in enumerate(self._ids(m.Claim, size)):
            self._claim(claim_id, done + n + 1, chunk)
        yield self._batch(m.Claim, chunk.claims)
        yield self._batch(m.ClaimAgency, chunk.links)
        yield self._batch(m.Attribution, chunk.lines)
        yield self._batch(m.AttributionHop, chunk.hops)
        yield self._batch(m.Figure, chunk.figures)

    def _claim(self, claim_id: int, number: int, chunk: _ClaimRows) -> None:
        """Claim `number`'s rows: its agencies, its attribution lines and hops, its figure."""
        rng = self.rng
        kind = self.kinds(rng)
        a_index = self.agency_pick(rng)
        agency = self.agencies[a_index]
        about = self._about(a_index, agency)
        status = self.statuses(rng)
        extra: dict = {}
        text = self._claim_text(kind, agency, extra)
        # Where it first appeared, then who repeated it.
        doc_index = self._pick_doc()
        doc = self.docs[doc_index]
        self._attributions(claim_id, status, doc_index, chunk)
        if kind == m.ClaimKind.FIGURE and "metric" in extra:
            text = self._figure(claim_id, number, doc, extra["metric"][0], text, chunk)
        chunk.claims.append((claim_id, self._slug("claim", number), kind, text, doc.published, status))
        for position, agency_index in enumerate(about):
            chunk.links.append((self._id(m.ClaimAgency), claim_id, self.agencies[agency_index].id, position))
        about_list = self.claims_about[a_index]
        if len(about_list) < 3:
            about_list.append(claim_id)
        if "role" in extra and len(self.role_claims[extra["role"]]) < 6:
            self.role_claims[extra["role"]].append(claim_id)
        if "access" in extra and len(self.access_claims[extra["access"]]) < 6:
            self.access_claims[extra["access"]].append(claim_id)

    def _about(self, a_index: int, agency: _Agency) -> list[int]:
        """The agencies a claim is about: its own, sometimes its parent, sometimes another."""
        rng = self.rng
        about = [a_index]
        if agency.parent is not None and rng.random() < 0.2:
            about.append(agency.parent)
        if rng.random() < 0.15:
            other = self.agency_pick(rng)
            if other not in about:
                about.append(other)
        return about

    def _attributions(self, claim_id: int, status: str, doc_index: int, chunk: _ClaimRows) -> None:
        """The claim's attribution lines, the first from the document where it appeared."""
        rng = self.rng
        n_lines = self.attribution_counts(rng)
        if status == m.ClaimStatus.CORROBORATED:
            n_lines = max(n_lines, 2)
        stances = [m.Stance.SUPPORTS] * n_lines
        if status in (m.ClaimStatus.DISPUTED, m.ClaimStatus.REFUTED):
            stances[-1] = m.Stance.DISPUTES
        elif n_lines > 2 and rng.random() < 0.2:
            stances[-1] = m.Stance.MENTIONS
        first_origin = None
        for position in range(n_lines):
            line_doc, via, origin = self._line(position, doc_index, status, first_origin)
            if position == 0:
                first_origin = origin
            attribution_id = self._id(m.Attribution)
            quote = f"“{rng.choice(QUOTES)}”" if rng.random() < 0.3 else ""
            locator = f"para {1 + int(rng.random() * 30)}" if rng.random() < 0.5 else ""
            line_doc_id, source_id = self.docs[line_doc].id, self.source_ids[origin]
            chunk.lines.append(
                (
                    attribution_id,
                    claim_id,
                    line_doc_id,
                    source_id,
                    stances[position],
                    quote,
                    locator,
                    position,
                )
            )
            for hop_position, hop in enumerate(via):
                chunk.hops.append(
                    (self._id(m.AttributionHop), attribution_id, self.docs[hop].id, hop_position)
                )

    def _line(
        self, position: int, doc_index: int, status: str, first_origin: int | None
    ) -> tuple[int, list[int], int | None]:
        """An attribution line's document, its via documents and its origin (a source index)."""
        rng = self.rng
        doc = self.docs[doc_index]
        if position == 0:
            line_doc = doc_index
        elif doc.cited_by and rng.random() < 0.35:
            # Re-reporting: a later document that cites the first, from the same origin.
            return doc.cited_by[int(rng.random() * len(doc.cited_by))], [doc_index], first_origin
        else:
            line_doc = self._pick_doc()
        via = self._via(line_doc)
        origin = self._origin_for(via[-1] if via else line_doc)
        if position > 0 and status == m.ClaimStatus.CORROBORATED and origin == first_origin:
            origin = (origin + 1) % len(self.source_ids)
        return line_doc, via, origin

    def _figure(
        self, claim_id: int, number: int, doc: _Doc, metric: str, text: str, chunk: _ClaimRows
    ) -> str:
        """The figure of a figure claim, reported by `doc`; returns the claim's text with its value."""
        rng = self.rng
        end_day = max(doc.day - rng.randrange(60), 0)
        recent = chunk.recent_figures
        if recent and rng.random() < 0.3:
            # Contested: the same metric and period elsewhere, a value far apart.
            metric, start, end, geography, value = recent[int(rng.random() * len(recent))]
            value = (value * Decimal(rng.choice((3, 4, 5, 25, 30)))) / 10
            value = value.quantize(Decimal(1))
        else:
            length = rng.choice((30, 30, 90, 98, 365))
            start = _iso(max(end_day - length, 0), "day")
            end = _iso(end_day, "day")
            geography = rng.choice(REGIONS)
            value = Decimal(rng.randrange(100, 200_000))
            recent.append((metric, start, end, geography, value))
            del recent[:-50]
        monthly = rng.random() < 0.2
        unit = "people per month" if monthly else "people"
        figure_id, slug = self._id(m.Figure), self._slug("figure", number)
        said_in = rng.choice(("agency data", "press briefing", "court filing", ""))
        chunk.figures.append((figure_id, slug, claim_id, metric, value, unit, start, end, geography, said_in))
        period = "a month on average" if monthly else f"between {start} and {end}"
        return text.format(value=f"{value:,}", period=period)

    def _links(self) -> Iterator[Batch]:
        """Roles and data access rest on claims: those written about them, or a claim about the agency."""
        first_claim = self.next_id[m.Claim] - self.claims
        role_claims = []
        for role_index, (role_id, a_index, _partner, _summary) in enumerate(self.role_rows):
            claims = self.role_claims.get(role_index) or (self.claims_about.get(a_index) or [first_claim])[:1]
            for position, claim_id in enumerate(dict.fromkeys(claims)):
                role_claims.append((self._id(m.RoleClaim), role_id, claim_id, position))
        access_claims = []
        for access_index, (access_id, holder, _seeker, _system) in enumerate(self.access_rows):
            claims = (
                self.access_claims.get(access_index) or (self.claims_about.get(holder) or [first_claim])[:1]
            )
            for position, claim_id in enumerate(dict.fromkeys(claims)):
                access_claims.append((self._id(m.DataAccessClaim), access_id, claim_id, position))
        yield self._batch(m.RoleClaim, role_claims)
        yield self._batch(m.DataAccessClaim, access_claims)

    def _comment_requests(self) -> Iterator[Batch]:
        rng = self.rng
        rows = []
        responses = [m.CommentResponse.NONE] * 2 + [m.CommentResponse.DECLINED, m.CommentResponse.RESPONDED]
        for doc in self.docs[self.first_reporting :]:
            if doc.outlet_index is None or doc.outlet_index not in self.news_outlets or rng.random() >= 0.08:
                continue
            agency = self.agencies[self.agency_pick(rng)]
            response = rng.choice(responses)
            text = rng.choice(RESPONSES) if response == m.CommentResponse.RESPONDED else ""
            requested = _iso(max(doc.day - rng.randrange(5), 0), "day") if rng.random() < 0.7 else None
            rows.append((self._id(m.CommentRequest), doc.id, agency.id, requested, response, text))
        yield self._batch(m.CommentRequest, rows)


# The columns each kind of source fills in, and the random draws it makes.
_SOURCE_FIELDS = {
    m.SourceKind.ANONYMOUS: SyntheticRecord._anonymous_source,
    m.SourceKind.OFFICIAL: SyntheticRecord._official_source,
    m.SourceKind.PERSON: SyntheticRecord._person_source,
    m.SourceKind.AGENCY: SyntheticRecord._agency_source,
    m.SourceKind.ORGANISATION: SyntheticRecord._organisation_source,
    m.SourceKind.DATASET: SyntheticRecord._dataset_source,
    m.SourceKind.OUTLET: SyntheticRecord._outlet_source,
}


# --- Loading ----------------------------------------------------------------------------------------


class _Progress:
    """A progress bar on stderr, redrawn at most a few times a second."""

    def __init__(self, total: int, stream, label: str = "claims"):
        self.total = total
        self.stream = stream
        self.label = label
        self.started = time.monotonic()
        self.drawn = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if self.stream is None or (done < self.total and now - self.drawn < 0.25):
            return
        self.drawn = now
        share = done / self.total
        elapsed = now - self.started
        eta = elapsed / share - elapsed if share else 0
        bar = "#" * int(30 * share)
        self.stream.write(
            f"\r{self.label} {done:>12,}/{self.total:,} [{bar:<30}] {share:6.1%} "
            f"{elapsed:6.1f}s elapsed, {eta:6.1f}s left"
        )
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


@dataclass(frozen=True)
class LoadReport:
    counts: dict[str, int]  # model label -> rows written
    seconds: float
    method: str  # "copy" or "bulk_create"
    statements: int  # COPY or INSERT statements the loader issued

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _prefix_used(prefix: str, using: str) -> bool:
    start = f"{prefix}-"
    return any(
        model.objects.using(using).filter(slug__startswith=start).exists()
        for model in (m.Agency, m.Outlet, m.Document, m.Source, m.Claim)
    )


def record_is_empty(using: str = "default") -> bool:
    return not any(model.objects.using(using).exists() for model in RECORD_MODELS)


def _first_ids(using: str) -> dict[type[models.Model], int]:
    """The first free id of each table: one aggregate query per table, whatever it holds."""
    return {
        model: (model.objects.using(using).aggregate(top=models.Max("pk"))["top"] or 0) + 1
        for model in RECORD_MODELS
    }


class _Columns:
    """How one model's rows become database rows: the generator's columns, then constants for the
    model's other columns (timestamps, defaults), and the fields whose own preparation must run."""

    def __init__(self, model: type[models.Model], columns: tuple[str, ...], now, connection):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.names = list(columns)
        tail = []
        for name, model_field in fields.items():
            if name in columns:
                continue
            if name in ("created_at", "updated_at"):
                tail.append(now)
            elif model_field.has_default():
                tail.append(model_field.get_db_prep_save(model_field.get_default(), connection))
            elif model_field.null:
                tail.append(None)
            else:
                raise ValueError(f"{model.__name__}.{name} has no value in the synthetic record")
            self.names.append(name)
        self.tail = tuple(tail)
        # Encrypted text goes through the field itself, so that only ciphertext is ever stored.
        self.prepared = [
            (i, fields[name])
            for i, name in enumerate(columns)
            if isinstance(fields[name], EncryptedTextField)
        ]
        self.json = [i for i, name in enumerate(columns) if isinstance(fields[name], models.JSONField)]


def _copy_rows(batch: Batch, spec: _Columns, connection) -> Iterator[tuple]:
    if not spec.prepared and not spec.json:
        tail = spec.tail
        for row in batch.rows:
            yield row + tail
        return
    for row in batch.rows:
        values = list(row)
        for i, model_field in spec.prepared:
            values[i] = model_field.get_db_prep_value(values[i], connection, prepared=False)
        for i in spec.json:
            values[i] = json.dumps(values[i])
        yield tuple(values) + spec.tail


def record_load(
    *,
    claims: int,
    seed: int = 1,
    prefix: str = "syn",
    force: bool = False,
    using: str = "default",
    progress_stream=sys.stderr,
    figure_share: float | None = None,
) -> LoadReport:
    """Generate and write a synthetic record, all or nothing, without history rows.

    Refuses a database that already holds a record unless `force`, and even then a `prefix` its
    slugs already use. PostgreSQL gets COPY (psycopg 3) and ANALYZE afterwards; other databases
    get bulk_create in batches. The number of statements grows with the batches, never the rows.
    """
    connection = connections[using]
    if not record_is_empty(using):
        if not force:
            raise RecordNotEmpty(
                "The database already holds a record: use --force to add a synthetic one next to it."
            )
        if _prefix_used(prefix, using):
            raise RecordNotEmpty(f"Slugs starting with {prefix!r}- are taken: choose another --prefix.")
    started = time.monotonic()
    record = SyntheticRecord(
        claims=claims, seed=seed, prefix=prefix, start=_first_ids(using), figure_share=figure_share
    )
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    specs: dict[type[models.Model], _Columns] = {}
    statements = 0
    progress = _Progress(claims, progress_stream)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for batch in record.batches(progress=progress):
            if not batch.rows:
                continue
            spec = specs.get(batch.model)
            if spec is None:
                spec = specs[batch.model] = _Columns(batch.model, batch.columns, now, connection)
            if postgres:
                table = batch.model._meta.db_table
                copy_rows(cursor, connection, table, spec.names, _copy_rows(batch, spec, connection))
                statements += 1
            else:
                objects = [
                    batch.model(**dict(zip(spec.names, row + spec.tail, strict=True))) for row in batch.rows
                ]
                for i in range(0, len(objects), BULK_BATCH):
                    batch.model.objects.using(using).bulk_create(objects[i : i + BULK_BATCH])
                    fields = len(spec.names)
                    size = connection.ops.bulk_batch_size([None] * fields, objects[i : i + BULK_BATCH])
                    statements += -(-len(objects[i : i + BULK_BATCH]) // max(size, 1))
        # Explicit ids: move each sequence past them, as loaddata does.
        for sql in connection.ops.sequence_reset_sql(no_style(), list(RECORD_MODELS)):
            cursor.execute(sql)
    if postgres:
        # Fresh statistics, or the planner would treat the new millions of rows as an empty table.
        with connection.cursor() as cursor:
            for model in RECORD_MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return LoadReport(
        counts={model._meta.label: record.counts[model] for model in RECORD_MODELS},
        seconds=time.monotonic() - started,
        method="copy" if postgres else "bulk_create",
        statements=statements,
    )


class RecordNotEmpty(Exception):
    """The database holds a record the synthetic one could be mistaken for or collide with."""
