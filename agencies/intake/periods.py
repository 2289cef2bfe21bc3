"""Dates and periods as articles write them, resolved to partial dates that keep their precision.

"April 28" (day), "in March" (month), "in the first quarter of 2026", "in all of fiscal 2024",
"between February and April", "since the inauguration on Jan. 20", "in its first month in office",
"during Biden's final year". A date without a year takes the year of the reference date (the
article's), or the year before when that would put it after the article.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from agencies.core.dates import PartialDate

MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
MONTHS["sept"] = 9
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
DATE = (
    rf"(?:(?P<m1>{_MONTH})(?:\s+(?P<d1>{_DAY})\b)?(?:,?\s+(?P<y1>{_YEAR}))?(?![\w])"
    rf"|(?P<d2>{_DAY})\s+(?P<m2>{_MONTH})(?:,?\s+(?P<y2>{_YEAR}))?(?![\w])"
    rf"|(?P<iso>{_YEAR}-[01]\d(?:-[0-3]\d)?)"
    rf"|(?P<us>[01]?\d/[0-3]?\d/{_YEAR}))"
)
_DATE_RE = re.compile(DATE)
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_WEEKDAY = re.compile(r"\b(?:on\s+)?(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_RELATIVE = re.compile(r"\b(this|last|earlier this|next)\s+(month|year)\b")
_TODAY = re.compile(r"\btoday\b")


@dataclass(frozen=True)
class Administration:
    president: str
    surname: str
    start: dt.date
    end: dt.date | None  # the day the next one began


ADMINISTRATIONS = (
    Administration("Barack Obama", "Obama", dt.date(2009, 1, 20), dt.date(2017, 1, 20)),
    Administration("Donald Trump", "Trump", dt.date(2017, 1, 20), dt.date(2021, 1, 20)),
    Administration("Joe Biden", "Biden", dt.date(2021, 1, 20), dt.date(2025, 1, 20)),
    Administration("Donald Trump", "Trump", dt.date(2025, 1, 20), None),
)


def administration_at(day: dt.date) -> Administration:
    for administration in reversed(ADMINISTRATIONS):
        if administration.start <= day:
            return administration
    return ADMINISTRATIONS[0]


def administration_of(surname: str, before: dt.date) -> Administration | None:
    """The latest administration of that president that began before `before`."""
    found = [a for a in ADMINISTRATIONS if a.surname.lower() == surname.lower() and a.start <= before]
    return found[-1] if found else None


def day(value: dt.date) -> PartialDate:
    return PartialDate(value.year, value.month, value.day)


def add_months(value: dt.date, months: int) -> dt.date:
    month = value.month - 1 + months
    year, month = value.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(value.day, calendar.monthrange(year, month)[1]))


@dataclass
class Context:
    """What dates are read against: the article's date, or a fallback day when it has none."""

    reference: dt.date
    known: bool  # False: the reference is a guess, and the draft says so

    def year_for(self, month: int, day_: int | None) -> int:
        year = self.reference.year
        try:
            candidate = dt.date(year, month, day_ or 1)
        except ValueError:
            return year
        return year - 1 if candidate > self.reference + dt.timedelta(days=7) else year


def _date_from(match: re.Match, context: Context | None) -> PartialDate | None:
    groups = match.groupdict()
    try:
        if groups.get("iso"):
            return PartialDate.parse(groups["iso"])
        if groups.get("us"):
            month, day_, year = (int(p) for p in groups["us"].split("/"))
            return PartialDate(year, month, day_)
        month_text = groups.get("m1") or groups.get("m2")
        day_text = groups.get("d1") or groups.get("d2")
        year_text = groups.get("y1") or groups.get("y2")
        month = MONTHS[month_text.rstrip(".").lower()[: 4 if month_text.lower().startswith("sept") else 3]]
        day_ = int(re.sub(r"\D", "", day_text)) if day_text else None
        if year_text:
            year = int(year_text)
        elif context is not None:
            year = context.year_for(month, day_)
        else:
            return None
        return PartialDate(year, month, day_)
    except (ValueError, KeyError):
        return None


