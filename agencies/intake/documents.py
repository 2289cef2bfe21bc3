"""The documents of a draft: the article itself, and what it cites: other outlets' reports ("The
Washington Post reports", "according to Reuters", "first reported by", "told The Post"), an
agency's website or mission statement, briefings, statements and press releases, audits, data
releases. A cited document is matched to one the record holds from the same outlet when the dates
agree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agencies.core.dates import PartialDate

from .gazetteer import normalise, slug
from .known import KnownRecord
from .names import Mention, OutletIndex
from .periods import Context, find_dates


@dataclass
class DocRef:
    key: str
    kind: str
    title: str
    outlet: str | None = None
    published: PartialDate | None = None
    match: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)
    question: str | None = None
    url: str | None = None
    authors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportMention:
    start: int
    end: int
    document: DocRef
    told: bool = False  # "told The Post": the speaker spoke to that outlet


_REPORT_VERB = re.compile(
    r"\s*(?:,\s*(?:which|citing)[^,]{0,100},\s*)?(?:first\s+|also\s+|previously\s+|earlier\s+)?"
    r"(?:reports|reported|has\s+reported|had\s+reported|was\s+first\s+to\s+report|says|said|wrote|found|"
    r"revealed|published|disclosed)\b"
)
_BEFORE = re.compile(
    r"(?P<according>according\s+to\s+(?:(?:a|an|the)\s+(?:report|story|article|analysis|investigation)\s+(?:by|from|in)\s+)?)$|"
    r"(?P<by>(?:first\s+)?reported\s+(?:by|in)\s+)$|"
    r"(?P<told>(?:told|telling|in\s+a\s+statement\s+to|in\s+an\s+interview\s+with|speaking\s+to|said\s+to)\s+)$|"
    r"(?P<own>(?:reviewed|obtained|seen|analy[sz]ed)\s+by\s+)$",
    re.IGNORECASE,
)
_BACK = re.compile(
    r"\b[Tt]he\s+(?:newspaper|paper|publication|outlet|news\s+agency|wire\s+service|report|network)\b"
)
_WEBSITE = re.compile(
    r"\b(?P<who>its|their|[Tt]he\s+agency['’]s)\s+(?:own\s+)?(?P<what>website|web\s+site|mission\s+statement)"
)


class Documents:
    def __init__(self, known: KnownRecord, outlets: OutletIndex, article: DocRef):
        self.known = known
        self.outlets = outlets
        self.article = article
        self.by_key: dict[str, DocRef] = {article.key: article}
        self.by_identity: dict[str, DocRef] = {}
        self.taken = known.ids("documents")
        self.last_report: DocRef | None = None

    def key_for(self, wanted: str) -> str:
        wanted = slug(wanted)
        key, n = wanted, 2
        while key in self.by_key or key in self.taken:
            key, n = f"{wanted}-{n}", n + 1
        return key

    def _known_match(
        self, kind: str, outlet: str | None, hint: PartialDate | None, before: PartialDate | None
    ):
        kinds = {"article", "report"} if kind in ("article", "report") else {kind}
        candidates = [
            d
            for d in self.known.documents
            if d.outlet == outlet and d.kind in kinds and d.id != self.article.match
        ]
        if hint is not None:
            candidates = [
                d for d in candidates if d.published is None or _overlap(PartialDate.parse(d.published), hint)
            ]
        if before is not None:
            candidates = [
                d
                for d in candidates
                if d.published is None or PartialDate.parse(d.published).start <= before.end
            ]
        candidates.sort(key=lambda d: d.published or "")
        return candidates

    def cite(
        self,
        identity: str,
        *,
        kind: str,
        outlet: str | None,
        title: str,
        published: PartialDate | None,
        span: tuple[int, int],
        hint: PartialDate | None = None,
        by: DocRef | None = None,
    ) -> DocRef:
        """The document cited under `identity` (one per outlet and kind), matched to the record."""
        doc = self.by_identity.get(identity)
        if doc is None:
            candidates = self._known_match(kind, outlet, hint, self.article.published) if outlet else []
            if candidates:
                chosen = candidates[-1]
                doc = DocRef(
                    chosen.id,
                    chosen.kind,
                    chosen.title,
                    chosen.outlet,
                    PartialDate.parse(chosen.published) if chosen.published else None,
                    match=chosen.id,
                )
                if len(candidates) > 1:
                    others = ", ".join(c.id for c in candidates[:-1])
                    doc.question = f"Matched to {chosen.id!r}, the latest of its outlet's; or is it {others}?"
            else:
                doc = DocRef(self.key_for(identity), kind, title[:500], outlet, published)
                doc.question = (
                    "A document the article cites, not in the record yet: give its title and link if known."
                )
            self.by_key[doc.key] = doc
            self.by_identity[identity] = doc
        doc.spans.append(span)
        citing = by or self.article
        if (
            doc.key != citing.key
            and doc.key not in citing.cites
            and (citing.match is None or citing is self.article)
        ):
            citing.cites.append(doc.key)
        return doc


def _overlap(a: PartialDate, b: PartialDate) -> bool:
    return a.start <= b.end and b.start <= a.end


def find_reports(
    text: str,
    start: int,
    end: int,
    masked: str,
    outlet_mentions: list[Mention],
    documents: Documents,
    context: Context,
    own_outlet: str | None,
) -> list[ReportMention]:
    """Other outlets' reports cited in text[start:end]."""
    out: list[ReportMention] = []
    article_year = PartialDate(context.reference.year) if context.known else None
    for mention in outlet_mentions:
        if not (start <= mention.start < end):
            continue
        before = _BEFORE.search(masked[max(start, mention.start - 80) : mention.start])
        after = _REPORT_VERB.match(masked, mention.end)
        if not (before or after):
            continue
        if before and before.group("own"):
            continue  # "emails reviewed by The Post": the material, not a report
        hint = None
        tail = find_dates(masked, mention.end, min(end, mention.end + 60), context)
        if tail:
            hint = tail[0].date
        if re.search(r"\bearlier\s+this\s+month\b", masked[mention.end : mention.end + 60]):
            hint = PartialDate(context.reference.year, context.reference.month)
        if mention.key == own_outlet and not (before and before.group("by") and hint):
            continue
        outlet = documents.outlets.refs[mention.key]
        published = hint if hint is not None else article_year
        doc = documents.cite(
            f"report:{mention.key}:{hint or ''}" if mention.key == own_outlet else f"report:{mention.key}",
            kind="article",
            outlet=mention.key,
            title=f"{outlet.name}'s report cited by {documents.article.title}",
            published=published,
            span=(mention.start, mention.end),
            hint=hint,
        )
        told = bool(before and before.group("told"))
        documents.last_report = doc
        out.append(ReportMention(mention.start, mention.end, doc, told))
    for match in _BACK.finditer(masked, start, end):
        if documents.last_report is not None:
            documents.last_report.spans.append(match.span())
            out.append(ReportMention(match.start(), match.end(), documents.last_report))
    return sorted(out, key=lambda r: r.start)


