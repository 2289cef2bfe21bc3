"""The dossier's shape (docs/dossier-format.md, version 1) as pydantic models, built from the
section descriptions (sections.py): each field's kind gives its type.

Structure only: types, enumerations, ids, dates, URLs, lengths, how many items.
Whether an id points at something is the importer's business: it knows the
database. So is whether a field the format calls required may be left out: an
entity the database already holds may name only what changes, a new one must
give them all (NEW_REQUIRES). Unknown fields are errors (`extra="forbid"`): a
typo must never drop data. Strict types: YAML's `yes` (a bool) is not a name,
`1.0` is not a count.
"""

import decimal
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    create_model,
)
from pydantic import ValidationError as PydanticValidationError

from agencies.core.dates import PartialDate, PartialDateError

from . import sections
from .errors import DossierError, Errors, at, show
from .sections import SECTIONS_DESCRIBED
from .sections import TEXT_LIMITS as TEXT_LIMITS  # re-exported: the bounds a file must keep to

FORMAT = "oversight-dossier/1"

# Bounds on what one dossier may hold (the file's size and its values are bounded by loading.py).
MAX_ITEMS = 50_000  # items in one section
MAX_LIST = 1_000  # entries in one nested list (missions, attributions, via, cites, authors, ...)
# Sections in the order of the format page: exports follow it, errors are sorted by it.
SECTIONS = tuple(section.name for section in SECTIONS_DESCRIBED)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_DECIMAL_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?\Z")
_FOUR_PLACES = decimal.Decimal("0.0001")


# --- scalar validators ---------------------------------------------------------------------------


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains characters that cannot be written as UTF-8") from None
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _check_id(value: str) -> str:
    if len(value) > 100 or not ID_PATTERN.match(value):
        raise ValueError(
            f"{show(value)} is not a valid id: use a-z, 0-9 and hyphens (at most 100), "
            "starting with a letter or digit"
        )
    return value


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"{show(value)} is not a slug: use letters, digits, '_' and '-'")
    return value


_url_validator = URLValidator()


def _check_url(value: str) -> str:
    if value == "":
        return value
    try:
        _url_validator(value)
    except DjangoValidationError:
        raise ValueError(f"{show(value)} is not a valid URL") from None
    return value


def _none_to_list(value):
    return [] if value is None else value


def _date(value) -> PartialDate | None:
    if value is None:
        return None
    try:
        return PartialDate.parse(value)
    except PartialDateError as exc:
        raise ValueError(str(exc)) from None


def _required_date(value) -> PartialDate:
    if value is None:
        raise ValueError("a date is required: YYYY, YYYY-MM or YYYY-MM-DD")
    return _date(value)


def _number(value) -> decimal.Decimal:
    """A figure's value: an int, a float or a decimal string; stored exactly as a Decimal."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {show(value)}")
    if isinstance(value, int):
        number = decimal.Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {show(value)}")
        number = decimal.Decimal(repr(value))
    elif isinstance(value, str) and _DECIMAL_TEXT.match(value.strip()):
        number = decimal.Decimal(value.strip())
    else:
        raise ValueError(f"expected a number, got {show(value)}")
    if abs(number) >= 10**16:
        raise ValueError(f"{show(value)} is too large: at most 16 digits before the decimal point")
    if number != number.quantize(_FOUR_PLACES):
        raise ValueError(f"{show(value)} has more than 4 decimal places")
    # Beyond 15 significant digits some databases (SQLite) would round the value without a word.
    if len(number.normalize().as_tuple().digits) > 15:
        raise ValueError(f"{show(value)} has more than 15 significant digits")
    return number


# --- field types ---------------------------------------------------------------------------------


def Text(max_length: int | None = None):  # noqa: N802 (a type factory)
    """Required, non-blank text."""
    return Annotated[
        str, Field(max_length=max_length), AfterValidator(_clean_text), AfterValidator(_not_blank)
    ]


def OptText(max_length: int | None = None):  # noqa: N802
    return Annotated[str, Field(max_length=max_length), AfterValidator(_clean_text)] | None


def Url(max_length: int):  # noqa: N802
    return (
        Annotated[str, Field(max_length=max_length), AfterValidator(_clean_text), AfterValidator(_check_url)]
        | None
    )


def Choice(choices) -> Any:  # noqa: N802
    return Literal[tuple(choices.values)]


Id = Annotated[str, AfterValidator(_check_id)]
Ref = Annotated[str, AfterValidator(_check_id)]
Slug = Annotated[str, Field(max_length=60), AfterValidator(_check_slug)]
Date = Annotated[Any, PlainValidator(_date)]
RequiredDate = Annotated[Any, PlainValidator(_required_date)]
Number = Annotated[Any, PlainValidator(_number)]


def Items(item_type):  # noqa: N802
    """A list that may also be written as null (an empty list); at most MAX_LIST entries."""
    return Annotated[list[item_type], Field(max_length=MAX_LIST), BeforeValidator(_none_to_list)]


class _Missing:
    """The value of a field the format requires but the item left out (see NEW_REQUIRES)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __iter__(self):
        return iter(())


