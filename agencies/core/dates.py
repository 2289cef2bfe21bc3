"""Dates that keep the precision they were reported with.

"early May 2025" is a month, not May 1st. A `PartialDate` is a year, a month or
a day; stored as its ISO prefix ("2025", "2025-05", "2025-05-12") so that the
text sorts chronologically and nothing more precise than reported is ever kept.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

YEAR, MONTH, DAY = "year", "month", "day"
_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

# The stored forms, real calendar days only (29 February in leap years), for the CHECK constraint on
# every partial-date column: PostgreSQL's `~` and Python's `re` (SQLite's REGEXP, which Django
# provides) read it alike. [0-9], not \d, which matches other scripts' digits in Python; \A and \Z,
# not ^ and $, which in Python also match before a trailing newline.
_YEAR = "([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH = "(0[1-9]|1[0-2])"
_MONTH_DAY = (
    "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
STORED_FORM = rf"\A({_YEAR}(-{_MONTH})?|{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)\Z"


class PartialDateError(ValueError):
    pass


@dataclass(frozen=True, order=False)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self):
        if not 1 <= self.year <= 9999:
            raise PartialDateError(f"year {self.year} is out of range")
        if self.month is None and self.day is not None:
            raise PartialDateError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise PartialDateError(f"month {self.month} does not exist")
        if self.day is not None and self.month is not None:  # a day without a month was refused above
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise PartialDateError(f"{self.year:04d}-{self.month:02d} has no day {self.day}")

    @classmethod
    def parse(cls, value) -> PartialDate:
        """Accept 'YYYY', 'YYYY-MM', 'YYYY-MM-DD', an int year or a date."""
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, bool):
            raise PartialDateError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
        if isinstance(value, dt.datetime):
            raise PartialDateError(f"expected a date, got a date and time {value.isoformat()!r}")
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int):
            if 1000 <= value <= 9999:
                return cls(value)
            raise PartialDateError(f"expected a four-digit year, got {value!r}")
        if not isinstance(value, str):
            raise PartialDateError(
                f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {type(value).__name__}"
            )
        match = _PATTERN.match(value.strip())
        if not match:
            raise PartialDateError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
        year, month, day = match.groups()
        return cls(int(year), int(month) if month else None, int(day) if day else None)

    @property
    def precision(self) -> str:
        if self.day is not None:
            return DAY
        return MONTH if self.month is not None else YEAR

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self) -> dt.date:
        if self.day is not None:
            return self.start
        if self.month is not None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, 12, 31)

    def isoformat(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
        if self.day is not None:
            parts.append(f"{self.day:02d}")
        return "-".join(parts)

    def display(self) -> str:
        """Human form that is no more precise than the record: '2025', 'May 2025', '28 Apr 2025'."""
        if self.month is None:
            return str(self.year)
        month = calendar.month_abbr[self.month] if self.day else calendar.month_name[self.month]
        if self.day is None:
            return f"{month} {self.year}"
        return f"{self.day} {month} {self.year}"

    def __str__(self) -> str:
        return self.isoformat()

    def __lt__(self, other: PartialDate) -> bool:
        return self.isoformat() < other.isoformat()


def overlap_lookups(field: str, after: dt.date | None = None, before: dt.date | None = None) -> models.Q:
    """Q for rows whose partial date may fall within [after, before].

    Stored text sorts chronologically, so a period starts at or before `before`
    when its text is <= before's ISO form, and ends at or after `after` when its
    text is >= after's, or when it is after's own month or year.
    """
    q = models.Q()
    if before is not None:
        q &= models.Q(**{f"{field}__lte": before.isoformat()})
    if after is not None:
        iso = after.isoformat()
        q &= models.Q(**{f"{field}__gte": iso}) | models.Q(**{field: iso[:7]}) | models.Q(**{field: iso[:4]})
    return q


class PartialDateFormField(forms.CharField):
    """'2025', '2025-05' or '2025-05-12' typed by a researcher, no more precise than they know."""

    def prepare_value(self, value):
        return value.isoformat() if isinstance(value, PartialDate) else value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return PartialDate.parse(value)
        except PartialDateError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def run_validators(self, value):
        super().run_validators(value.isoformat() if isinstance(value, PartialDate) else value)


def partial_date_checks(model: str, *fields: str) -> list[models.BaseConstraint]:
    """One CHECK constraint per partial-date column of `model`: only the stored forms get in.

    The field refuses anything else already; this also holds raw SQL, COPY and anything that
    bypasses the field, so that no row can be stored that every later read would fail on.
    """
    return [
        models.CheckConstraint(
            condition=models.Q(**{f"{field}__regex": STORED_FORM}),
            name=f"{model}_{field}_partial_date",
            violation_error_message=f"{field} must be YYYY, YYYY-MM or YYYY-MM-DD.",
        )
        for field in fields
    ]


if TYPE_CHECKING:
    # What the column takes and gives: django-stubs types a CharField as str both ways.
    _PartialDateColumn = models.CharField[PartialDate | str | None, PartialDate | None]
else:
    _PartialDateColumn = models.CharField


class PartialDateField(_PartialDateColumn):
    """A year, month or day, stored as its ISO prefix; anything else is refused before it is written."""

    description = "A date with the precision it was reported with"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("help_text", "YYYY, YYYY-MM or YYYY-MM-DD: no more precise than reported.")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        # Migrations name the frozen twin (agencies/migrations/_frozen.py), never this module, so
        # that changing this class can never break an old migration.
        return name, "agencies.migrations._frozen.PartialDateField", args, kwargs

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return None
        return PartialDate.parse(value)

    def _parse(self, value) -> PartialDate:
        try:
            return PartialDate.parse(value)
        except PartialDateError as exc:
            model = getattr(self, "model", None)
            place = f"{model.__name__}.{self.name}" if model is not None else self.name or "partial date"
            problem = str(exc) if repr(value) in str(exc) else f"{exc} (got {value!r})"
            raise ValidationError(f"{place}: {problem}", code="invalid") from exc

    def to_python(self, value):
        if value in (None, ""):
            return None
        return self._parse(value)

    def get_prep_value(self, value):
        # Every way in (save, update, bulk_create, lookups) passes here: only the ISO forms go on.
        if value in (None, ""):
            return None
        return self._parse(value).isoformat()

    def run_validators(self, value):
        super().run_validators(value.isoformat() if isinstance(value, PartialDate) else value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else value.isoformat()

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", PartialDateFormField)
        return super().formfield(**kwargs)
