"""Who speaks in an article: named people with their title and affiliation, unnamed officials,
anonymous groups with their count and the reason given, data sets, organisations and agencies, and
the words that point back at them ("the source", "the sources", "he", "the union").

Every mention is found first; a mention becomes a proposed source only when something is
attributed to it (statements.py), so that a name in passing ("his predecessor Joe Biden") is not
proposed as a source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .gazetteer import (
    ABBREVIATED_TITLES,
    NOT_NAMES,
    ORGANISATION_WORDS,
    TITLE_WORDS,
    normalise,
    slug,
)
from .known import KnownRecord, KnownSource
from .names import AgencyIndex, Mention

COUNTS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "another": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a dozen": 12,
}
VAGUE_COUNTS = {"several", "multiple", "a few", "some", "a number of", "numerous"}

ANONYMITY = re.compile(
    r"on\s+(?:the\s+)?condition\s+(?:of|that\s+\w+\s+not\s+be\s+named)(?:\s+of)?\s*(?:anonymity)?|"
    r"asked\s+not\s+to\s+be\s+(?:named|identified)|requested\s+anonymity|spoke\s+anonymously|"
    r"speaking\s+anonymously|declined\s+to\s+be\s+(?:named|identified)|insisted\s+on\s+anonymity|"
    r"granted\s+anonymity|familiar\s+with\s+(?:the\s+)?(?:matter|plans?|discussions|deliberations|"
    r"effort|program|arrangement|talks)|with\s+(?:direct\s+)?knowledge\s+of|briefed\s+on|close\s+to\s+the",
    re.IGNORECASE,
)
REASON = re.compile(
    r"(?:for\s+(?P<fear>fear\s+of\s+[^,.;]+)|because\s+(?:they|he|she|the\s+\w+)\s+(?:were|was|are|is)\s+"
    r"(?P<because>[^,.;]+)|because\s+of\s+(?P<of>[^,.;]+)|to\s+(?P<to>(?:discuss|describe|speak\s+about|talk\s+about)\s+[^,.;]+))",
    re.IGNORECASE,
)
_GROUP_NOUNS = (
    r"(?:people|persons|person|sources?|officials|individuals|employees|inspectors|officers|staffers|"
    r"agents|aides|insiders|workers|lawyers|advisers)"
)
_MODIFIERS = (
    r"(?:current|former|senior|top|administration|government|federal|postal|immigration|White\s+House|"
    r"U\.S\.|[A-Z]{2,6}|and|other|anonymous|congressional|law\s+enforcement)"
)
GROUP = re.compile(
    rf"\b(?P<count>[Oo]ne|[Tt]wo|[Tt]hree|[Ff]our|[Ff]ive|[Ss]ix|[Ss]even|[Ee]ight|[Nn]ine|[Tt]en|"
    rf"[Ss]everal|[Mm]ultiple|[Aa]\s+few|[Aa]\s+dozen|\d+|[Aa]n?)\s+"
    rf"(?P<desc>(?:{_MODIFIERS}\s+){{0,5}}{_GROUP_NOUNS})\b"
)
OFFICIAL = re.compile(
    rf"\b(?P<det>[Aa]n?|[Oo]ne|[Aa]nother)\s+(?P<desc>(?:{_MODIFIERS}\s+){{0,4}}"
    r"(?:official|spokesperson|spokesman|spokeswoman|aide|officer|employee|inspector|agent|adviser|staffer))\b"
)
_NAME_WORD = r"(?:[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?|[A-Z]\.)"
PERSON = re.compile(rf"\b(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,5}})\b")
ORGANISATION = re.compile(
    r"\b(?:[Tt]he\s+)?(?P<name>(?:[A-Z][\w'’&-]+\s+){0,5}(?:" + "|".join(ORGANISATION_WORDS) + r")"
    r"(?:\s+(?:of|for)\s+(?:[A-Z][\w'’-]+\s*){1,4})?)"
)
INTERNAL = re.compile(
    r"\b(?P<desc>(?:(?:a|an)\s+)?(?:[a-z]+\s+)?(?:emails|e-mails|documents?|records|memos?|messages|"
    r"files|filings?|letters?|notes)\s+(?:reviewed|obtained|seen)\s+by\s+(?P<outlet>(?:The\s+)?[A-Z0-9][\w.]*(?:\s+[A-Z][\w.]*){0,3}))"
)
UNCOUNTED = re.compile(
    r"(?:(?<=^)|(?<=[.;:,]\s)|(?<=according\sto\s)|(?<=citing\s))"
    r"(?P<noun>[Pp]eople|[Oo]fficials|[Ss]ources|[Pp]ersons)\s+"
    r"(?P<marker>familiar\s+with\s+(?:the\s+)?\w+|briefed\s+on\s+(?:the\s+)?\w+|with\s+knowledge\s+of\s+(?:the\s+)?\w+|"
    r"close\s+to\s+(?:the\s+)?\w+)",
    re.MULTILINE,
)
ANAPHORA = re.compile(
    r"\b(?P<word>[Tt]he\s+sources|[Tt]he\s+source|[Oo]ne\s+of\s+the\s+(?:officials|people|sources)|"
    r"[Tt]he\s+(?:former\s+|senior\s+)?official|[Tt]he\s+spokes(?:person|man|woman)|[Tt]he\s+(?:union|group|organi[sz]ation|"
    r"association|coalition|university)|[Tt]he\s+data|(?<![\w’'])(?:[Hh]e|[Ss]he|[Tt]hey)(?![\w’']))"
)
_PRESIDENT_AFFILIATION = re.compile(r"\b(?:Trump|Biden|the\s+president|the\s+administration)['’]s\b")
_TITLE_AFFILIATIONS = {
    "postmaster general": "usps",
    "border czar": "white-house",
    "press secretary": "white-house",
}


@dataclass
class SourceRef:
    key: str
    kind: str
    description: str = ""
    count: int | None = None
    reason: str = ""
    granted_by: str | None = None
    name: str = ""
    title: str = ""
    affiliation: str | None = None
    agency: str | None = None
    outlet: str | None = None
    document: str | None = None
    match: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    question: str | None = None
    used: bool = False
    via: str | None = None  # the report the source was introduced through
    speech_document: str | None = None  # a briefing or statement the source spoke in

    @property
    def surname(self) -> str:
        return self.name.split()[-1] if self.name else ""

    @property
    def label(self) -> str:
        if self.name:
            return f"{self.name}, {self.title}" if self.title else self.name
        return self.description or self.key


@dataclass(frozen=True)
class SourceMention:
    start: int
    end: int
    source: SourceRef | None  # None for a pronoun or a word pointing back
    word: str = ""  # the anaphor: "he", "the source", ...


def mask_quotes(text: str) -> str:
    """The text with every quotation replaced by spaces of the same length (offsets unchanged)."""
    return _QUOTE.sub(lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], text)


_QUOTE = re.compile(r"“[^”]*”|\"[^\"\n]*\"")


class Sources:
    """The registry of an article's sources, matched to the record's."""

    def __init__(self, known: KnownRecord, agencies: AgencyIndex):
        self.known = known
        self.agencies = agencies
        self.by_key: dict[str, SourceRef] = {}
        self.taken = known.ids("sources")

    def _key(self, wanted: str) -> str:
        wanted = slug(wanted)
        key, n = wanted, 2
        while key in self.by_key or key in self.taken:
            key, n = f"{wanted}-{n}", n + 1
        return key

    def _match(self, ref: SourceRef) -> KnownSource | None:
        for known in self.known.sources:
            if known.kind != ref.kind:
                continue
            if ref.kind == "person" and normalise(known.name) == normalise(ref.name):
                return known
            same_surname = known.name and ref.surname and known.name.split()[-1] == ref.surname
            if ref.kind == "person" and same_surname and ref.name.split()[0][0] == known.name.split()[0][0]:
                return known
            if ref.kind == "organisation" and normalise(known.name) == normalise(ref.name):
                return known
            if ref.kind == "agency" and known.agency == ref.agency:
                return known
            if ref.kind == "official" and normalise(known.description) == normalise(ref.description):
                return known
            if ref.kind == "dataset" and normalise(_dataset_label(known.description)) == normalise(
                ref.description
            ):
                return known
            if (
                ref.kind == "anonymous"
                and known.count == ref.count
                and ref.granted_by
                and known.granted_by == ref.granted_by
            ):
                return known
        return None

    def add(self, ref: SourceRef, identity: str) -> SourceRef:
        """The source with this identity, created once per article; matched to the record's."""
        for existing in self.by_key.values():
            if getattr(existing, "_identity", None) == identity:
                return existing
        known = self._match(ref)
        if known is not None:
            ref.key, ref.match = known.id, known.id
            ref.name = known.name or ref.name
            ref.title = known.title or ref.title
            ref.description = known.description or ref.description
            ref.affiliation = known.affiliation or ref.affiliation
            ref.reason = known.reason or ref.reason
            ref.granted_by = known.granted_by or ref.granted_by
            ref.document = known.document or ref.document
            ref.count = known.count if known.count is not None else ref.count
        else:
            ref.key = self._key(ref.key)
        ref._identity = identity  # type: ignore[attr-defined]
        self.by_key[ref.key] = ref
        return ref

    def rematch_anonymous(self, ref: SourceRef) -> None:
        """An anonymous group whose granting document became known after it was first seen."""
        if ref.match or ref.kind != "anonymous":
            return
        known = self._match(ref)
        if known is not None and known.id not in self.by_key:
            del self.by_key[ref.key]
            ref.key = ref.match = known.id
            ref.description, ref.reason = known.description or ref.description, known.reason or ref.reason
            self.by_key[ref.key] = ref