MISSING = _Missing()


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _type(f: sections.Field, model):
    """A field's type as its kind (sections.py) says, its length bounded by `limit` or the column."""
    limit = f.limit or (model._meta.get_field(f.attname).max_length if f.kind in _SIZED else None)
    if f.kind == sections.CONFIDENTIAL:
        return (
            Annotated[str, Field(max_length=limit), AfterValidator(_clean_text), AfterValidator(_not_blank)]
            | None
        )
    if f.kind == sections.TEXTS:
        return Items(Text(limit))
    if f.kind == sections.CHOICE:
        return Choice(f.choices)
    return _TYPES[f.kind](limit) if f.kind in _SIZED else _TYPES[f.kind]


_SIZED = (sections.TEXT, sections.OPT_TEXT, sections.URL)
_TYPES = {
    sections.ID: Id,
    sections.TEXT: Text,
    sections.OPT_TEXT: OptText,
    sections.URL: Url,
    sections.SLUG: Slug,
    sections.DATE: Date,
    sections.REQUIRED_DATE: RequiredDate,
    sections.NUMBER: Number,
    sections.COUNT: Annotated[int, Field(ge=1, le=2_000_000_000)] | None,
}


# The types of the entries of nested lists that are mappings, by name (Mission, AttributionItem).
NESTED_ITEMS: dict[str, type[_Item]] = {}


def _definition(f, model, *, required: bool):
    """A field's type and default. A field the format requires is MISSING when a section's entry
    leaves it out (see NEW_REQUIRES); keys, ids and what a nested entry requires must be there."""
    if isinstance(f, sections.Nested):
        kind = Items(Ref if f.refs else _item_type(f.item, f.entry, f.model, nested=True))
    elif f.kind == sections.REF:
        kind = Ref if required or f.new else Ref | None
    else:
        kind = _type(f, model)
    if required or isinstance(f, sections.Field) and f.kind == sections.ID:
        return kind, ...
    if f.new:
        return kind, MISSING
    if isinstance(f, sections.Nested) or f.kind == sections.TEXTS:
        return kind, Field(default_factory=list)
    return kind, None


def _item_type(name: str, fields, model, *, keys: tuple[str, ...] = (), nested: bool = False):
    definitions = {f.name: _definition(f, model, required=f.name in keys or nested and f.new) for f in fields}
    item = create_model(name, __base__=_Item, __module__=__name__, **definitions)
    if nested:
        NESTED_ITEMS[name] = item
    return item


SECTION_ITEMS: dict[str, type[_Item]] = {
    s.name: _item_type(
        s.kind.title().replace(" ", "") + "Item", s.fields, s.model, keys=s.key if s.keyed else ()
    )
    for s in SECTIONS_DESCRIBED
}
Mission = NESTED_ITEMS["Mission"]
AttributionItem = NESTED_ITEMS["AttributionItem"]

# What a new entity must give; one the database already holds may leave these out (kept as stored).
NEW_REQUIRES: dict[str, tuple[str, ...]] = {
    section: tuple(name for name, f in model.model_fields.items() if f.default is MISSING)
    for section, model in SECTION_ITEMS.items()
}

_FIELD_NAMES = sorted(
    {name for model in (*SECTION_ITEMS.values(), Mission, AttributionItem) for name in model.model_fields}
)

# Never echo these inputs into an error: error messages end up in logs and terminals.
_SECRET_FIELDS = {"confidential_notes"}