def parse_date(text: str, *, loose: bool = False, context: Context | None = None) -> PartialDate | None:
    """A date written out ("May 20, 2025", "20 May 2025", "2025-05", "May 2025"); `loose` allows
    a time or a time zone after it ("May 20, 2025 4:12 PM EDT"). A year alone is a year."""
    text = text.strip()
    if re.fullmatch(_YEAR, text):
        return PartialDate(int(text))
    text = re.sub(r"^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+", "", text)
    match = _DATE_RE.match(text)
    if not match:
        return None
    rest = text[match.end() :].strip(" ,")
    if rest and not (
        loose and re.fullmatch(r"(?:at\s+)?[\d:]+\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,4})?", rest, re.I)
    ):
        return None
    has_year = match.group("y1") or match.group("y2") or match.group("iso") or match.group("us")
    if not has_year and context is None:
        return None
    return _date_from(match, context)


@dataclass(frozen=True)
class DateMention:
    date: PartialDate
    start: int
    end: int


def find_dates(text: str, start: int, end: int, context: Context) -> list[DateMention]:
    """Dates written in text[start:end], with their spans; weekdays ("on Tuesday") and relative
    months ("this month", "last year") resolved against the context."""
    out = []
    for match in _DATE_RE.finditer(text, start, end):
        if match.group("m1") and match.group("m1") == "May" and not (match.group("d1") or match.group("y1")):
            before = text[max(start, match.start() - 4) : match.start()]
            if not re.search(r"\b(?:in|of|since|early|late|mid-)\s*$", before):
                continue  # "May" the verb, not the month
        value = _date_from(match, context)
        if value is not None:
            out.append(DateMention(value, match.start(), match.end()))
    ref = context.reference
    for match in _WEEKDAY.finditer(text, start, end):
        back = (ref.weekday() - _WEEKDAYS[match.group("weekday").lower()]) % 7
        out.append(DateMention(day(ref - dt.timedelta(days=back)), match.start(), match.end()))
    for match in _RELATIVE.finditer(text, start, end):
        which, unit = match.group(1), match.group(2)
        if unit == "month":
            shifted = add_months(ref.replace(day=1), -1 if which == "last" else 0)
            value = PartialDate(shifted.year, shifted.month)
        else:
            value = PartialDate(ref.year - (1 if which == "last" else 0))
        out.append(DateMention(value, match.start(), match.end()))
    for match in _TODAY.finditer(text, start, end):
        if context.known:
            out.append(DateMention(day(ref), match.start(), match.end()))
    return sorted(out, key=lambda d: d.start)


@dataclass(frozen=True)
class Period:
    start: PartialDate
    end: PartialDate
    span: tuple[int, int]
    how: str  # what the text said, for the researcher
    question: str | None = None


_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_QUARTER = re.compile(
    rf"\b(?:the\s+)?(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\s+of\s+(?:fiscal\s+)?({_YEAR})"
)
_FISCAL = re.compile(rf"\bfiscal(?:\s+year)?\s+({_YEAR})\b|\bFY\s?({_YEAR}|\d{{2}})\b")
_A_DATE, _B_DATE, _I_DATE = (DATE.replace("?P<", f"?P<{p}_") for p in ("a", "b", "i"))
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+(?P<a>{_A_DATE}|{_YEAR})\s+(?:and|through|to|until|till|-|–)\s+"
    rf"(?P<b>{_B_DATE}|{_YEAR})"
)
_SINCE = re.compile(
    rf"\bsince\s+(?:(?P<date>{DATE})"
    r"|(?:the\s+|his\s+|her\s+|(?:the\s+)?(?:president|administration)['’]s\s+)?(?P<inauguration>inauguration)"
    rf"(?:\s+on\s+(?P<idate>{_I_DATE}))?"
    r"|(?P<took>(?:he|she|the president|Trump|Biden)\s+took\s+office))"
)
_FIRST = re.compile(
    r"\b(?:its|his|her|their|the(?:\s+\w+)?(?:['’]s)?|(?:the\s+)?(?:administration|president)['’]s)\s+first\s+"
    r"(?:(?P<n>\d+)\s+(?P<unit>days|weeks|months)|(?P<one>month|week|year|hundred days))"
    r"(?:\s+(?:in|of)\s+(?:office|the\s+administration))?"
)
_FINAL_YEAR = re.compile(
    r"\b(?P<who>[A-Z][a-z]+)['’]s\s+(?:final|last)\s+year\b|\bthe\s+(?:previous|last)\s+administration['’]s\s+(?:final|last)\s+year\b"
)
_IN_YEAR = re.compile(rf"\bin\s+(?:all\s+of\s+|calendar\s+(?:year\s+)?)?({_YEAR})\b")
_IN_MONTH = re.compile(rf"\b(?:in|during|for)\s+(?P<date>(?:{_MONTH})(?:\s+{_YEAR})?)\b")
# "in the last two weeks of May", "during the first 10 days of March 2025", "the second half of April"
_PART_OF_MONTH = re.compile(
    r"\b(?:[Ii]n|[Dd]uring|[Oo]ver|[Ff]or)\s+the\s+(?P<which>first|last|final|second)\s+"
    r"(?:(?P<n>\d{1,2}|one|two|three|four|ten)\s+)?(?P<unit>weeks?|days?|half)\s+of\s+"
    rf"(?P<date>(?:{_MONTH})(?:\s+{_YEAR})?)\b"
)
_SMALL = {"one": 1, "two": 2, "three": 3, "four": 4, "ten": 10}
_SAME = re.compile(r"\b(?:over|in|during|for)\s+the\s+same\s+(?:period|time|months|quarter)\b")


