"""propose(): read an article and propose a draft dossier, with every proposal located in the text.

The parts, in the order they run: the article's structure (article.py), the agencies and outlets
it names (names.py), then sentence by sentence the reports it cites (documents.py), the sources it
names (sources.py), who said what (statements.py), figures (figures.py), comment requests
(comments.py) and stated missions (missions.py); last, the dossier is written (this module).
Nothing here touches the database: the record comes in as a KnownRecord.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from agencies.core.dates import PartialDate, PartialDateError

from .article import Article, Sentence, read_article
from .comments import CommentFound, find_comment_requests
from .documents import DocRef, Documents, find_agency_pages, find_reports
from .figures import FigureFound, find_figures
from .gazetteer import OUTLETS, normalise, slug
from .known import KnownClaim, KnownRecord
from .missions import MissionFound, find_missions
from .names import AgencyIndex, OutletIndex, find_new_agencies
from .periods import ADMINISTRATIONS, Context, find_dates
from .sources import SourceRef, Sources, find_sources, mask_quotes
from .statements import CHARACTERISATION, DENIAL, INTENT, Attribution, Speech

FORMAT = "oversight-dossier/1"


@dataclass(frozen=True)
class Proposal:
    """One thing the draft proposes: `section` and `key` name it in `Draft.dossier` (the key of a
    mission is "agency-id:index", of a comment request "document-id:agency-id"); `spans` are
    offsets into the text as given; `match` is the record's id when it is already there."""

    section: str
    key: str
    label: str
    spans: list[tuple[int, int]]
    match: str | None = None
    question: str | None = None


@dataclass
class Draft:
    dossier: dict
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def questions(self) -> list[Proposal]:
        return [p for p in self.proposals if p.question]


_DOCUMENT_KIND_HINTS = (
    (
        re.compile(r"\b(?:press\s+release|release\s+date|news\s+release|for\s+immediate\s+release)\b", re.I),
        "press_release",
    ),
    (re.compile(r"\b(?:transcript|press\s+gaggle|press\s+briefing\s+by|remarks\s+by)\b", re.I), "transcript"),
    (re.compile(r"^\s*correction\b", re.I), "other"),
    (re.compile(r"\b(?:research\s+note|working\s+paper|^method(?:s|ology)?:)", re.I | re.M), "report"),
)
_DATELINE = re.compile(
    r"^[A-Z][A-Z .,]+(?:,\s+[A-Z][a-z]+\.?\s+\d{1,2})?\s+\((?P<outlet>[A-Za-z .]+)\)\s+[-–—]"
)


def _reference(article: Article, date: PartialDate | None) -> tuple[Context, str | None]:
    if date is not None:
        return Context(date.end if date.day is None else date.start, True), None
    # No date: read dates against the latest administration the text names, and say so.
    named = [a for a in ADMINISTRATIONS if re.search(rf"\b{a.surname}\b", article.body)]
    start = max((a.start for a in named), default=None)
    if start is None:
        return Context(
            dt.date.today(), False
        ), "The text gives no publication date: give it, dates are read against today."
    reference = min(dt.date.today(), start.replace(year=start.year + 1) - dt.timedelta(days=1))
    return Context(reference, False), (
        f"The text gives no publication date: dates without a year are read as in the year after "
        f"{start.isoformat()} (the administration it names); give the date to be sure."
    )


def _article_outlet(article: Article, outlets: OutletIndex, given: str | None, known: KnownRecord):
    if given:
        for outlet in known.outlets:
            if given == outlet.id:
                return outlets.refs[outlet.id], None
        return outlets.named(given), None
    for name in (article.outlet_line, article.footer_outlet):
        if name:
            return outlets.named(name), None
    first = article.paragraphs[0] if article.paragraphs else None
    if first:
        dateline = _DATELINE.match(article.body[first.start : first.end])
        if dateline:
            return outlets.named(dateline.group("outlet").strip()), None
    return None, "The text does not say which outlet published it."


def _document_kind(article: Article, outlet) -> str:
    head = "\n".join([article.headline or ""] + [line for line, _span in article.header_lines])
    first = (
        article.body[article.paragraphs[0].start : article.paragraphs[0].end] if article.paragraphs else ""
    )
    if article.is_transcript:
        return "transcript"
    for pattern, kind in _DOCUMENT_KIND_HINTS:
        if pattern.search(head) or (kind == "report" and pattern.search(article.body)):
            return kind
    if outlet is not None and outlet.kind == "government" and re.search(r"\btoday\s+announced\b", first):
        return "press_release"
    if outlet is not None and outlet.kind == "academic":
        return "report"
    return "article"