def _dataset_label(description: str) -> str:
    match = re.match(r"(?:data\s+from\s+(?:the\s+)?)?(\S+)", description or "", re.IGNORECASE)
    return f"{match.group(1)} data" if match else description


def _title_before(text: str, start: int, lower: int) -> tuple[str, int]:
    """The title written just before a name ("Secretary of Homeland Security Kristi Noem")."""
    tokens = list(re.finditer(r"[\w.’'&-]+", text[lower:start]))
    kept: list[re.Match] = []
    stop = {
        "the",
        "a",
        "an",
        "said",
        "says",
        "told",
        "and",
        "or",
        "by",
        "to",
        "with",
        "from",
        "that",
        "who",
        "as",
        "his",
        "her",
        "their",
        "its",
        "on",
        "in",
        "at",
        "for",
        "called",
        "wrote",
    }
    for token in reversed(tokens):
        word = token.group(0)
        between = text[lower + token.end() : lower + (kept[-1].start() if kept else start - lower)]
        if between.strip():
            break  # punctuation between: not the same phrase
        if word.lower() == "of" and kept and kept[-1].group(0)[0].isupper():
            kept.append(token)
            continue
        if word.lower() in stop:
            break
        if (
            word.lower() in TITLE_WORDS
            or word[0].isupper()
            or (kept and kept[-1].group(0).lower() in TITLE_WORDS)
        ):
            kept.append(token)
            continue
        break
    while kept and kept[-1].group(0).lower() == "of":
        kept.pop()
    if not kept or not any(t.group(0).lower() in TITLE_WORDS for t in kept):
        return "", start
    first = kept[-1]
    title = text[lower + first.start() : start].strip()
    return ABBREVIATED_TITLES.get(title, title), lower + first.start()