def _date_in(match: re.Match, prefix: str, context: Context) -> PartialDate | None:
    groups = {k[len(prefix) :]: v for k, v in match.groupdict().items() if k.startswith(prefix)}

    class _Groups:
        def groupdict(self):
            return groups

        def group(self, name):
            return groups.get(name)

    return _date_from(_Groups(), context)


@dataclass(frozen=True)
class _Reading:
    """What each period is read against: the article's dates, and the question a guessed year asks."""

    context: Context
    said_on: PartialDate | None
    up_to: PartialDate  # when the statement was made, else the reference date
    guess: str | None


def find_periods(
    text: str, start: int, end: int, context: Context, *, said_on: PartialDate | None
) -> list[Period]:
    """Every period written in text[start:end]. `said_on`: when the statement was made (for
    "since ..." periods, which run up to it), else the reference date."""
    guess = None if context.known else "the article gives no date: the year is a guess"
    reading = _Reading(context, said_on, said_on or day(context.reference), guess)
    out: list[Period] = []
    segment = text[:end]
    for pattern, read, outside_others in _READERS:
        for match in pattern.finditer(segment, start):
            if outside_others and any(p.span[0] <= match.start() < p.span[1] for p in out):
                continue
            period = read(match, reading)
            if period is not None:
                out.append(period)
    return sorted(out, key=lambda p: p.span)


def _quarter(match: re.Match, reading: _Reading) -> Period:
    quarter, year = _ORDINAL[match.group(1).lower()], int(match.group(2))
    first = dt.date(year, 3 * quarter - 2, 1)
    last = add_months(first, 3) - dt.timedelta(days=1)
    return Period(day(first), day(last), match.span(), match.group(0))


def _fiscal_year(match: re.Match, reading: _Reading) -> Period:
    year = int(match.group(1) or match.group(2))
    year = year + 2000 if year < 100 else year
    return Period(day(dt.date(year - 1, 10, 1)), day(dt.date(year, 9, 30)), match.span(), match.group(0))


def _between(match: re.Match, reading: _Reading) -> Period | None:
    context = reading.context
    a = (
        _date_in(match, "a_", context)
        if not re.fullmatch(_YEAR, match.group("a"))
        else PartialDate(int(match.group("a")))
    )
    b = (
        _date_in(match, "b_", context)
        if not re.fullmatch(_YEAR, match.group("b"))
        else PartialDate(int(match.group("b")))
    )
    if a is None or b is None:
        return None
    if not (match.group("a_y1") or match.group("a_y2")) and (match.group("b_y1") or match.group("b_y2")):
        a = _with_year(a, b.year if (a.month or 0) <= (b.month or 12) else b.year - 1)
    if b.end < a.start:
        return None
    guess = reading.guess if not re.search(_YEAR, match.group(0)) else None
    return Period(a, b, match.span(), match.group(0), guess)


