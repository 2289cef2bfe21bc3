"""Figures: a number the article asserts, with its unit, metric and period.

Not figures: dates, years, durations ("100 days", "250 years"), a value the text rejects ("not
75,000"), counts of people written as words ("two people"). A figure without a period of its own
takes the one of the figure it is compared with ("less than half the figure provided by Homan"),
and says so in a question.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass

from agencies.core.dates import PartialDate

from .article import Sentence
from .periods import Context, DateMention, Period, find_dates, find_periods, same_period

NUMBER = re.compile(
    r"(?<![\w.,/-])(?P<dollar>\$)?(?P<number>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s+(?P<scale>million|billion|thousand))?(?P<percent>\s*(?:%|percent\b|per\s+cent\b))?(?![\w/])"
)
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_DURATION = re.compile(r"\s+(?:days?|weeks?|months?|years?|hours?|minutes?|decades?|centuries)\b")
_BOUND = re.compile(
    r"\b(?P<bound>more\s+than|over|at\s+least|nearly|almost|about|roughly|around|some|approximately|fewer\s+than|less\s+than|up\s+to)\s+$"
)
_UNIT_STOP = {
    "in",
    "of",
    "between",
    "since",
    "from",
    "to",
    "that",
    "who",
    "have",
    "has",
    "were",
    "was",
    "is",
    "are",
    "per",
    "and",
    "or",
    "the",
    "a",
    "an",
    "for",
    "by",
    "with",
    "on",
    "at",
    "during",
    "this",
    "last",
    "tied",
    "involved",
    "counts",
    "had",
    "not",
    "less",
    "than",
}
_PEOPLE = {
    "people",
    "persons",
    "individuals",
    "immigrants",
    "migrants",
    "aliens",
    "noncitizens",
    "illegal",
    "deportees",
}
_COMPARED = re.compile(
    r"\b(?:the\s+figure|that\s+figure|his\s+figure|her\s+figure|the\s+number|less\s+than\s+half|more\s+than\s+double|"
    r"twice|compared\s+with|up\s+from|down\s+from|below\s+the|above\s+the|same\s+period)\b"
)


@dataclass
class FigureFound:
    value: decimal.Decimal
    unit: str
    metric: str
    sentence: Sentence
    span: tuple[int, int]
    period: Period | None
    bound: str | None
    question: str | None = None


def _unit(text: str, end: int) -> str:
    words = []
    for match in re.finditer(r"[A-Za-z][A-Za-z-]*", text[end : end + 60]):
        if text[end : end + match.start()].strip(" ") and words:
            break
        word = match.group(0)
        if (
            word.lower() in _UNIT_STOP
            or (word.endswith("ed") and words)
            or word[0].isupper()
            and word not in ("ICE",)
        ):
            break
        words.append(word.lower())
        if len(words) == 2:
            break
        if not re.match(r"\s+[a-z]", text[end + match.end() : end + match.end() + 2]):
            break
    if words and words[0] in _PEOPLE:
        return "people"
    return " ".join(words)


def _metric(unit: str, sentence_text: str) -> str:
    lowered = sentence_text.lower()
    if unit == "percent":
        return "share"
    if "deport" in lowered and unit in ("people", "", "deportations"):
        return "deportations"
    if unit in ("people", "") and re.search(r"\bremov", lowered):
        return "removals"
    for word in ("removal", "arrest", "deportation", "detention", "request", "cover", "return"):
        if word in unit:
            return re.sub(r"[^a-z0-9]+", "-", unit).strip("-")
    return re.sub(r"[^a-z0-9]+", "-", unit).strip("-") or "count"


def find_figures(
    text: str,
    sentence: Sentence,
    dates: list[DateMention],
    context: Context,
    said_on: PartialDate | None,
    previous: list[FigureFound],
) -> list[FigureFound]:
    out: list[FigureFound] = []
    periods = find_periods(text, sentence.start, sentence.end, context, said_on=said_on)
    for match in NUMBER.finditer(text, sentence.start, sentence.end):
        start, end = match.span()
        if any(d.start <= start < d.end for d in dates) or any(
            p.span[0] <= start < p.span[1] for p in periods
        ):
            continue
        raw = match.group("number").replace(",", "")
        if (
            re.fullmatch(r"(?:19|20)\d{2}", match.group("number"))  # "2025", not "2,000"
            and not match.group("percent")
            or _DURATION.match(text, end)
            or re.search(
                r"(?:\bnot|No\.|Section|\(D-|\bQ|\bfirst|\blast|\bpast|#)\s*$",
                text[max(0, start - 9) : start],
            )
            # a road's number: "Interstate 35", "I-35", "Highway 59", "Route 66"
            or re.search(
                r"(?:\bInterstate|\bI-|\bHighway|\bRoute|\bUS-|\bSR-)\s*$", text[max(0, start - 11) : start]
            )
            or re.match(r"(?:st|nd|rd|th)\b|:\d", text[end : end + 3])
        ):
            continue
        value = decimal.Decimal(raw)
        if match.group("scale"):
            value *= _SCALES[match.group("scale")]
        if value == value.to_integral_value():
            value = value.quantize(decimal.Decimal(1))
        if match.group("percent"):
            unit = "percent"
        elif match.group("dollar"):
            unit = "dollars"
        else:
            unit = _unit(text, end)
        if not unit and re.search(r"\bdeport", text[sentence.start : sentence.end]):
            unit = "people"
        if not unit and value < 10 and "." not in raw:
            continue  # "3" alone is more often a list or a rank than a figure
        bound_match = _BOUND.search(text[max(sentence.start, start - 20) : start])
        bound = " ".join(bound_match.group("bound").split()) if bound_match else None
        before = text[max(sentence.start, start - 40) : start].lower()
        if "monthly average" in before or "a month" in text[end : end + 30]:
            unit = f"{unit or 'people'} per month"
        period, question = _period_for(text, sentence, start, end, periods, previous + out, context)
        if bound in ("more than", "over", "at least", "fewer than", "less than", "up to"):
            note = f"The text says “{bound} {match.group(0).strip()}”: the value is a bound."
            question = f"{question} {note}" if question else note
        out.append(
            FigureFound(
                value,
                unit or "units",
                _metric(unit, text[sentence.start : sentence.end]),
                sentence,
                (start, end),
                period,
                bound,
                question,
            )
        )
    return out


def _period_for(
    text: str,
    sentence: Sentence,
    start: int,
    end: int,
    periods: list[Period],
    previous: list[FigureFound],
    context: Context,
):
    if periods:
        # The period nearest the number, after it first ("37,660 people in its first month").
        after = [p for p in periods if p.span[0] >= end]
        before = [p for p in periods if p.span[1] <= start]
        chosen = (
            after[0]
            if after and (not before or after[0].span[0] - end <= start - before[-1].span[1] + 40)
            else before[-1]
            if before
            else periods[0]
        )
        return chosen, chosen.question
    same = same_period(text, sentence.start, sentence.end)
    compared = _COMPARED.search(text, sentence.start, sentence.end)
    if previous and (same or compared):
        earlier = next((f for f in reversed(previous) if f.period is not None), None)
        if earlier is not None:
            return (
                earlier.period,
                "The text gives no period for this figure: taken from the figure it is compared with.",
            )
    days = [d for d in find_dates(text, sentence.start, sentence.end, context) if d.date.day is not None]
    if days:
        # "in the budget law signed on July 4": the figure is as of the day the sentence names.
        point = days[0]
        return (
            Period(point.date, point.date, (point.start, point.end), text[point.start : point.end]),
            "The text gives no period for this figure: taken as of the day the sentence names.",
        )
    return None, "The text gives no period for this figure."