_APPOSITION = re.compile(r",\s+(?:(?:a|an|the)\s+)?(?P<title>[^,.;()]{3,160}?)(?:,|\.(?=\s|$)|;)")


def _title_after(text: str, end: int) -> tuple[str, int]:
    """An apposition after a name: "Tom Homan, Trump's border czar," -> "Trump's border czar"."""
    match = _APPOSITION.match(text, end)
    if not match:
        paren = re.match(r"\s*\((?P<p>[A-Z]-[A-Z][a-z]+\.?)\)", text[end:])
        return (f"({paren.group('p')})", end + paren.end()) if paren else ("", end)
    title = match.group("title").strip()
    words = re.findall(r"[\w.’'-]+", title.lower())
    if not any(w in TITLE_WORDS for w in words[:8]) or re.match(r"(?:who|which|whose|said|says)\b", title):
        return "", end
    return title, match.end() - (1 if match.group(0).endswith(",") else 0)


def find_sources(
    text: str,
    start: int,
    end: int,
    registry: Sources,
    agency_mentions: list[Mention],
    outlet_mentions: list[Mention],
    *,
    granted_by: str | None,
    via: str | None,
    persons: dict[str, SourceRef],
    masked: str | None = None,
) -> list[SourceMention]:
    """The source mentions in text[start:end] (quotes masked), registered in `registry`.
    `masked`: the whole text with its quotations masked (mask_quotes), computed once."""
    finder = _SourceFinder(
        text=text,
        masked=masked if masked is not None else mask_quotes(text),
        start=start,
        end=end,
        registry=registry,
        agency_mentions=agency_mentions,
        outlet_mentions=outlet_mentions,
        granted_by=granted_by,
        via=via,
        persons=persons,
    )
    # In this order: a span taken by one kind of mention is not read again as another.
    finder.anonymous_groups()
    finder.uncounted_groups()
    finder.officials()
    finder.people()
    finder.surnames()
    finder.datasets()
    finder.organisations()
    finder.anaphora()
    return sorted(finder.out, key=lambda m: m.start)


