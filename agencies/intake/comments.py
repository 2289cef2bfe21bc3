"""Comment requests and what came back: "did not respond to a request for comment" (none),
"declined to comment" (declined), "referred questions to ICE" (responded), "has reached out to the
DHS for comment" (asked; none by publication)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .names import Mention

_NONE = re.compile(
    r"\b(?:did\s+not|didn['’]t|has\s+not|have\s+not|had\s+not|hasn['’]t)\s+(?:immediately\s+)?(?:respond|reply|return)"
    r"|\bcould\s+not\s+(?:immediately\s+)?be\s+reached|\bno\s+response\b"
    r"|\b(?:did\s+not|didn['’]t)\s+return\s+(?:calls|phone\s+calls|messages|emails)"
)
_DECLINED = re.compile(
    r"\b(?:declined|refused|would\s+not|wouldn['’]t)\s+to\s+(?:comment|discuss|answer|say)|\bno\s+comment\b"
    r"|\bdeclined\s+(?:an?\s+)?(?:interview|requests?\s+for\s+(?:an\s+)?(?:comment|interview))"
)
_REFERRED = re.compile(r"\breferred\s+(?:questions|inquiries|requests|reporters)\s+to\b")
_ASKED = re.compile(
    r"\b(?:has\s+|have\s+)?(?:reached\s+out\s+to|contacted|asked|sought\s+comment\s+from|requested\s+comment\s+from)\s+"
)
_RANK = {"none": 0, "declined": 1, "responded": 2}


@dataclass
class CommentFound:
    agency: str
    response: str
    text: str | None
    spans: list[tuple[int, int]] = field(default_factory=list)


def find_comment_requests(
    text: str, start: int, end: int, agency_mentions: list[Mention], found: dict[str, CommentFound]
) -> None:
    """Comment requests in the sentence text[start:end], merged into `found` by agency."""
    sentence = text[start:end]
    inside = [m for m in agency_mentions if start <= m.start < end]
    if not inside:
        return
    for pattern, response in ((_DECLINED, "declined"), (_REFERRED, "responded"), (_NONE, "none")):
        match = pattern.search(text, start, end)
        if match is None:
            continue
        subject = [m for m in inside if m.end <= match.start()]
        if not subject:
            continue
        agency = subject[0].key
        answer = text[match.start() : end].strip().rstrip(".") if response != "none" else None
        if response == "responded" or (response == "declined" and len(answer.split()) > 3):
            answer = answer
        elif response == "declined":
            answer = None
        _merge(found, CommentFound(agency, response, answer, [(start, end)]))
        return
    match = _ASKED.search(text, start, end)
    if match and re.search(r"\bfor\s+comment\b|\babout\b", sentence):
        after = [m for m in inside if m.start >= match.end() and m.start - match.end() <= 6]
        if after:
            _merge(found, CommentFound(after[0].key, "none", None, [(start, end)]))


def _merge(found: dict[str, CommentFound], new: CommentFound) -> None:
    old = found.get(new.agency)
    if old is None:
        found[new.agency] = new
        return
    old.spans.extend(new.spans)
    if _RANK[new.response] > _RANK[old.response]:
        old.response, old.text = new.response, new.text
