"""Who said what: quotations and reported speech, each attributed to a speaker, with the chain it
came through (this article -> the report or briefing it came through -> the origin).

A quotation's speaker is the subject of the speech verb that governs it: the verb right after it
("..., the source said"), else the nearest one before it in the sentence ("X told The Post the
collaboration was "..."), else the nearest after it; a quotation with no verb of its own belongs to
the paragraph's speaker, and a paragraph that opens with an unattributed quotation continues the
previous one's (with a question).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agencies.core.dates import PartialDate

from .article import Article, Sentence
from .documents import DocRef, Documents, ReportMention
from .names import AgencyIndex, Mention, OutletIndex
from .periods import DATE, Context, find_dates
from .sources import SourceMention, SourceRef, Sources

SPEECH = re.compile(
    r"\b(?P<verb>said|says|say|told|tells|added|adds|wrote|writes|stated|announced|announces|explained|"
    r"argued|warned|vowed|pledged|promised|insisted|claimed|acknowledged|confirmed|denied|denies|"
    r"described|called|noted|suggested|suggests|show|shows|showed|revealed|reveals|indicate|indicates|"
    r"testified|asserted|contended|maintained|[Aa]ccording\s+to|citing)\b"
)
_NOT_SPEECH = re.compile(
    r"(?:declined\s+to|did\s+not|didn['’]t|refused\s+to|would\s+not|could\s+not|not\s+to)\s*$"
)
_QUOTES = re.compile(r"“(?P<a>[^”]+)”|\"(?P<b>[^\"\n]+)\"")
_X_DATE, _Y_DATE = (DATE.replace("?P<", f"?P<{p}_") for p in ("x", "y"))
_SPEECH_DOC = re.compile(
    rf"(?:during|at|in)\s+an?\s+(?:(?P<d1>{_X_DATE})\s+)?"
    r"(?P<briefing>press\s+briefing|news\s+conference|press\s+conference|briefing|gaggle|town\s+hall)"
    r"|(?P<reporters>told\s+reporters)|"
    rf"[Ii]n\s+an?\s+(?:(?P<d2>{_Y_DATE})\s+)?"
    r"(?P<release>press\s+release|news\s+release|statement|announcement)"
    r"(?!\s+to\s+(?:The\s+|the\s+)?[A-Z])"
    r"|[Ii]n\s+an?\s+(?:emailed\s+statement|(?P<email>e-?mail|text\s+message))"
)
_AUDIT = re.compile(
    r"\s*(?:an?|the)\s+(?P<what>audit|report|review|analysis|study|investigation|inspection)\s+(?:by|from)\s+"
)
DENIAL = re.compile(
    r"\b(?:denied|denies|deny|does\s+not|did\s+not|is\s+not|are\s+not|only\s+(?:the|what)|shares\s+only|false|untrue)\b"
)
INTENT = re.compile(r"\b(?:vowed|pledged|promised|plans?\s+to|will|intends?\s+to|getting\s+started)\b")
CHARACTERISATION = re.compile(
    r"\b(?:called|described|characteri[sz]ed|overreach|dragnet|scheme|most\s+secure)\b"
)


@dataclass
class Attribution:
    speaker: SourceRef
    paragraph: int
    sentence: Sentence
    quote: tuple[int, int] | None
    via: list[str] = field(default_factory=list)
    said_on: PartialDate | None = None
    question: str | None = None
    reported: bool = False  # reported speech, no quotation


@dataclass
class State:
    """What 'he', 'the source' and 'the union' point at, as the text goes."""

    last_singular: SourceRef | None = None
    last_group: SourceRef | None = None
    last_anonymous_one: SourceRef | None = None
    last_official: SourceRef | None = None
    last_organisation: SourceRef | None = None
    last_dataset: SourceRef | None = None
    last_speaker: SourceRef | None = None
    last_speaker_paragraph: int = 0
    reports_by_paragraph: dict[int, list[DocRef]] = field(default_factory=dict)

    def saw(self, ref: SourceRef) -> None:
        if ref.kind in ("person",) or (ref.kind == "official"):
            self.last_singular = ref
        if ref.kind == "official":
            self.last_official = ref
        if ref.kind == "anonymous":
            if (ref.count or 2) > 1:
                self.last_group = ref
            else:
                self.last_anonymous_one = ref
                self.last_singular = (
                    self.last_singular if self.last_singular and self.last_singular.kind == "person" else ref
                )
        if ref.kind == "organisation":
            self.last_organisation = ref
        if ref.kind == "dataset":
            self.last_dataset = ref

    def resolve(self, word: str) -> SourceRef | None:
        word = " ".join(word.split())
        if word in ("he", "she"):
            return self.last_singular
        if word == "they":
            return self.last_group or self.last_organisation
        if word == "the source":
            return self.last_anonymous_one or self.last_group
        if word in ("the sources",) or word.startswith("one of the"):
            return self.last_group
        if word.endswith(" official") or word.startswith("the spokes"):
            return self.last_official
        if word == "the data":
            return self.last_dataset
        if word.startswith("the "):
            return self.last_organisation
        return None


@dataclass(frozen=True)
class Subject:
    """A candidate speaker in a sentence: a source, a word pointing back, an agency or an outlet."""

    start: int
    end: int
    source: SourceRef | None = None
    word: str = ""
    agency: str | None = None
    outlet: str | None = None


def quotes_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Inner spans of the quotations in text[start:end], without the marks and a trailing comma."""
    out = []
    for match in _QUOTES.finditer(text, start, end):
        group = "a" if match.group("a") is not None else "b"
        s, e = match.span(group)
        while e > s and text[e - 1] in " ,;:":
            e -= 1
        if e > s:
            out.append((s, e))
    return out