def find_agency_pages(
    masked: str,
    start: int,
    end: int,
    agency_mentions: list[Mention],
    agencies,
    documents: Documents,
    context: Context,
) -> list[tuple[str, DocRef, tuple[int, int]]]:
    """An agency's website or mission statement cited ("according to its own website"):
    (agency key, document, span)."""
    out = []
    for match in _WEBSITE.finditer(masked, start, end):
        earlier = [m for m in agency_mentions if m.end <= match.start()]
        if not earlier:
            continue
        agency = agencies.refs[_subject_agency(earlier, agencies).key]
        outlet = documents.outlets.for_agency(agency)
        what = "website" if "web" in match.group("what") else "mission statement"
        doc = documents.cite(
            f"{what}:{agency.key}",
            kind="webpage",
            outlet=outlet.key,
            title=f"{agency.name} {what}",
            published=PartialDate(context.reference.year) if context.known else None,
            span=match.span(),
        )
        if what == "mission statement" and doc.match and "mission" not in normalise(doc.title):
            # The record's page for the agency is its website, not the mission statement.
            del documents.by_identity[f"{what}:{agency.key}"]
            documents.article.cites.remove(doc.key)
            doc = DocRef(
                documents.key_for(f"{agency.key}-mission-statement"),
                "webpage",
                f"{agency.name} {what}",
                outlet.key,
                PartialDate(context.reference.year) if context.known else None,
                spans=[match.span()],
            )
            documents.by_key[doc.key] = doc
            documents.by_identity[f"{what}:{agency.key}"] = doc
            documents.article.cites.append(doc.key)
        out.append((agency.key, doc, match.span()))
    return out


def _subject_agency(earlier: list[Mention], agencies):
    """'its website' points at the agency the clause is about: the latest non-department one."""
    for mention in reversed(earlier):
        ref = agencies.refs[mention.key]
        if not ref.is_department:
            return ref
    return agencies.refs[earlier[-1].key]
