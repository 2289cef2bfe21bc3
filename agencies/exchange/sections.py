"""The dossier's sections, each described once (docs/dossier-format.md).

For every section: the model its entries are stored as, how an entry is known (its id, or a pair of
references), its fields in the order the format page and the export give them (each with its kind,
whether a new entry must give it, what a reference points at), and its nested lists with the rows
they are stored as. The schema builds its item types from this, the importer what each field sets
and points at, the exporter what it writes, and the synthetic generator the columns it fills.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from agencies import models as m

# Field kinds (the schema gives each its type, the exporter its written form).
ID = "id"  # the entry's id: its model's slug
TEXT = "text"  # non-blank text
OPT_TEXT = "opt_text"  # optional text, stored "" when left out or null
URL = "url"  # optional URL, stored "" likewise
CHOICE = "choice"  # one of the model's choices
SLUG = "slug"  # a category or metric name
REF = "ref"  # the id of an entry of `target`
DATE = "date"  # a partial date, optional
REQUIRED_DATE = "required_date"  # a partial date that may not be null
NUMBER = "number"  # an exact decimal
COUNT = "count"  # a positive whole number, optional
TEXTS = "texts"  # a list of texts stored in one JSON column
CONFIDENTIAL = "confidential"  # text stored apart from the entry (a source's confidential notes)

# Text the database would take at any length: what a researcher may reasonably write there.
TEXT_LIMITS = {
    "claim text": 5_000,
    "mission": 5_000,
    "summary": 5_000,
    "description": 5_000,
    "quote": 2_000,
    "response_text": 10_000,
    "confidential_notes": 10_000,
}


@dataclass(frozen=True)
class Field:
    name: str  # as the file writes it
    kind: str
    new: bool = False  # a new entry must give it (an export always writes it)
    target: str | None = None  # the section a reference points at
    choices: type[models.TextChoices] | None = None
    limit: int | None = None  # longest text allowed, where the column itself has no limit
    column: str | None = None  # the model's attribute, when it is not the name (+ "_id" for a reference)

    @property
    def attname(self) -> str:
        if self.column:
            return self.column
        return f"{self.name}_id" if self.kind == REF else self.name


@dataclass(frozen=True)
class Nested:
    """An ordered list inside an entry, stored as rows of `model` pointing at their owner by `owner`:
    plain references (`entry` is one REF field) or mappings (`entry` holds several, `item` names
    their type)."""

    name: str  # as the file writes it
    model: type[models.Model]
    owner: str  # the rows' column pointing at the entry that holds the list
    entry: tuple[Field | Nested, ...]
    store: str  # the list's name in reports and plans (a section may hold two "claims" lists)
    new: bool = False
    item: str | None = None  # the schema's name for a mapping entry

    @property
    def refs(self) -> bool:
        """A list of plain references rather than of mappings."""
        return self.item is None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.attname for f in self.entry if isinstance(f, Field))

    @property
    def inner(self) -> tuple[Nested, ...]:
        """The lists inside each entry (an attribution's via)."""
        return tuple(f for f in self.entry if isinstance(f, Nested))


@dataclass(frozen=True)
class Section:
    name: str
    model: type[models.Model]
    kind: str  # how a message names one entry
    fields: tuple[Field | Nested, ...]  # in file order
    key: tuple[str, ...] = ("id",)  # the fields an entry is known by

    @property
    def keyed(self) -> bool:
        """Known by a pair of references (data_access, comment_requests) rather than an id."""
        return self.key != ("id",)

    @property
    def scalars(self) -> tuple[Field, ...]:
        """The entry's own columns, id and keys aside, in file order."""
        return tuple(
            f for f in self.fields if isinstance(f, Field) and f.kind != ID and f.name not in self.key
        )

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        """The fields stored in the entry's own row (not its confidential notes)."""
        return tuple(f for f in self.scalars if f.kind != CONFIDENTIAL)

    @property
    def nested(self) -> tuple[Nested, ...]:
        return tuple(f for f in self.fields if isinstance(f, Nested))

    def field(self, name: str) -> Field | Nested:
        return next(f for f in self.fields if f.name == name)


def _ref(name: str, target: str, **options) -> Field:
    return Field(name, REF, target=target, **options)


def _refs(name: str, model, owner: str, column: str, target: str, store: str, **options) -> Nested:
    return Nested(name, model, owner, (Field("", REF, target=target, column=column),), store, **options)


SECTIONS_DESCRIBED: tuple[Section, ...] = (
    Section(
        "agencies",
        m.Agency,
        "agency",
        (
            Field("id", ID),
            Field("name", TEXT, new=True),
            Field("acronym", OPT_TEXT),
            Field("kind", CHOICE, new=True, choices=m.AgencyKind),
            _ref("parent", "agencies"),
            Field("website", URL),
            Nested(
                "missions",
                m.StatedMission,
                "agency_id",
                (
                    Field("text", TEXT, new=True, limit=TEXT_LIMITS["mission"]),
                    _ref("document", "documents"),
                    Field("as_of", DATE),
                ),
                "missions",
                item="Mission",
            ),
        ),
    ),
    Section(
        "outlets",
        m.Outlet,
        "outlet",
        (
            Field("id", ID),
            Field("name", TEXT, new=True),
            Field("kind", CHOICE, new=True, choices=m.OutletKind),
        ),
    ),
    Section(
        "documents",
        m.Document,
        "document",
        (
            Field("id", ID),
            Field("kind", CHOICE, new=True, choices=m.DocumentKind),
            _ref("outlet", "outlets"),
            Field("title", TEXT, new=True),
            Field("published", DATE),
            Field("url", URL),
            Field("archived_url", URL),
            Field("authors", TEXTS, limit=300),
            _refs("cites", m.Citation, "citing_id", "cited_id", "documents", "citations"),
        ),
    ),
    Section(
        "sources",
        m.Source,
        "source",
        (
            Field("id", ID),
            Field("kind", CHOICE, new=True, choices=m.SourceKind),
            Field("description", OPT_TEXT),
            Field("count", COUNT),
            Field("reason", OPT_TEXT),
            _ref("granted_by", "documents"),
            Field("name", OPT_TEXT),
            Field("title", OPT_TEXT),
            _ref("affiliation", "agencies"),
            _ref("agency", "agencies"),
            _ref("outlet", "outlets"),
            _ref("document", "documents"),
            Field("confidential_notes", CONFIDENTIAL, limit=TEXT_LIMITS["confidential_notes"]),
        ),
    ),
    Section(
        "claims",
        m.Claim,
        "claim",
        (
            Field("id", ID),
            Field("kind", CHOICE, new=True, choices=m.ClaimKind),
            Field("text", TEXT, new=True, limit=TEXT_LIMITS["claim text"]),
            _refs("agencies", m.ClaimAgency, "claim_id", "agency_id", "agencies", "claim_agencies", new=True),
            Field("made", DATE),
            Field("status", CHOICE, new=True, choices=m.ClaimStatus),
            # Extension: the claim this one answers (a denial, a dispute). Left out: the stored link stays.
            _ref("answers", "claims"),
            Nested(
                "attributions",
                m.Attribution,
                "claim_id",
                (
                    _ref("document", "documents", new=True),
                    _refs("via", m.AttributionHop, "attribution_id", "document_id", "documents", "hops"),
                    _ref("origin", "sources", new=True),
                    Field("stance", CHOICE, new=True, choices=m.Stance),
                    Field("quote", OPT_TEXT, limit=TEXT_LIMITS["quote"]),
                    Field("locator", OPT_TEXT),
                ),
                "attributions",
                new=True,
                item="AttributionItem",
            ),
        ),
    ),
    Section(
        "roles",
        m.ReportedRole,
        "role",
        (
            Field("id", ID),
            _ref("agency", "agencies", new=True),
            _ref("partner", "agencies"),
            Field("summary", TEXT, new=True, limit=TEXT_LIMITS["summary"]),
            Field("category", SLUG, new=True),
            Field("status", CHOICE, new=True, choices=m.RoleStatus),
            Field("first_reported", DATE),
            Field("mission_fit", CHOICE, new=True, choices=m.MissionFit),
            Field("rationale", OPT_TEXT),
            _refs("claims", m.RoleClaim, "role_id", "claim_id", "claims", "role_claims", new=True),
        ),
    ),
    Section(
        "data_systems",
        m.DataSystem,
        "data system",
        (
            Field("id", ID),
            _ref("agency", "agencies", new=True),
            Field("name", TEXT, new=True),
            Field("description", OPT_TEXT, limit=TEXT_LIMITS["description"]),
        ),
    ),
    Section(
        "data_access",
        m.DataAccess,
        "data access entry",
        (
            _ref("system", "data_systems"),
            _ref("seeker", "agencies"),
            Field("status", CHOICE, new=True, choices=m.AccessStatus),
            _refs("claims", m.DataAccessClaim, "access_id", "claim_id", "claims", "access_claims", new=True),
        ),
        key=("system", "seeker"),
    ),
    Section(
        "figures",
        m.Figure,
        "figure",
        (
            Field("id", ID),
            _ref("claim", "claims", new=True),
            Field("metric", SLUG, new=True),
            Field("value", NUMBER, new=True),
            Field("unit", TEXT, new=True),
            Field("period_start", REQUIRED_DATE, new=True),
            Field("period_end", REQUIRED_DATE, new=True),
            Field("geography", OPT_TEXT),
            Field("basis", OPT_TEXT),
        ),
    ),
    Section(
        "comment_requests",
        m.CommentRequest,
        "comment request",
        (
            _ref("document", "documents"),
            _ref("agency", "agencies"),
            Field("requested", DATE),
            Field("response", CHOICE, new=True, choices=m.CommentResponse),
            Field("response_text", OPT_TEXT, limit=TEXT_LIMITS["response_text"]),
        ),
        key=("document", "agency"),
    ),
)

BY_NAME: dict[str, Section] = {section.name: section for section in SECTIONS_DESCRIBED}


def stored_lists() -> dict[str, tuple[Section, Nested]]:
    """Every nested list an entry may give, by its store name, with the section that holds it."""
    return {n.store: (section, n) for section in SECTIONS_DESCRIBED for n in section.nested}


def every_list() -> tuple[Nested, ...]:
    """Every nested list, those inside another's entries included."""
    return tuple(x for _section, n in stored_lists().values() for x in (n, *n.inner))