class _Reader:
    def __init__(
        self, text: str, outlet: str | None, published: str | None, url: str | None, known: KnownRecord
    ):
        self.known = known
        self.text_len = len(text)
        outlet_names = [o.name for o in known.outlets] + [o.name for o in OUTLETS]
        # A NUL is no character a record may hold: read as a space, so that every offset stays.
        self.article = article = read_article(text.replace("\x00", " "), outlet_names=outlet_names)
        self.questions: dict[tuple[str, str], str] = {}
        date = None
        if published:
            try:
                date = PartialDate.parse(published)
            except PartialDateError as exc:
                raise ValueError(f"published: {exc}") from None
        date = date or article.date
        self.date = date
        self.context, date_question = _reference(article, date)
        self.agencies = AgencyIndex(known)
        find_new_agencies(article.body, self.agencies)
        self.outlets = OutletIndex(known)
        self.outlet, outlet_question = _article_outlet(article, self.outlets, outlet, known)
        kind = _document_kind(article, self.outlet)
        title = article.headline or "Untitled article"
        doc = DocRef(
            key="",
            kind=kind,
            title=title[:500],
            outlet=self.outlet.key if self.outlet else None,
            published=date,
            url=url or None,
            authors=list(article.authors),
        )
        for spans in (article.headline_span, article.byline_span, article.date_span, article.outlet_span):
            if spans:
                doc.spans.append(spans)
        same = [
            d
            for d in known.documents
            if normalise(d.title) == normalise(title) and (d.outlet == doc.outlet or not d.outlet)
        ]
        if same:
            doc.key = doc.match = same[0].id
        else:
            stop = {"the", "a", "an", "of", "to", "for", "in", "on", "and", "u", "s", "is", "are", "with"}
            words = [w for w in re.findall(r"[a-z0-9]+", title.lower()) if w not in stop]
            prefix = self.outlet.key if self.outlet else "article"
            doc.key = slug(f"{prefix} {' '.join(words[:4])}")
            doc.key = _free_id(doc.key, known.ids("documents"))
        doc.question = " ".join(q for q in (date_question, outlet_question) if q) or None
        if date is None and not doc.question:
            doc.question = "The text gives no publication date."
        self.doc = doc
        self.documents = Documents(known, self.outlets, doc)
        self.sources = Sources(known, self.agencies)
        self.speech = Speech(article, self.context, self.sources, self.agencies, self.outlets, self.documents)
        self.agency_mentions = self.agencies.find(article.body)
        self.outlet_mentions = self.outlets.find(article.body)
        self.masked = mask_quotes(article.body)
        self.persons: dict[str, SourceRef] = {}
        self.figures: list[tuple[FigureFound, SourceRef, list[str], Attribution | None]] = []
        self.comments: dict[str, CommentFound] = {}
        self.missions: list[tuple[MissionFound, DocRef]] = []
        self.own_reporting: SourceRef | None = None

    # --- reading ---------------------------------------------------------------------------------

    def read(self) -> None:
        article, body = self.article, self.article.body
        if article.headline_span:
            s, e = article.headline_span
            find_sources(
                body,
                s,
                e,
                self.sources,
                self.agency_mentions,
                self.outlet_mentions,
                granted_by=None,
                via=None,
                persons=self.persons,
                masked=self.masked,
            )
        previous_reports: list[DocRef] = []
        for paragraph in article.paragraphs:
            reports_here: list[DocRef] = []
            if article.is_transcript and paragraph.speaker_label:
                self._turn(paragraph, reports_here)
                previous_reports = reports_here
                continue
            for index, sentence in enumerate(paragraph.sentences):
                reports = self._reports_in(sentence)
                reports_here.extend(r.document for r in reports)
                pages = find_agency_pages(
                    self.masked,
                    sentence.start,
                    sentence.end,
                    self.agency_mentions,
                    self.agencies,
                    self.documents,
                    self.context,
                )
                here = [r.document for r in reports]
                context_report = (here or reports_here or previous_reports or [None])[-1]
                found = find_sources(
                    body,
                    sentence.start,
                    sentence.end,
                    self.sources,
                    self.agency_mentions,
                    self.outlet_mentions,
                    granted_by=(context_report.key if context_report else self.doc.key),
                    via=context_report.key if context_report else None,
                    persons=self.persons,
                    masked=self.masked,
                )
                attributions = self.speech.read(
                    sentence,
                    self.masked,
                    found,
                    self.agency_mentions,
                    self.outlet_mentions,
                    reports,
                    index == 0,
                )
                self._figures(sentence, found, attributions, reports)
                find_comment_requests(
                    self.masked, sentence.start, sentence.end, self.agency_mentions, self.comments
                )
                for mission in find_missions(body, sentence.start, sentence.end, self.agency_mentions):
                    document = self.doc
                    for agency, page, _span in pages:
                        if agency == mission.agency:
                            document = page
                    self.missions.append((mission, document))
            previous_reports = reports_here
        self._briefing_vias()
        self._corrected_article()

    def _briefing_vias(self) -> None:
        """ "Homan said on April 28 that ..." then "he told reporters during a press briefing": the
        briefing is how the first statement came too."""
        for attribution in self.speech.attributions:
            doc_key = attribution.speaker.speech_document
            if attribution.via or not doc_key or doc_key == self.doc.key:
                continue
            doc = self.documents.by_key[doc_key]
            paragraphs = {p.number for s, _e in doc.spans if (p := self.article.paragraph_at(s))}
            if any(abs(n - attribution.paragraph) <= 1 for n in paragraphs):
                attribution.via = [doc_key]

    def _corrected_article(self) -> None:
        """A correction cites the article it corrects: the outlet's own, in the record if there."""
        body = self.article.body
        first = (
            body[self.article.paragraphs[0].start : self.article.paragraphs[0].end]
            if self.article.paragraphs
            else ""
        )
        if not (
            re.match(r"\s*correction\b", self.doc.title, re.I) or re.match(r"\s*correction\b", first, re.I)
        ):
            return
        if not re.search(
            r"\b(?:earlier|previous)\s+version\s+of\s+this\s+(?:article|story|report)", body, re.I
        ):
            return
        words = set(re.findall(r"[a-z]{4,}", self.doc.title.lower())) - {"correction"}
        candidates = [
            d for d in self.known.documents if d.outlet == self.doc.outlet and d.id != self.doc.match
        ]
        candidates.sort(key=lambda d: len(words & set(re.findall(r"[a-z]{4,}", d.title.lower()))))
        span = re.search(
            r"\b(?:earlier|previous)\s+version\s+of\s+this\s+(?:article|story|report)", body, re.I
        ).span()
        if candidates and words & set(re.findall(r"[a-z]{4,}", candidates[-1].title.lower())):
            chosen = candidates[-1]
            self.documents.cite(
                f"corrected:{chosen.id}",
                kind=chosen.kind,
                outlet=chosen.outlet,
                title=chosen.title,
                published=None,
                span=span,
            )
            return
        title = re.sub(r"^\s*correction:?\s*", "", self.doc.title, flags=re.I) or "The article corrected"
        doc = self.documents.cite(
            "corrected:new", kind="article", outlet=self.doc.outlet, title=title, published=None, span=span
        )
        doc.question = "The article this corrects: give its title and link."

    def _reports_in(self, sentence):
        """The reports a sentence leans on ("The Washington Post reports", "according to Reuters")."""
        return find_reports(
            self.article.body,
            sentence.start,
            sentence.end,
            self.masked,
            self.outlet_mentions,
            self.documents,
            self.context,
            self.outlet.key if self.outlet else None,
        )

    def _turn(self, paragraph, reports_here: list[DocRef]) -> None:
        label = paragraph.speaker_label
        for sentence in paragraph.sentences:
            reports_here.extend(r.document for r in self._reports_in(sentence))
        if label == "Q":  # the interviewer's question: no one's statement
            return
        surname = label.split()[-1].title().replace("’", "'")
        speaker = self.persons.get(surname)
        if speaker is None:
            known = next(
                (s for s in self.known.sources if s.kind == "person" and s.name.split()[-1:] == [surname]),
                None,
            )
            name = known.name if known else surname
            speaker = self.sources.add(SourceRef(key=name, kind="person", name=name), f"person:{surname}")
            if known is None:
                speaker.question = f"Only “{label}” in the transcript: give the full name and title."
            self.persons[surname] = speaker
        speaker.spans.append((paragraph.start, paragraph.label_end))
        whole = Sentence(paragraph.label_end, paragraph.end, paragraph.number)
        attribution = self.speech.turn(whole, speaker, (paragraph.label_end, paragraph.end))
        for sentence in paragraph.sentences:
            self._figures(sentence, [], [attribution])

    def _figures(self, sentence: Sentence, found, attributions: list[Attribution], reports=()) -> None:
        body = self.article.body
        dates = find_dates(body, sentence.start, sentence.end, self.context)
        said_on = next((a.said_on for a in attributions if a.said_on), None)
        previous = [f for f, *_ in self.figures]
        for figure in find_figures(body, sentence, dates, self.context, said_on, previous):
            origin, via, attribution = self._figure_origin(sentence, found, attributions)
            if reports and not via:
                via = [reports[0].document.key]
            origin.used = True
            self.figures.append((figure, origin, via, attribution))

    def _figure_origin(self, sentence: Sentence, found, attributions: list[Attribution]):
        datasets = [m.source for m in found if m.source is not None and m.source.kind == "dataset"]
        if datasets:
            via = attributions[0].via if attributions else self._paragraph_via(sentence)
            return datasets[0], via, None
        if attributions:
            return attributions[0].speaker, attributions[0].via, attributions[0]
        earlier = [a for a in self.speech.attributions if a.paragraph == sentence.paragraph]
        if earlier:
            return earlier[-1].speaker, earlier[-1].via, None
        state = self.speech.state
        if (
            state.last_dataset is not None
            and state.last_dataset.spans
            and self.article.paragraph_at(state.last_dataset.spans[-1][0]) is not None
            and self.article.paragraph_at(state.last_dataset.spans[-1][0]).number == sentence.paragraph
        ):
            return state.last_dataset, self._paragraph_via(sentence), None
        return self._own_reporting(), self._paragraph_via(sentence), None

    def _paragraph_via(self, sentence: Sentence) -> list[str]:
        reports = self.speech.state.reports_by_paragraph.get(sentence.paragraph)
        return [reports[-1].key] if reports else []

    def _own_reporting(self) -> SourceRef:
        if self.own_reporting is None:
            name = self.outlet.name if self.outlet else "the outlet"
            ref = SourceRef(
                key=f"{self.outlet.key if self.outlet else 'outlet'}-own-reporting",
                kind="outlet",
                description=f"{name}'s own reporting",
                outlet=self.outlet.key if self.outlet else None,
            )
            ref.question = "The text does not say where this figure comes from."
            self.own_reporting = self.sources.add(ref, "outlet:own")
        return self.own_reporting