def _since(match: re.Match, reading: _Reading) -> Period | None:
    context = reading.context
    if match.group("date"):
        begin = _date_from(match, context)
    else:
        # The inauguration is a known day: the current administration's first.
        begin = day(administration_at(context.reference).start)
        written = _date_in(match, "i_", context) if match.group("idate") else None
        if written is not None and (written.month, written.day) != (begin.month, begin.day):
            begin = written
    if begin is None or reading.up_to.end < begin.start:
        return None
    question = None if reading.said_on else "runs to the article's date: check when the figure was given"
    return Period(begin, reading.up_to, match.span(), match.group(0), question or reading.guess)


def _first_of_administration(match: re.Match, reading: _Reading) -> Period:
    first = administration_at(reading.context.reference).start
    if match.group("n"):
        n, unit = int(match.group("n")), match.group("unit")
    else:
        n, unit = {
            "month": (1, "months"),
            "week": (1, "weeks"),
            "year": (1, "years"),
            "hundred days": (100, "days"),
        }[match.group("one")]
    if unit == "days":
        last = first + dt.timedelta(days=n - 1)
    elif unit == "weeks":
        last = first + dt.timedelta(days=7 * n - 1)
    elif unit == "months":
        last = add_months(first, n) - dt.timedelta(days=1)
    else:
        last = add_months(first, 12 * n) - dt.timedelta(days=1)
    return Period(day(first), day(last), match.span(), match.group(0), reading.guess)


def _final_year(match: re.Match, reading: _Reading) -> Period | None:
    who = match.group("who")
    current = administration_at(reading.context.reference)
    administration = administration_of(who, current.start) if who else None
    if administration is None:
        earlier = [a for a in ADMINISTRATIONS if a.end == current.start]
        administration = earlier[0] if earlier and not who else None
    if administration is None or administration.end is None:
        return None
    last = administration.end - dt.timedelta(days=1)
    first = add_months(administration.end, -12)
    return Period(day(first), day(last), match.span(), match.group(0))


def _in_year(match: re.Match, reading: _Reading) -> Period:
    year = PartialDate(int(match.group(1)))
    return Period(year, year, match.span(), match.group(0))


def _part_of_month(match: re.Match, reading: _Reading) -> Period | None:
    month = parse_date(match.group("date"), context=reading.context)
    if month is None or month.month is None:
        return None
    first = dt.date(month.year, month.month, 1)
    last = add_months(first, 1) - dt.timedelta(days=1)
    n = match.group("n")
    n = int(n) if n and n.isdigit() else _SMALL.get(n or "", 1)
    unit = match.group("unit")
    days = (last.day + 1) // 2 if unit == "half" else n * (7 if unit.startswith("week") else 1)
    days = min(days, last.day)
    if match.group("which") == "first" or (unit == "half" and match.group("which") == "first"):
        a, b = first, first + dt.timedelta(days=days - 1)
    else:
        a, b = last - dt.timedelta(days=days - 1), last
    return Period(day(a), day(b), match.span(), match.group(0), reading.guess)


def _in_month(match: re.Match, reading: _Reading) -> Period | None:
    value = parse_date(match.group("date"), context=reading.context)
    return None if value is None else Period(value, value, match.span(), match.group(0), reading.guess)


# Each pattern with its reader, in this order; a year or a month alone is read only outside the
# periods found before it, of which it is then a part.
_READERS = (
    (_QUARTER, _quarter, False),
    (_FISCAL, _fiscal_year, False),
    (_BETWEEN, _between, False),
    (_SINCE, _since, False),
    (_FIRST, _first_of_administration, False),
    (_FINAL_YEAR, _final_year, False),
    (_IN_YEAR, _in_year, True),
    (_PART_OF_MONTH, _part_of_month, False),
    (_IN_MONTH, _in_month, True),
)


def same_period(text: str, start: int, end: int) -> re.Match | None:
    return _SAME.search(text, start, end)


def _with_year(value: PartialDate, year: int) -> PartialDate:
    try:
        return PartialDate(year, value.month, value.day)
    except ValueError:
        return value
