"""Stated missions: what an agency says its job is, where the text quotes or describes it
("whose stated mission is "to conduct independent audits"", "The department's mission is to
safeguard ...", "whose usual duties—according to its own website—include investigating mail theft")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .names import Mention

_WHOSE = re.compile(
    r",?\s*whose\s+(?:stated\s+|official\s+|own\s+|usual\s+|formal\s+)?(?P<what>mission|duties|job|responsibilities|role)"
)
_POSSESSIVE = re.compile(r"['’]s\s+(?:stated\s+|official\s+|own\s+)?mission\s+(?:is|has\s+been)\s+")
_STATEMENT = re.compile(r"mission\s+statement\s+(?:says|states|reads)\s+(?:that\s+)?(?:it\s+exists\s+)?")
_DESCRIBES = re.compile(r"\bdescribes\s+its\s+mission\s+as\s+")
_QUOTED = re.compile(r"\s*(?:is\s+|as\s+)?[“\"](?P<q>[^”\"]+)[”\"]")


@dataclass
class MissionFound:
    agency: str
    text: str
    span: tuple[int, int]
    document_hint: str | None  # "website", "mission statement" or None (the article itself)


def _clean(text: str) -> str:
    text = text.strip().strip('“”"').strip()
    text = re.sub(r",?\s+not\s+[^,.;]+$", "", text)  # "..., not immigration crackdowns"
    return text.rstrip(" ,.;")


def find_missions(text: str, start: int, end: int, agency_mentions: list[Mention]) -> list[MissionFound]:
    out = []
    inside = [m for m in agency_mentions if start <= m.start < end]
    sentence = text[start:end]

    def agency_before(at: int) -> str | None:
        earlier = [m for m in inside if m.end <= at]
        return earlier[-1].key if earlier else None

    for match in _WHOSE.finditer(text, start, end):
        agency = agency_before(match.start())
        if agency is None:
            continue
        rest = text[match.end() : end]
        quoted = _QUOTED.match(rest) or (re.match(r"\s*is\s+", rest) and _QUOTED.search(rest[:40]))
        if quoted:
            mission = quoted.group("q")
        else:
            include = re.search(r"\binclude[sd]?\s+(?P<t>[^.;]+)", rest)
            if not include:
                continue
            mission = include.group("t")
        hint = "website" if re.search(r"website", rest[:120]) else None
        out.append(
            MissionFound(
                agency, _clean(mission), (match.start(), min(end, match.end() + len(mission) + 60)), hint
            )
        )
    for pattern in (_POSSESSIVE, _STATEMENT, _DESCRIBES):
        for match in pattern.finditer(text, start, end):
            agency = agency_before(match.start() + 1)
            if agency is None:
                continue
            rest = text[match.end() : end]
            quoted = _QUOTED.match(rest)
            mission = quoted.group("q") if quoted else re.split(r"[.;](?:\s|$)", rest)[0]
            hint = "mission statement" if pattern is _STATEMENT else None
            if pattern is _POSSESSIVE and not quoted:
                mission = mission if mission.startswith("to ") else f"to {mission}"
            out.append(
                MissionFound(agency, _clean(mission), (match.start(), match.end() + len(mission)), hint)
            )
    del sentence
    return out