@dataclass
class _SourceFinder:
    """One passage of find_sources: what it reads, and the mentions found so far."""

    text: str
    masked: str
    start: int
    end: int
    registry: Sources
    agency_mentions: list[Mention]
    outlet_mentions: list[Mention]
    granted_by: str | None
    via: str | None
    persons: dict[str, SourceRef]
    out: list[SourceMention] = field(default_factory=list)

    @property
    def agencies(self) -> AgencyIndex:
        return self.registry.agencies

    def covered(self, s: int, e: int) -> bool:
        return any(m.start < e and s < m.end for m in self.out)

    def named_elsewhere(self, s: int, e: int) -> bool:
        """Whether masked[s:e] overlaps an agency or an outlet mention."""
        return any(m.start < e and s < m.end for m in self.agency_mentions + self.outlet_mentions)

    def agency_in(self, s: int, e: int) -> str | None:
        """The agency a mention at masked[s:e] speaks for: named in it, or said by its title."""
        masked, agencies, agency_mentions = self.masked, self.agencies, self.agency_mentions
        inside = [m for m in agency_mentions if s <= m.start and m.end <= e]
        if inside:
            return inside[0].key
        if _PRESIDENT_AFFILIATION.search(masked, s, e):
            return agencies.forms.get("White House")
        lowered = masked[s:e].lower()
        for words, key in _TITLE_AFFILIATIONS.items():
            if words in lowered:
                return (
                    agencies.forms.get("White House") if key == "white-house" else _acronym_key(agencies, key)
                )
        if "postal" in lowered:
            return _acronym_key(agencies, "usps")
        if re.search(r"\b(?:department|agency)\b", lowered):
            # "department spokesperson Chad Gilmartin": the department last named.
            word = "department" if "department" in lowered else "agency"
            for mention in reversed([m for m in agency_mentions if m.end <= s]):
                ref = agencies.refs[mention.key]
                if ref.is_department == (word == "department"):
                    return ref.key
        return None

    def anonymous_groups(self) -> None:
        """Anonymous groups: a count, a noun, and a sign of anonymity in the same sentence."""
        for match in GROUP.finditer(self.masked, self.start, self.end):
            sentence_rest = self.masked[match.end() : _sentence_end(self.masked, match.end(), self.end)]
            marker = ANONYMITY.search(sentence_rest[:220])
            noun = match.group("desc").split()[-1]
            if marker is None and "anonymous" not in match.group("desc"):
                continue
            count_word = match.group("count").lower()
            count = COUNTS.get(count_word) or (int(count_word) if count_word.isdigit() else None)
            if count is None and count_word not in VAGUE_COUNTS:
                continue
            if noun in ("official", "person", "source", "inspector") and count is None:
                continue
            clause = sentence_rest[: marker.end()] if marker else ""
            reason_match = (
                REASON.search(sentence_rest[: (marker.end() if marker else 0) + 160]) if marker else None
            )
            reason = ""
            if reason_match:
                reason = next(g for g in reason_match.groups() if g).strip()
                reason = re.sub(r"^(?:not\s+authori[sz]ed)", "not authorized", reason)
            description = self.text[match.start() : match.end()]
            if (
                clause
                and not clause.lstrip().startswith(",")
                and re.match(r"\s+(?:who|familiar|with|close|briefed)", clause)
            ):
                description += clause.rstrip(" ,")
            description = re.split(r",\s|\s+(?:for\s+fear|because)\b", description)[0].strip()
            description = description[0].lower() + description[1:]
            mention_end = match.end() + (marker.end() if marker else 0)
            ref = SourceRef(
                key=f"{count or 'several'}-{noun}",
                kind="anonymous",
                description=description,
                count=count,
                reason=reason,
                granted_by=self.granted_by,
                affiliation=self.agency_in(match.start(), match.end()),
            )
            if count is None:
                ref.question = "The text does not say how many people this is."
            ref = self.registry.add(ref, f"anonymous:{normalise(description)}:{self.granted_by}")
            ref.via = ref.via or self.via
            ref.spans.append((match.start(), mention_end))
            self.out.append(SourceMention(match.start(), mention_end, ref))

    def uncounted_groups(self) -> None:
        """Groups without a count: "People briefed on the matter said ..."."""
        for match in UNCOUNTED.finditer(self.masked, self.start, self.end):
            if self.covered(match.start(), match.end()):
                continue
            description = self.text[match.start() : match.end()]
            description = description[0].lower() + description[1:]
            ref = SourceRef(
                key=f"{match.group('noun').lower()}-{slug(match.group('marker'))[:30]}",
                kind="anonymous",
                description=description,
                granted_by=self.granted_by,
            )
            ref.question = "The text does not say how many people this is."
            ref = self.registry.add(ref, f"anonymous:{normalise(description)}:{self.granted_by}")
            ref.via = ref.via or self.via
            ref.spans.append(match.span())
            self.out.append(SourceMention(match.start(), match.end(), ref))

    def officials(self) -> None:
        """Unnamed officials, one at a time ("a senior DHS official")."""
        for match in OFFICIAL.finditer(self.masked, self.start, self.end):
            if self.covered(match.start(), match.end()):
                continue
            after = self.masked[match.end() : match.end() + 60]
            if re.match(r",?\s+[A-Z][a-z]+\s+[A-Z][a-z]+", after):
                continue  # "A USPS spokesperson, David Partenheimer," is a named person
            description = self.text[match.start() : match.end()]
            description = description[0].lower() + description[1:]
            affiliation = self.agency_in(match.start(), match.end())
            rest = self.masked[match.end() : _sentence_end(self.masked, match.end(), self.end)]
            marker = ANONYMITY.search(rest[:200])
            reason_match = REASON.search(rest[: marker.end() + 160]) if marker else None
            reason = next(g for g in reason_match.groups() if g).strip() if reason_match else ""
            ref = SourceRef(
                key=description.split(" ", 1)[1],
                kind="official",
                description=description,
                affiliation=affiliation,
                reason=reason,
                granted_by=self.granted_by if reason else None,
            )
            ref = self.registry.add(ref, f"official:{normalise(description)}")
            ref.via = ref.via or self.via
            mention_end = match.end() + (marker.end() if marker else 0)
            ref.spans.append((match.start(), mention_end))
            self.out.append(SourceMention(match.start(), mention_end, ref))

    def people(self) -> None:
        """Named people, with the title before or after the name."""
        for match in PERSON.finditer(self.masked, self.start, self.end):
            words = match.group("name").split()
            while words and (
                words[0] in NOT_NAMES or words[0].rstrip(".") in ("Sen", "Rep", "Mr", "Ms", "Dr", "Gov")
            ):
                words = words[1:]
            if len(words) < 2 or words[-1] in NOT_NAMES or any(w in ORGANISATION_WORDS for w in words):
                continue
            words = words[-3:] if len(words) > 3 else words
            offset = (
                match.group("name").index(" ".join(words)) if " ".join(words) in match.group("name") else 0
            )
            name_start = match.start() + offset
            name_end = match.end()
            if self.named_elsewhere(name_start, name_end) or self.covered(name_start, name_end):
                continue
            name = " ".join(words)
            title, title_start = _title_before(self.masked, name_start, max(self.start, name_start - 80))
            after, span_end = _title_after(self.masked, name_end)
            if not title:
                pre = re.search(
                    r"(?:^|[.;]\s|\s)(?:[Aa]n?|[Tt]he)\s+(?P<t>[^,.;]{3,60}),\s*$",
                    self.masked[max(self.start, name_start - 70) : name_start],
                )
                if pre and any(w.lower() in TITLE_WORDS for w in pre.group("t").split()):
                    title, title_start = pre.group("t"), max(self.start, name_start - 70) + pre.start("t")
            if after and not after.startswith("("):
                title = title or after
            elif after.startswith("("):
                title = f"{title} {after}".strip()
            ref = SourceRef(
                key=name,
                kind="person",
                name=name,
                title=title.strip(),
                affiliation=self.agency_in(title_start, span_end) if title else None,
            )
            ref = self.registry.add(ref, f"person:{words[-1]}")
            if title and not ref.title:
                ref.title = title.strip()
            self.persons[words[-1]] = ref
            ref.spans.append((name_start, name_end))
            self.out.append(SourceMention(min(title_start, name_start), max(span_end, name_end), ref))

    def surnames(self) -> None:
        """A surname alone, for someone already named ("Trump, who has vowed ..."; "Homan said")."""
        for surname, ref in list(self.persons.items()):
            for match in re.compile(rf"(?<![\w-]){re.escape(surname)}(?![\w-])").finditer(
                self.masked, self.start, self.end
            ):
                if self.covered(match.start(), match.end()):
                    continue
                if re.match(
                    r"(?:['’]s|\s+administration|\s+White\s+House)",
                    self.masked[match.end() : match.end() + 16],
                ):
                    continue
                self.out.append(SourceMention(match.start(), match.end(), ref))

    def datasets(self) -> None:
        """Data sets: "DHS data", "data from the U.S. Immigration and Customs Enforcement", internal ones."""
        for match in _dataset_pattern(self.agencies).finditer(self.masked, self.start, self.end):
            key = self.agencies.forms.get(match.group("a1") or match.group("a2") or match.group("a3"))
            if key is None or self.covered(match.start(), match.end()):
                continue
            agency = self.agencies.refs[key]
            description = f"{agency.label} data"
            ref = self.registry.add(
                SourceRef(key=f"{agency.key}-data", kind="dataset", description=description), f"dataset:{key}"
            )
            ref.spans.append((match.start(), match.end()))
            self.out.append(SourceMention(match.start(), match.end(), ref))
        for match in INTERNAL.finditer(self.masked, self.start, self.end):
            description = " ".join(self.text[match.start("desc") : match.end("desc")].split()).rstrip(".")
            words = [w for w in description.split() if w.lower() not in ("a", "an")]
            ref = self.registry.add(
                SourceRef(key=slug(" ".join(words[:2])), kind="dataset", description=description),
                f"dataset:{normalise(description)}",
            )
            ref.spans.append(match.span())
            self.out.append(SourceMention(match.start(), match.end(), ref))

    def organisations(self) -> None:
        """Organisations (created when they speak)."""
        for match in ORGANISATION.finditer(self.masked, self.start, self.end):
            name = match.group("name").strip()
            if self.covered(match.start(), match.end()) or self.named_elsewhere(match.start(), match.end()):
                continue
            if len(name.split()) < 2:
                continue
            ref = self.registry.add(
                SourceRef(key=name, kind="organisation", name=name), f"organisation:{normalise(name)}"
            )
            ref.spans.append((match.start("name"), match.end("name")))
            self.out.append(SourceMention(match.start(), match.end(), ref))

    def anaphora(self) -> None:
        """Words that point back to a source ("the spokesperson"): resolved later."""
        for match in ANAPHORA.finditer(self.masked, self.start, self.end):
            if self.covered(match.start(), match.end()):
                continue
            self.out.append(SourceMention(match.start(), match.end(), None, match.group("word").lower()))