class Speech:
    """Reads the speech in an article's sentences, one after the other."""

    def __init__(
        self,
        article: Article,
        context: Context,
        sources: Sources,
        agencies: AgencyIndex,
        outlets: OutletIndex,
        documents: Documents,
    ):
        self.article = article
        self.context = context
        self.sources = sources
        self.agencies = agencies
        self.outlets = outlets
        self.documents = documents
        self.state = State()
        self.attributions: list[Attribution] = []

    # --- speakers --------------------------------------------------------------------------------

    def agency_source(self, key: str, how: str = "") -> SourceRef:
        agency = self.agencies.refs[key]
        ref = SourceRef(
            key=f"{key}-official",
            kind="agency",
            agency=key,
            description=f"{agency.name}{', ' + how if how else ''}",
        )
        return self.sources.add(ref, f"agency:{key}")

    def _resolve(self, subject: Subject | None) -> SourceRef | None:
        if subject is None:
            return None
        if subject.source is not None:
            return subject.source
        if subject.word:
            return self.state.resolve(subject.word)
        if subject.agency:
            ref = self.agency_source(subject.agency)
            if (subject.start, subject.end) not in ref.spans:
                ref.spans.append((subject.start, subject.end))
            return ref
        return None

    def subjects(
        self,
        start: int,
        end: int,
        found: list[SourceMention],
        agency_mentions: list[Mention],
        outlet_mentions: list[Mention],
    ) -> list[Subject]:
        out = [Subject(m.start, m.end, m.source, m.word) for m in found]
        for mention in agency_mentions:
            if start <= mention.start < end and not any(s.start <= mention.start < s.end for s in out):
                out.append(Subject(mention.start, mention.end, agency=mention.key))
        for mention in outlet_mentions:
            if start <= mention.start < end and not any(s.start <= mention.start < s.end for s in out):
                out.append(Subject(mention.start, mention.end, outlet=mention.key))
        return sorted(out, key=lambda s: s.start)

    def verb_subject(
        self, masked: str, verb: re.Match, subjects: list[Subject], sentence: Sentence
    ) -> Subject | None:
        word = verb.group("verb")
        after = [s for s in subjects if s.start >= verb.end() and s.start - verb.end() <= 40]
        if word.startswith("according") or word == "citing":
            return after[0] if after else None
        head = masked[sentence.start : verb.start()]
        if re.search(r"[”\",]\s*$", head) and after and not masked[verb.end() : after[0].start].strip(" ,"):
            return after[0]  # "..., said Austin Kocher"
        closing = max(head.rfind("”"), head.rfind('"'))
        if closing != -1:
            between = [s for s in subjects if sentence.start + closing < s.start < verb.start()]
            if between:
                return between[0]  # "“...,” the source said"
        clause_start = sentence.start
        for marker in re.finditer(
            r";|\bthat\b|\bbut\b|\band\s+(?=[A-Z])|^[A-Z][^()]{0,60}\([^)]{1,40}\)\s+[-–—]\s+", head
        ):
            clause_start = sentence.start + marker.end()
        before = [s for s in subjects if clause_start <= s.start and s.end <= verb.start()]
        # "According to Reuters, ...": the attribution phrase is not the clause's subject.
        before = [
            s for s in before if not re.search(r"according\s+to\s+$", masked[max(0, s.start - 16) : s.start])
        ]
        if before:
            return before[0]
        if clause_start > sentence.start:
            earlier = [s for s in subjects if sentence.start <= s.start and s.end <= verb.start()]
            return earlier[0] if earlier else None
        return None

    # --- one sentence ----------------------------------------------------------------------------

    def _speakers(
        self, masked: str, sentence: Sentence, verbs: list, subjects: list, found: list[SourceMention]
    ) -> tuple[dict[int, SourceRef | None], dict[int, DocRef]]:
        """Who speaks through each speech verb (by its offset), and the audit an agency's
        "according to" names."""
        speakers: dict[int, SourceRef | None] = {}
        audits: dict[int, DocRef] = {}
        for verb in verbs:
            subject = self.verb_subject(masked, verb, subjects, sentence)
            according = verb.group("verb").lower().startswith("according")
            if according and subject and subject.agency:
                audit = self.audit(masked, verb.end(), subject.agency)
                if audit is not None:
                    audits[verb.start()] = audit
            if verb.group("verb") == "citing" and subject and subject.outlet:
                subject = None
            speakers[verb.start()] = self._resolve(subject)
            if subject and subject.outlet and according:
                # "according to the Post, two officials said": the officials speak. With nobody
                # else in the sentence, the outlet's report is the origin ("According to
                # Bloomberg News, the commissioner resigned").
                others = [m for m in found if m.source is not None and not m.source.outlet]
                if others or verb.start() != sentence.start:
                    speakers[verb.start()] = None
        return speakers, audits

    def _earlier_speaker(
        self, sentence: Sentence, out: list[Attribution], paragraph_start: bool
    ) -> tuple[SourceRef | None, str | None]:
        """For a quotation with no speech verb: the paragraph's last speaker, or at a paragraph's
        start the previous paragraph's (with a question); and the question to ask."""
        paragraph_speakers = [
            a.speaker for a in self.attributions + out if a.paragraph == sentence.paragraph and a.quote
        ]
        if paragraph_speakers:
            return paragraph_speakers[-1], None
        if (
            self.state.last_speaker
            and self.state.last_speaker_paragraph >= sentence.paragraph - 1
            and paragraph_start
        ):
            question = "No speaker in this paragraph: the quotation is given to the previous paragraph's."
            return self.state.last_speaker, question
        return None, None

    def read(
        self,
        sentence: Sentence,
        masked: str,
        found: list[SourceMention],
        agency_mentions: list[Mention],
        outlet_mentions: list[Mention],
        reports: list[ReportMention],
        paragraph_start: bool,
    ) -> list[Attribution]:
        body = self.article.body
        for mention in found:
            if mention.source is not None:
                self.state.saw(mention.source)
        subjects = self.subjects(sentence.start, sentence.end, found, agency_mentions, outlet_mentions)
        verbs = [
            v
            for v in SPEECH.finditer(masked, sentence.start, sentence.end)
            if not _NOT_SPEECH.search(masked[max(sentence.start, v.start() - 20) : v.start()])
        ]
        said_on = self._said_on(masked, sentence, verbs)
        speakers, audits = self._speakers(masked, sentence, verbs, subjects, found)
        out: list[Attribution] = []
        quotes = quotes_in(body, sentence.start, sentence.end)
        reporter_via = self._via_reports(reports)
        for quote in quotes:
            if re.search(
                r"mission\s+(?:is|statement\s+says)\b[^“\"]{0,40}[“\"]?\s*$",
                body[max(sentence.start, quote[0] - 80) : quote[0]],
            ):
                continue  # a stated mission (missions.py), not a claim
            verb = self._verb_for(masked, quote, verbs, sentence)
            speaker = speakers.get(verb.start()) if verb is not None else None
            question = None
            if speaker is None and verb is None:
                speaker, question = self._earlier_speaker(sentence, out, paragraph_start)
            if speaker is None:
                continue
            out.append(self._attribution(speaker, sentence, quote, reporter_via, said_on, masked, question))
        # Reported speech: a speech verb with a subject we know that governs no quotation
        # ("..., the newspaper reported, citing two people who ...").
        if not out or any(v.group("verb") == "citing" for v in verbs):
            quoted_speakers = {a.speaker.key for a in out}
            for verb in verbs:
                speaker = speakers.get(verb.start())
                if (
                    speaker is None
                    or verb.group("verb") in ("called", "described")
                    or speaker.key in quoted_speakers
                ):
                    continue
                via = [audits[verb.start()].key] if verb.start() in audits else reporter_via
                attribution = self._attribution(speaker, sentence, None, via, said_on, masked, None)
                attribution.reported = True
                out.append(attribution)
                break
        for attribution in out:
            attribution.speaker.used = True
            self.state.saw(attribution.speaker)
            self.state.last_speaker = attribution.speaker
            self.state.last_speaker_paragraph = sentence.paragraph
        self.attributions.extend(out)
        if reports:
            self.state.reports_by_paragraph.setdefault(sentence.paragraph, []).extend(
                r.document for r in reports
            )
        return out

    def turn(self, sentence: Sentence, speaker: SourceRef, quote: tuple[int, int]) -> Attribution:
        """A transcript's turn: the whole of it is the speaker's, verbatim."""
        attribution = Attribution(speaker, sentence.paragraph, sentence, quote, [], None)
        speaker.used = True
        self.attributions.append(attribution)
        self.state.last_speaker = speaker
        self.state.last_speaker_paragraph = sentence.paragraph
        return attribution

    def _verb_for(self, masked: str, quote: tuple[int, int], verbs: list[re.Match], sentence: Sentence):
        closing = quote[1]
        for verb in verbs:
            between = masked[closing : verb.start()]
            right_after = re.fullmatch(r"[,.]?[”\"]?[,]?\s*(?:[^,.;”\"]{0,60}\s)?", between)
            if verb.start() >= closing and right_after and "“" not in between and len(between) <= 80:
                return verb
        before = [v for v in verbs if v.end() <= quote[0]]
        if before:
            return before[-1]
        after = [v for v in verbs if v.start() >= closing]
        return after[0] if after else None

    def _said_on(self, masked: str, sentence: Sentence, verbs: list[re.Match]) -> PartialDate | None:
        dates = find_dates(masked, sentence.start, sentence.end, self.context)
        for verb in verbs:
            for date in dates:
                if 0 <= date.start - verb.end() <= 30 and date.date.day is not None:
                    return date.date
                if (
                    verb.start() > date.end
                    and verb.start() - date.end <= 40
                    and re.search(r"press\s+release|statement", masked[date.end : verb.start() + 60])
                ):
                    return date.date
        for date in dates:
            if re.search(r"(?:in\s+an?\s+)$", masked[max(0, date.start - 6) : date.start]) and date.date.day:
                return date.date
        if re.search(r"\btoday\b", masked[sentence.start : sentence.end]) and self.context.known:
            return PartialDate(
                self.context.reference.year, self.context.reference.month, self.context.reference.day
            )
        return None

    def _via_reports(self, reports: list[ReportMention]) -> list[str]:
        told = [r for r in reports if r.told]
        chosen = told or reports
        return [chosen[0].document.key] if chosen else []

    def _attribution(
        self,
        speaker: SourceRef,
        sentence: Sentence,
        quote,
        reporter_via: list[str],
        said_on,
        masked: str,
        question: str | None,
    ) -> Attribution:
        via = list(reporter_via)
        speech_doc = self._speech_document(speaker, sentence, masked, said_on)
        if not via and speech_doc is not None:
            via = [speech_doc.key]
        if not via and speaker.via and speaker.kind in ("anonymous", "official"):
            via = [speaker.via]
        if not via and speaker.speech_document and self.state.last_speaker is speaker:
            via = [speaker.speech_document]
        if not via:
            earlier = self.state.reports_by_paragraph.get(sentence.paragraph)
            if earlier:
                via = [earlier[-1].key]
        return Attribution(speaker, sentence.paragraph, sentence, quote, via, said_on, question)

    def _speech_document(self, speaker: SourceRef, sentence: Sentence, masked: str, said_on) -> DocRef | None:
        match = _SPEECH_DOC.search(masked, sentence.start, sentence.end)
        if match is None:
            return None
        dates = find_dates(masked, match.start(), match.end(), self.context)
        published = dates[0].date if dates else said_on
        if published is None and (match.group("release") or match.group("email")) and self.context.known:
            published = PartialDate(
                self.context.reference.year, self.context.reference.month, self.context.reference.day
            )
        if published is None:
            # "he told reporters during a press briefing": the day he said it, a paragraph earlier.
            for earlier in reversed(self.attributions):
                if (
                    earlier.speaker is speaker
                    and earlier.said_on
                    and earlier.paragraph >= sentence.paragraph - 1
                ):
                    published = earlier.said_on
                    break
        outlet = self._speaker_outlet(speaker)
        briefing = match.group("briefing") or match.group("reporters")
        email = match.group("email")
        kind = "transcript" if briefing else "other" if email else "press_release"
        what = "briefing" if briefing else "email" if email else "statement"
        # An email to the reporter is no release: a document of its own kind, by whoever wrote it.
        heading = "Press briefing by" if briefing else "Email from" if email else "Statement by"
        title = f"{heading} {speaker.label}" + (f", {published.display()}" if published else "")
        doc = self.documents.cite(
            f"{what}:{speaker.key}:{published or ''}",
            kind=kind,
            outlet=outlet,
            title=title,
            published=published,
            span=match.span(),
            hint=published,
        )
        if doc.match is None and published is None:
            doc.question = "When was this said? The text gives no date."
        speaker.speech_document = doc.key
        return doc

    def _speaker_outlet(self, speaker: SourceRef) -> str | None:
        if speaker.kind == "agency" and speaker.agency:
            return self.outlets.for_agency(self.agencies.refs[speaker.agency]).key
        if speaker.affiliation:
            return self.outlets.for_agency(self.agencies.refs[speaker.affiliation]).key
        if speaker.kind == "organisation":
            return self.outlets.named(speaker.name, "ngo").key
        if speaker.kind == "person" and self.state.last_organisation is not None:
            return self.outlets.named(self.state.last_organisation.name, "ngo").key
        return None

    def audit(self, masked: str, verb_end: int, agency_key: str) -> DocRef | None:
        """ "according to an audit by the inspector general": the audit, cited, by the agency."""
        match = _AUDIT.match(masked, verb_end)
        if not match:
            return None
        agency = self.agencies.refs[agency_key]
        outlet = self.outlets.for_agency(agency)
        return self.documents.cite(
            f"{match.group('what')}:{agency_key}",
            kind="report",
            outlet=outlet.key,
            title=f"{agency.name} {match.group('what')}",
            published=None,
            span=(verb_end, match.end()),
        )