# --- writing the dossier -------------------------------------------------------------------------


def _iso(value: PartialDate | None) -> str | None:
    return value.isoformat() if value is not None else None


def _free_id(base: str, taken: set[str]) -> str:
    """`base`, or the first of base-2, base-3... not taken."""
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _new_claim(
    claim_id: str, text: str, agencies: list[str], has_figure: bool, made: PartialDate | None, lines: list
) -> dict:
    claim = {"id": claim_id, "kind": _claim_kind(text, has_figure), "text": text, "agencies": agencies}
    if made is not None:
        claim["made"] = _iso(made)
    claim["status"] = "unverified"
    claim["attributions"] = lines
    return claim


def _reported_again_claim(known: KnownClaim, lines: list[dict]) -> dict:
    """The record's claim, as stored, with this article's lines after its own: the dossier's list
    replaces the stored one, so it gives them all."""
    stored = [dict(line) for line in known.attributions]
    return {
        "id": known.id,
        "kind": known.kind,
        "text": known.text,
        "agencies": list(known.agencies),
        "attributions": stored + [line for line in lines if line not in stored],
    }


def _claim_kind(text: str, has_figure: bool) -> str:
    if has_figure:
        return "figure"
    if DENIAL.search(text):
        return "denial"
    if INTENT.search(text):
        return "intent"
    if CHARACTERISATION.search(text):
        return "characterisation"
    return "statement"