def _acronym_key(agencies: AgencyIndex, acronym: str) -> str | None:
    return agencies.forms.get(acronym.upper())


def _dataset_pattern(agencies: AgencyIndex) -> re.Pattern:
    cached = getattr(agencies, "_dataset_pattern", None)
    if cached is not None and cached[0] == len(agencies.forms):
        return cached[1]
    forms = "|".join(re.escape(f) for f in sorted(agencies.forms, key=len, reverse=True))
    pattern = re.compile(
        rf"\b(?:(?:[Dd]ata|[Ff]igures|[Ss]tatistics|[Nn]umbers|[Rr]ecords)\s+(?:from|released\s+by|published\s+by|compiled\s+by|"
        rf"provided\s+by|obtained\s+from)\s+(?:the\s+)?(?P<a1>{forms})(?![\w-])|(?<![\w-])(?P<a2>{forms})(?:['’]s)?\s+"
        rf"(?:own\s+)?(?:data|figures|statistics|records)\b"
        # "figures U.S. Customs and Border Protection shared with KGNS"
        rf"|(?:[Dd]ata|[Ff]igures|[Ss]tatistics|[Nn]umbers|[Rr]ecords)\s+(?:that\s+)?(?:the\s+)?(?P<a3>{forms})"
        r"\s+(?:shared|gave|provided|released|sent|supplied)\b)"
    )
    agencies._dataset_pattern = (len(agencies.forms), pattern)
    return pattern


def _sentence_end(text: str, at: int, limit: int) -> int:
    match = re.search(r"[.!?](?:\s|$)", text[at:limit])
    return at + match.end() if match else limit
