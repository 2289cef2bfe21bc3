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

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

YEAR, MONTH, DAY = "year", "month", "day"
_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


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
        if self.day is not None:
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
        year, month, day = (int(g) if g else None for g in match.groups())
        return cls(year, month, day)

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


def partial_date_or_none(value) -> PartialDate | None:
    if value in (None, ""):
        return None
    return PartialDate.parse(value)


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


class PartialDateField(models.CharField):
    """A year, month or day, stored as its ISO prefix."""

    description = "A date with the precision it was reported with"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("help_text", "YYYY, YYYY-MM or YYYY-MM-DD: no more precise than reported.")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return None
        return PartialDate.parse(value)

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return PartialDate.parse(value)
        except PartialDateError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def get_prep_value(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, PartialDate):
            return value.isoformat()
        if isinstance(value, str):
            return value  # lookups such as __gte take ISO prefixes as they are
        return PartialDate.parse(value).isoformat()

    def run_validators(self, value):
        super().run_validators(value.isoformat() if isinstance(value, PartialDate) else value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else value.isoformat()

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", PartialDateFormField)
        return super().formfield(**kwargs)