class _Writer:
    def __init__(self, reader: _Reader):
        self.r = reader
        self.proposals: list[Proposal] = []
        self.dropped = 0
        a = reader.article
        self.span = a.to_source

    def spans(self, spans) -> list[tuple[int, int]]:
        # A span never runs past the text (a quotation cut off before it closes).
        n = self.r.text_len
        out = sorted({(min(s, n), min(e, n)) for s, e in (self.span(s, e) for s, e in spans if e > s)})
        return [(s, e) for s, e in out if e > s]

    def write(self) -> Draft:
        r = self.r
        claims, figures = self._claims()
        used_sources = [s for s in r.sources.by_key.values() if s.used]
        documents = self._documents(used_sources)
        agencies = self._agencies(claims)
        outlets = self._outlets(documents, used_sources)
        dossier: dict = {"format": FORMAT}
        for name, items in (
            ("agencies", agencies),
            ("outlets", outlets),
            ("documents", documents),
            ("sources", [i for i in map(self._source, used_sources) if i]),
            ("claims", claims),
            ("figures", figures),
            ("comment_requests", self._comments()),
        ):
            if items:
                dossier[name] = items
        return Draft(dossier, self.proposals)

    # documents, outlets, agencies

    def _documents(self, used_sources: list[SourceRef]) -> list[dict]:
        r = self.r
        for source in used_sources:
            if source.kind == "dataset" and source.document is None:
                internal = not source.description.endswith(" data")
                doc = r.documents.cite(
                    f"dataset:{source.key}",
                    kind="other" if internal else "dataset",
                    outlet=None,
                    title=source.description[:1].upper() + source.description[1:],
                    published=PartialDate(r.context.reference.year) if r.context.known else None,
                    span=source.spans[0] if source.spans else (0, 0),
                    by=self._via_of(source),
                )
                source.document = doc.key
        out = []
        for doc in r.documents.by_key.values():
            item: dict = {"id": doc.key, "kind": doc.kind}
            if doc.outlet:
                item["outlet"] = doc.outlet
            item["title"] = doc.title
            if doc.match and doc is not r.doc:
                pass  # in the record: referred to by its id, never rewritten
            else:
                if doc.published is not None:
                    item["published"] = _iso(doc.published)
                if doc.url:
                    item["url"] = doc.url
                if doc.authors:
                    item["authors"] = list(doc.authors)
                if doc.cites:
                    item["cites"] = list(dict.fromkeys(doc.cites))
                out.append(item)
            if doc is r.doc and self.dropped:
                note = f"{self.dropped} statement(s) name no agency and are left out of the draft."
                doc.question = f"{doc.question} {note}" if doc.question else note
            label = (
                doc.title
                if doc is r.doc
                else f"{r.outlets.refs[doc.outlet].name if doc.outlet else doc.kind}: {doc.title}"
            )
            self.proposals.append(
                Proposal("documents", doc.key, label, self.spans(doc.spans), doc.match, doc.question)
            )
        return out

    def _via_of(self, source: SourceRef) -> DocRef | None:
        for attribution in self.r.speech.attributions:
            if attribution.speaker is source and attribution.via:
                doc = self.r.documents.by_key.get(attribution.via[0])
                return doc if doc is not None and doc.match is None else None
        for _figure, origin, via, _a in self.r.figures:
            if origin is source and via:
                doc = self.r.documents.by_key.get(via[0])
                return doc if doc is not None and doc.match is None else None
        return None

    def _outlets(self, documents: list[dict], sources: list[SourceRef]) -> list[dict]:
        r = self.r
        keys = [d["outlet"] for d in documents if d.get("outlet")] + [s.outlet for s in sources if s.outlet]
        spans: dict[str, list] = {}
        for mention in r.outlet_mentions:
            spans.setdefault(mention.key, []).append((mention.start, mention.end))
        out = []
        for key in dict.fromkeys(keys):
            ref = r.outlets.refs[key]
            if ref.match is None:  # the record's are referred to by their ids
                out.append({"id": ref.key, "name": ref.name, "kind": ref.kind})
            self.proposals.append(
                Proposal(
                    "outlets", ref.key, ref.name, self.spans(spans.get(key, [])), ref.match, ref.question
                )
            )
        return out

    def _agency_keys(self, claims: list[dict]) -> list[str]:
        """The agencies the draft names: mentioned, affiliations of the sources used, asked for
        comment, stating a mission, named by a new claim; then the parents a new one needs."""
        r = self.r
        wanted = [m.key for m in r.agency_mentions]
        for source in r.sources.by_key.values():
            if source.used:
                wanted += [k for k in (source.affiliation, source.agency) if k]
        wanted += [c["agency"] for c in self._comments(propose=False)]
        wanted += [m.agency for m, _doc in r.missions]
        for claim in claims:
            if claim["id"] not in getattr(self, "matched_claims", {}):
                wanted += claim["agencies"]
        keys = list(dict.fromkeys(wanted))
        # A new agency's parent must exist: in the record, or proposed too.
        for key in list(keys):
            parent = r.agencies.refs[key].parent
            while (
                parent
                and parent not in keys
                and parent not in r.agencies.known_ids
                and parent in r.agencies.refs
            ):
                keys.append(parent)
                parent = r.agencies.refs[parent].parent
        return keys

    def _agencies(self, claims: list[dict]) -> list[dict]:
        r = self.r
        keys = self._agency_keys(claims)
        spans: dict[str, list] = {}
        for mention in r.agency_mentions:
            spans.setdefault(mention.key, []).append((mention.start, mention.end))
        missions_for = self._missions()
        known = {a.id: a for a in r.known.agencies}
        out = []
        for key in keys:
            ref = r.agencies.refs[key]
            item: dict = {"id": ref.key, "name": ref.name}
            if ref.acronym:
                item["acronym"] = ref.acronym
            item["kind"] = ref.kind
            if ref.parent and (ref.parent in keys or ref.parent in r.agencies.known_ids):
                item["parent"] = ref.parent
            if ref.match:
                # The record's agency, written exactly as it is stored (its missions too): importing
                # the draft changes nothing about it but the missions the article adds.
                stored = known[key]
                if stored.website:
                    item["website"] = stored.website
                item["missions"] = [{k: v for k, v in m.items() if v is not None} for m in stored.missions]
                item["missions"] += missions_for.get(key, [])
            else:
                if ref.website:
                    item["website"] = ref.website
                if key in missions_for:
                    item["missions"] = missions_for[key]
            out.append(item)
            label = str(ref.name) + (f" ({ref.acronym})" if ref.acronym else "")
            question = ref.question
            if ref.match is None and ref.question is None:
                question = "Not in the record yet: a new agency from Oversight's built-in list; check it."
            self.proposals.append(
                Proposal("agencies", ref.key, label, self.spans(spans.get(key, [])), ref.match, question)
            )
        return out

    def _missions(self) -> dict[str, list[dict]]:
        r = self.r
        known = {a.id: a for a in r.known.agencies}
        out: dict[str, list[dict]] = {}
        for mission, document in r.missions:
            existing = known[mission.agency].missions if mission.agency in known else ()
            if any(
                m.get("document") == document.key or normalise(m["text"]) == normalise(mission.text)
                for m in existing
            ):
                continue  # already in the record
            if any(normalise(m["text"]) == normalise(mission.text) for m in out.get(mission.agency, [])):
                continue
            item = {"text": mission.text, "document": document.key}
            if r.date is not None:
                item["as_of"] = _iso(r.date)
            out.setdefault(mission.agency, []).append(item)
            index = len(existing) + len(out[mission.agency]) - 1
            self.proposals.append(
                Proposal(
                    "missions",
                    f"{mission.agency}:{index}",
                    mission.text,
                    self.spans([mission.span]),
                    None,
                    None,
                )
            )
        return out

    # sources

    def _source(self, source: SourceRef) -> dict | None:
        item: dict = {"id": source.key, "kind": source.kind}
        fields = (
            "description",
            "count",
            "reason",
            "granted_by",
            "name",
            "title",
            "affiliation",
            "agency",
            "outlet",
            "document",
        )
        for name in fields:
            value = getattr(source, name)
            if value not in (None, ""):
                item[name] = value
        if source.kind != "anonymous":
            item.pop("count", None)
        if source.kind == "anonymous" and "count" not in item:
            pass
        if source.kind in ("person", "organisation") and not source.name:
            item["name"] = source.description
        self.proposals.append(
            Proposal(
                "sources", source.key, source.label, self.spans(source.spans), source.match, source.question
            )
        )
        return None if source.match else item  # the record's are referred to by their ids

    # claims and figures

    def _claims(self) -> tuple[list[dict], list[dict]]:
        r = self.r
        groups, figure_claim = self._claim_groups()
        figure_keys = set(figure_claim.values())
        top = Counter(m.key for m in r.agency_mentions).most_common(1)
        fallback = top[0][0] if top else None
        ids: dict[tuple, str] = {}
        claims = []
        used_ids: set[str] = set()
        record_agencies = {m.key for m in r.agency_mentions if m.key in r.agencies.known_ids}
        known_claims = r.known.claims_about(record_agencies) if record_agencies else ()
        self.matched_claims: dict[str, KnownClaim] = {}
        figures_of: dict[tuple, list[FigureFound]] = {}
        for figure, *_rest in r.figures:
            figures_of.setdefault(figure_claim[id(figure)], []).append(figure)
        reported_again = self._reported_again(groups, known_claims, figure_keys, fallback, figures_of)
        for key, attributions in groups.items():
            sentences, text = self._group_text(attributions)
            if len(text) > 1200:
                text = text[:1199] + "…"
            agencies = self._claim_agencies(sentences, attributions) or ([fallback] if fallback else [])
            if not agencies:
                self.dropped += 1  # a claim is about at least one agency: said on the document
                continue
            lines = [self._claim_line(a) for a in attributions]
            known_claim = reported_again.get(key)
            if known_claim is not None:
                claim = _reported_again_claim(known_claim, lines)
                self.matched_claims[known_claim.id] = known_claim
                label = f"Reported again: {known_claim.text[:100]}"
            else:
                words = [w for w in re.findall(r"[a-z0-9]+", mask_quotes(text).lower()) if len(w) > 3][:5]
                claim_id = _free_id(slug(" ".join(words) or "claim", 50), used_ids)
                made = next((a.said_on for a in attributions if a.said_on), None) or r.date
                claim = _new_claim(claim_id, text, agencies, key in figure_keys, made, lines)
                label = text[:120]
            used_ids.add(claim["id"])
            ids[key] = claim["id"]
            claims.append(claim)
            spans = [a.quote for a in attributions if a.quote] or sentences
            question = next((a.question for a in attributions if a.question), None)
            match = known_claim.id if known_claim is not None else None
            self.proposals.append(Proposal("claims", claim["id"], label, self.spans(spans), match, question))
        self._answers(claims, known_claims)
        self._avoid_taken([c for c in claims if c["id"] not in self.matched_claims], "claims")
        claim_ids = {
            key: claim["id"] for key, claim in zip([k for k in groups if k in ids], claims, strict=True)
        }
        figures = self._figures(figure_claim, claim_ids)
        stored_figures = known_figures(self.matched_claims)
        self._avoid_taken([f for f in figures if f["id"] not in stored_figures], "figures")
        return claims, figures

    def _claim_groups(self) -> tuple[dict[tuple, list[Attribution]], dict[int, tuple]]:
        """The attributions grouped into claims (a speaker's quotations in a paragraph, a sentence
        of reported speech, a figure's sentence), and the group each figure belongs to."""
        r = self.r
        groups: dict[tuple, list[Attribution]] = {}
        for attribution in r.speech.attributions:
            if attribution.quote:
                key = ("quote", attribution.paragraph, attribution.speaker.key)
            else:
                key = ("reported", attribution.sentence.start)
            groups.setdefault(key, []).append(attribution)
        figure_claim: dict[int, tuple] = {}
        for figure, origin, via, attribution in r.figures:
            same_sentence = self._group_of_sentence(groups, figure.sentence.start)
            if attribution is not None and ("reported", attribution.sentence.start) in groups:
                figure_claim[id(figure)] = ("reported", attribution.sentence.start)
            elif same_sentence is not None:
                # "deported 37,660 people ..., according to DHS data": the sentence is one claim
                # already (what the data says); the figure is what it asserts, not a second claim.
                figure_claim[id(figure)] = same_sentence
            else:
                key = ("figure", figure.sentence.start)
                if key not in groups:
                    groups[key] = [
                        Attribution(origin, figure.sentence.paragraph, figure.sentence, None, list(via))
                    ]
                figure_claim[id(figure)] = key
        return groups, figure_claim

    def _claim_line(self, attribution: Attribution) -> dict:
        """The attribution line this article gives a claim."""
        line: dict = {"document": self.r.doc.key}
        if attribution.via:
            line["via"] = list(attribution.via)
        line["origin"] = attribution.speaker.key
        line["stance"] = "supports"
        if attribution.quote:
            line["quote"] = self.r.article.body[attribution.quote[0] : attribution.quote[1]]
        line["locator"] = f"para {attribution.paragraph}"
        return line

    def _figures(self, figure_claim: dict[int, tuple], claim_ids: dict[tuple, str]) -> list[dict]:
        """The figures of the claims proposed; one the record has on the claim is referred to as stored."""
        r = self.r
        figures: list[dict] = []
        figure_ids: set[str] = set()
        for figure, origin, _via, _attribution in r.figures:
            key = figure_claim[id(figure)]
            if key not in claim_ids:
                continue
            period = figure.period
            if period is None:
                if r.date is None:
                    continue
                start = end = r.date
            else:
                start, end = period.start, period.end
            value = int(figure.value) if figure.value == int(figure.value) else str(figure.value)
            matched = self.matched_claims.get(claim_ids[key])
            stored = next(
                (f for f in (matched.figures if matched else ()) if float(f["value"]) == float(value)), None
            )
            if stored is not None:
                # The record has this figure on the claim: referred to as stored, never a second one.
                if stored["id"] not in figure_ids:
                    figure_ids.add(stored["id"])
                    figures.append({"id": stored["id"], "claim": matched.id, **stored})
                    label = f"{stored['value']} {stored['unit']}, already in the record"
                    self.proposals.append(
                        Proposal("figures", stored["id"], label, self.spans([figure.span]), stored["id"])
                    )
                continue
            figure_id = _free_id(f"{claim_ids[key][:40]}-{slug(str(value))}", figure_ids)
            figure_ids.add(figure_id)
            item = {
                "id": figure_id,
                "claim": claim_ids[key],
                "metric": figure.metric or "count",
                "value": value,
                "unit": figure.unit[:100],
                "period_start": _iso(start),
                "period_end": _iso(end),
            }
            basis = origin.description or origin.label
            if origin.speech_document:
                basis = r.documents.by_key[origin.speech_document].title
            item["basis"] = basis[:300]
            figures.append(item)
            spans = [figure.span] + ([period.span] if period else [])
            label = f"{value} {figure.unit}, {_iso(start)} – {_iso(end)}"
            self.proposals.append(
                Proposal("figures", figure_id, label, self.spans(spans), None, figure.question)
            )
        return figures

    def _group_text(self, attributions: list[Attribution]) -> tuple[list, str]:
        body = self.r.article.body
        sentences = sorted({(a.sentence.start, a.sentence.end) for a in attributions})
        return sentences, " ".join(" ".join(body[s:e].split()) for s, e in sentences)

    def _reported_again(
        self, groups, known_claims, figure_keys, fallback, figures_of
    ) -> dict[tuple, KnownClaim]:
        """Which proposed claims are the record's claims reported again: each sentence to at most one
        stored claim and each stored claim to one sentence, the closest pairs first. A denial is
        never the claim it denies."""
        if not known_claims:
            return {}
        names = frozenset(
            w
            for ref in self.r.agencies.refs.values()
            if ref.match
            for w in re.findall(r"[a-z]+", str(ref.name).lower())
        )
        df = Counter(w for claim in known_claims for w in _claim_words(claim.text, names))

        def rarity(word: str) -> float:
            return 1.0 / df.get(word, 1) ** 0.5

        pairs = []
        for key, attributions in groups.items():
            sentences, text = self._group_text(attributions)
            if _claim_kind(text, key in figure_keys) == "denial":
                continue
            agencies = self._claim_agencies(sentences, attributions) or ([fallback] if fallback else [])
            lines = [(a.speaker.key, tuple(a.via or ())) for a in attributions]
            for n, claim in enumerate(known_claims):
                if not self._same_figures(figures_of.get(key, ()), claim):
                    continue
                score = _claim_score(text, agencies, lines, claim, names, rarity)
                if score is not None:
                    pairs.append((-score, n, key, claim))
        out: dict[tuple, KnownClaim] = {}
        taken: set[str] = set()
        for _score, _n, key, claim in sorted(pairs, key=lambda p: p[:2]):
            if key not in out and claim.id not in taken:
                out[key] = claim
                taken.add(claim.id)
        return out

    def _same_figures(self, found: list[FigureFound], claim: KnownClaim) -> bool:
        """A figure the sentence gives is one of the stored claim's: the same value for a period that
        can be the same days. 139,000 removed by April 29 is not 139,000 deported by April 28 as
        somebody else counted them only when the periods can agree."""
        for figure in found:
            period = figure.period
            start, end = (period.start, period.end) if period else (self.r.date, self.r.date)
            if not any(
                float(stored["value"]) == float(figure.value) and _may_agree(start, end, stored)
                for stored in claim.figures
            ):
                return False
        return True

    @staticmethod
    def _group_of_sentence(groups: dict[tuple, list[Attribution]], start: int) -> tuple | None:
        for key, attributions in groups.items():
            if any(a.sentence.start <= start < a.sentence.end for a in attributions):
                return key
        return None

    def _answers(self, claims: list[dict], known_claims: tuple[KnownClaim, ...]) -> None:
        """A denial answers the record's claim it denies: one this article reports again if there is
        one about the same agencies ("after reports that ..."), else the claim whose words it shares
        most. Left to the researcher when nothing is close enough."""
        for claim in claims:
            if claim["id"] in self.matched_claims or claim["kind"] != "denial":
                continue
            agencies = set(claim["agencies"])
            own = _claim_words(claim["text"])
            best, best_score = None, 0.0
            for known in known_claims:
                if known.kind == "denial" or not agencies & set(known.agencies):
                    continue
                theirs = _claim_words(known.text)
                if not theirs:
                    continue
                score = len(theirs & own) / len(theirs) + len(agencies & set(known.agencies)) / 10
                if known.id in self.matched_claims:
                    score += 1.0
                if score > best_score:
                    best, best_score = known, score
            if best is not None and (best.id in self.matched_claims or best_score >= 0.35):
                claim["answers"] = best.id

    def _avoid_taken(self, items: list[dict], section: str) -> None:
        """New ids must not be ids the record already uses: an import would overwrite that entity."""
        taken = self.r.known.taken(section, [i["id"] for i in items])
        if not taken:
            return
        renamed = {}
        for item in items:
            if item["id"] in taken:
                renamed[item["id"]] = _free_id(item["id"], taken)
                item["id"] = renamed[item["id"]]
        self.proposals[:] = [
            Proposal(p.section, renamed.get(p.key, p.key), p.label, p.spans, p.match, p.question)
            if p.section == section
            else p
            for p in self.proposals
        ]
        if section == "claims":
            self._renamed_claims = renamed

    def _claim_agencies(self, sentences, attributions: list[Attribution]) -> list[str]:
        r = self.r
        keys = [m.key for m in r.agency_mentions for s, e in sentences if s <= m.start < e]
        if not keys:
            for a in attributions:
                keys += [k for k in (a.speaker.affiliation, a.speaker.agency) if k]
        if not keys:
            paragraph = {a.paragraph for a in attributions}
            keys = [
                m.key
                for m in r.agency_mentions
                if (p := r.article.paragraph_at(m.start)) and p.number in paragraph
            ]
        return list(dict.fromkeys(keys))

    def _comments(self, propose: bool = True) -> list[dict]:
        r = self.r
        out = []
        for found in r.comments.values():
            item: dict = {"document": r.doc.key, "agency": found.agency}
            if r.date is not None:
                item["requested"] = _iso(r.date)
            item["response"] = found.response
            if found.text:
                item["response_text"] = found.text
            out.append(item)
            if propose:
                label = f"{r.agencies.refs[found.agency].label}: {found.response}"
                self.proposals.append(
                    Proposal(
                        "comment_requests", f"{r.doc.key}:{found.agency}", label, self.spans(found.spans)
                    )
                )
        return out