_RANKS = {section: n for n, section in enumerate(SECTIONS)}


def file_order(path: tuple) -> tuple[int, int]:
    """Where a path is in the file, as errors are listed: by section (in page order), then item."""
    if not path:
        return (-1, -1)
    index = path[1] if len(path) > 1 and isinstance(path[1], int) and not isinstance(path[1], bool) else -1
    return (_RANKS.get(path[0], -1), index)


@dataclass
class Structure:
    """A dossier whose shape was checked: the valid items, the errors, and the ids of invalid items."""

    items: dict[str, list[tuple[int, _Item]]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    errors: Errors = field(default_factory=lambda: Errors(order=file_order))
    # Ids of items that failed validation: references to them are not reported as unknown too.
    invalid_ids: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in SECTIONS})

    def error(self, path: tuple, message: str) -> None:
        self.errors.add(path, at(path, message))


def _suggest(name, candidates) -> str:
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


_PLAIN_MESSAGES = {
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "list_type": "expected a list",
}


def _translate(error: dict, prefix: tuple) -> tuple[tuple, str]:
    loc = prefix + tuple(error["loc"])
    kind = error["type"]
    secret = any(part in _SECRET_FIELDS for part in loc)
    value = error.get("input")
    if kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field" + _suggest(loc[-1], _FIELD_NAMES)
    elif kind == "invalid_key":
        loc = loc[:-1]
        message = f"keys must be text, got {show(value)}"
    elif kind == "value_error":
        message = error["msg"].removeprefix("Value error, ")
    elif kind == "too_long" and isinstance(value, list | tuple):
        message = f"{len(value):,} entries: at most {MAX_LIST:,} are allowed"
    elif kind == "string_too_long" and isinstance(value, str):
        limit = (error.get("ctx") or {}).get("max_length")
        if limit is None:
            limit = error["msg"].rsplit(" ", 2)[-2]
        message = f"{len(value):,} characters: at most {limit} are allowed"
    elif value is None and len(loc) == 3 and loc[-1] in NEW_REQUIRES.get(loc[0], ()):
        message = "must not be null: every entry has one (leave the field out to keep the stored value)"
    else:
        message = _PLAIN_MESSAGES.get(kind) or error["msg"].replace("Input should be ", "expected ", 1)
        if not secret:
            message += f", got {show(value)}"
            if isinstance(value, bool) and kind == "string_type":
                message += " (YAML reads yes/no/on/off as true/false: quote the text)"
    return loc, at(loc, message)


def check_structure(data) -> Structure:
    """Check the shape of a loaded dossier. Raises DossierError only when nothing else can be checked.

    A section of more than MAX_ITEMS items is refused whole, before any of its items is looked at.
    """
    if not isinstance(data, dict):
        raise DossierError([f"(top level): expected a mapping with 'format: {FORMAT}', got {show(data)}"])
    if "format" not in data:
        raise DossierError([f"format: required field is missing: expected {FORMAT!r}"])
    if not isinstance(data["format"], str) or data["format"] != FORMAT:
        raise DossierError([f"format: expected {FORMAT!r}, got {show(data['format'])}"])

    oversized = [
        at((section,), f"{len(raw):,} items: at most {MAX_ITEMS:,} are allowed in a section: refused")
        for section, raw in data.items()
        if section in SECTION_ITEMS and isinstance(raw, list) and len(raw) > MAX_ITEMS
    ]
    if oversized:
        raise DossierError(oversized)
    structure = Structure()
    for key in data:
        if key != "format" and key not in SECTION_ITEMS:
            structure.error((key,), "unknown section" + _suggest(key, SECTIONS))
    for section, model in SECTION_ITEMS.items():
        raw = data.get(section)
        if raw is None:
            continue
        if not isinstance(raw, list):
            structure.error((section,), f"expected a list, got {show(raw)}")
            continue
        for index, item in enumerate(raw):
            try:
                structure.items[section].append((index, model.model_validate(item)))
            except PydanticValidationError as exc:
                for error in exc.errors(include_url=False, include_context=True):
                    loc, message = _translate(error, (section, index))
                    structure.errors.add(loc, message)
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    structure.invalid_ids[section].add(item["id"])
    return structure