_CLAIM_STOP = frozenset(
    {
        *("that", "this", "with", "from", "have", "said", "says", "they", "their", "there", "about"),
        *("which", "would", "could", "into", "than", "them", "been", "were", "what", "when", "only"),
        *("also", "other", "more", "such", "most", "some", "will", "after", "before", "reported"),
        *("according", "citing", "people", "familiar", "matter", "earlier", "month", "week", "year"),
        *("told", "statement", "spokesperson", "official", "officials", "report", "reports"),
        *("department", "service", "agency", "office", "government"),
    }
)


_SAME_WORD = {"assist": "help", "aid": "help", "expel": "depor", "remov": "depor"}


def _claim_words(text: str, names: frozenset[str] = frozenset()) -> set[str]:
    """Content words without their endings, cut to five letters ("deported", "deportations"; the
    words of the agencies' names left out: the agencies are compared apart), numbers whole."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    out = set()
    for w in re.findall(r"[a-z0-9][a-z0-9'-]+", text):
        if w[0].isdigit():
            if len(w) >= 3:
                out.add(w)
            continue
        if len(w) < 4 or w in _CLAIM_STOP or w in names:
            continue
        stem = re.sub(r"(?:ing|ed|es|s)$", "", w) if len(w) > 5 else w
        out.add(_SAME_WORD.get(stem[:5], stem[:5]))
    return out


def _claim_score(
    text: str, agencies: list[str], lines: list[tuple[str, tuple]], claim: KnownClaim, names, rarity
) -> float | None:
    """How closely a sentence reports the record's claim again, or None when it does not: about an
    agency the claim is about, with most of the stored claim's content words, rarer words counting
    more (a number of three digits or more double, and none of the stored claim's numbers missing);
    the same source through the same report as one of the claim's lines counts too."""
    if not set(agencies) & set(claim.agencies):
        return None
    own = _claim_words(mask_quotes(text), names)
    theirs = _claim_words(claim.text, names)
    numbers = {w for w in theirs if w[0].isdigit()}
    if not theirs or (numbers and not numbers <= own):
        return None
    shared = theirs & own
    if len(shared - numbers) < 2:
        return None

    def weight(words) -> float:
        return sum(rarity(w) * (2 if w in numbers else 1) for w in words)

    score = weight(shared) / weight(theirs)
    stored = {(line["origin"], tuple(line.get("via") or ())) for line in claim.attributions}
    if any(line in stored for line in lines):
        score += 0.3
    return score if score >= 0.4 else None


def _may_agree(start: PartialDate | None, end: PartialDate | None, stored: dict) -> bool:
    try:
        a, b = PartialDate.parse(stored["period_start"]), PartialDate.parse(stored["period_end"])
    except (PartialDateError, TypeError):
        return False
    if start is None or end is None:
        return False
    return start.start <= a.end and a.start <= start.end and end.start <= b.end and b.start <= end.end


def known_figures(matched: dict[str, KnownClaim]) -> set[str]:
    return {f["id"] for claim in matched.values() for f in claim.figures}


def propose(
    text: str,
    *,
    outlet: str | None = None,
    published: str | None = None,
    url: str | None = None,
    known: KnownRecord | None = None,
) -> Draft:
    """Read an article (plain text or HTML) and propose a draft dossier. Never writes anything."""
    reader = _Reader(text, outlet, published, url, known or KnownRecord.empty())
    reader.read()
    writer = _Writer(reader)
    draft = writer.write()
    renamed = getattr(writer, "_renamed_claims", None)
    if renamed:
        for figure in draft.dossier.get("figures", []):
            figure["claim"] = renamed.get(figure["claim"], figure["claim"])
    return draft
