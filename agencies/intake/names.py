"""Agencies and outlets named in an article: every surface form (name, acronym, short form,
"the department", "the agency"), matched to the record first, then to the built-in gazetteer, and
new agencies where the text says whose part they are ("the Postal Service's Office of Inspector
General")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .gazetteer import AGENCIES, OUTLETS, normalise, slug
from .known import KnownRecord


@dataclass
class AgencyRef:
    key: str  # the id in the draft: the record's when matched
    name: str
    acronym: str
    kind: str
    parent: str | None = None
    website: str | None = None
    match: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    question: str | None = None

    @property
    def label(self) -> str:
        return self.acronym or self.name

    @property
    def is_department(self) -> bool:
        return self.kind == "executive_department"


@dataclass
class OutletRef:
    key: str
    name: str
    kind: str
    match: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    question: str | None = None


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    key: str


def _variants(name: str) -> set[str]:
    """The ways a full name is written: with or without 'The', 'U.S.' or 'United States'."""
    out = {name}
    for prefix in ("The ", "the "):
        if name.startswith(prefix):
            out.add(name[len(prefix) :])
    for value in list(out):
        for long, short in (("United States ", "U.S. "), ("U.S. ", "United States ")):
            if value.startswith(long):
                out.add(short + value[len(long) :])
                out.add(value[len(long) :])
    return {v for v in out if len(v) >= 3}


class AgencyIndex:
    """Every agency the proposer can recognise, and the mentions of them in one text."""

    def __init__(self, known: KnownRecord):
        self.refs: dict[str, AgencyRef] = {}
        self.forms: dict[str, str] = {}  # surface form -> key
        self.known_ids = known.ids("agencies")
        by_acronym = {a.acronym.upper(): a for a in known.agencies if a.acronym}
        by_name = {normalise(a.name): a for a in known.agencies}
        gazetteer_to_key: dict[str, str] = {}
        for agency in known.agencies:
            ref = AgencyRef(
                agency.id, agency.name, agency.acronym, agency.kind, agency.parent, match=agency.id
            )
            self.refs[agency.id] = ref
            self._add_forms(ref, ())
        for entry in AGENCIES:
            found = (entry.acronym and by_acronym.get(entry.acronym.upper())) or by_name.get(
                normalise(entry.name)
            )
            if found:
                gazetteer_to_key[entry.id] = found.id
                self._add_forms(self.refs[found.id], entry.short_forms)
        for entry in AGENCIES:
            if entry.id in gazetteer_to_key:
                continue
            key = self._free_key(entry.id)
            gazetteer_to_key[entry.id] = key
            ref = AgencyRef(key, entry.name, entry.acronym, entry.kind, entry.parent, entry.website)
            self.refs[key] = ref
            self._add_forms(ref, entry.short_forms)
        for ref in self.refs.values():
            if ref.match is None and ref.parent:
                ref.parent = gazetteer_to_key.get(ref.parent, ref.parent)
        self._pattern = None

    def _free_key(self, wanted: str) -> str:
        key, n = wanted, 2
        while key in self.refs or key in self.known_ids:
            key, n = f"{wanted}-{n}", n + 1
        return key

    def _add_forms(self, ref: AgencyRef, short_forms) -> None:
        for form in _variants(ref.name) | set(short_forms):
            self.forms.setdefault(form, ref.key)
        if ref.acronym and len(ref.acronym) >= 3 and ref.acronym.isupper():
            self.forms.setdefault(ref.acronym, ref.key)
        self._pattern = None

    def add_new(
        self,
        name: str,
        acronym: str,
        kind: str,
        parent: str | None,
        question: str,
        forms: tuple[str, ...] = (),
    ) -> AgencyRef:
        for ref in self.refs.values():
            if normalise(ref.name) == normalise(name):
                self._add_forms(ref, forms)
                return ref
        ref = AgencyRef(self._free_key(slug(acronym or name)), name, acronym, kind, parent, question=question)
        self.refs[ref.key] = ref
        self._add_forms(ref, forms)
        return ref

    def pattern(self) -> re.Pattern:
        if self._pattern is None:
            forms = sorted(self.forms, key=len, reverse=True)
            self._pattern = re.compile(
                r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])"
            )
        return self._pattern

    def find(self, text: str) -> list[Mention]:
        """Mentions by name, acronym or short form, then 'the department' / 'the agency'."""
        mentions = [
            Mention(m.start(), m.end(), self.forms[m.group(0)]) for m in self.pattern().finditer(text)
        ]
        # "Department of Homeland Security (DHS)": one mention, not two.
        generic = re.compile(r"\b[Tt]he\s+(department|agency|service|inspector general(?:['’]s office)?)\b")
        for match in generic.finditer(text):
            if any(m.start <= match.start() < m.end for m in mentions):
                continue
            before = [m for m in mentions if m.end <= match.start()]
            word = match.group(1).lower()
            for previous in reversed(before):
                ref = self.refs[previous.key]
                if word == "department" and ref.is_department:
                    mentions.append(Mention(match.start(), match.end(), ref.key))
                    break
                if word in ("agency", "service") and not ref.is_department and ref.kind != "executive_office":
                    mentions.append(Mention(match.start(), match.end(), ref.key))
                    break
                if word.startswith("inspector general") and "inspector general" in ref.name.lower():
                    mentions.append(Mention(match.start(), match.end(), ref.key))
                    break
        return sorted(mentions, key=lambda m: m.start)


_OFFICE_OF = re.compile(
    r"(?:the\s+)?(?P<parent>[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,5})['’]s\s+"
    r"(?P<office>Office\s+of\s+(?:the\s+)?Inspector\s+General|Office\s+of\s+[A-Z]\w+(?:\s+[A-Z]\w+){0,3})"
)
_PART_OF = re.compile(
    r"(?P<child>(?:[A-Z][\w.’'-]*\s+){1,5}(?:Agency|Administration|Bureau|Service|Office|Commission|Directorate))"
    r",?\s+(?:a\s+(?:component|unit|division|part)\s+of|part\s+of|which\s+is\s+(?:part\s+of|under)|within)\s+"
    r"(?:the\s+)?(?P<parent>[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,5})"
)


_LOCAL = re.compile(
    r"(?P<place>(?:[A-Z][a-z]+\s+){1,3}(?:County|City|Parish))\s+"
    r"(?P<office>[Ss]heriff['’]s\s+[Oo]ffice|[Pp]rosecutor['’]s\s+[Oo]ffice|[Pp]olice\s+[Dd]epartment|"
    r"[Dd]istrict\s+[Aa]ttorney['’]s\s+[Oo]ffice|[Jj]ail)"
)
_LOCAL_SHORT = re.compile(
    r"\b[Tt]he\s+(?P<office>sheriff['’]s\s+office|prosecutor['’]s\s+office|police\s+department)\b"
)
_PLACE = re.compile(r"\b(?P<place>(?:[A-Z][a-z]+\s+){1,3}(?:County|City|Parish))\b")


def find_local_agencies(text: str, index: AgencyIndex) -> None:
    """A county's or city's offices ("Macomb County prosecutor's office"; "the sheriff's office"
    once the text names the county): new agencies, with a question."""
    found = []
    for match in _LOCAL.finditer(text):
        found.append((" ".join(match.group("place").split()), match.group("office"), match.group(0)))
    place = _PLACE.search(text)
    for match in _LOCAL_SHORT.finditer(text):
        if place is not None:
            found.append(
                (" ".join(place.group("place").split()), match.group("office"), match.group("office"))
            )
    for where, office, form in found:
        office = " ".join(w.capitalize() if w not in ("of",) else w for w in office.replace("’", "'").split())
        kind = "law_enforcement" if re.search(r"Sheriff|Police|Jail", office) else "other"
        index.add_new(
            f"{where} {office}",
            "",
            kind,
            None,
            "A local agency, new to the record: check its name.",
            forms=(form, form[0].upper() + form[1:], form[0].lower() + form[1:]),
        )


def find_new_agencies(text: str, index: AgencyIndex) -> None:
    """Agencies the text names as part of another ("the Postal Service's Office of Inspector
    General"): proposed as new, with that parent, and a question."""
    find_local_agencies(text, index)
    for match in _OFFICE_OF.finditer(text):
        parent = _resolve(match.group("parent"), index)
        if parent is None:
            continue
        office = " ".join(match.group("office").split())
        name = f"{parent.label} {office}"
        acronym = "OIG" if "Inspector General" in office else ""
        index.add_new(
            name,
            f"{parent.label} {acronym}".strip() if acronym else "",
            "component",
            parent.key,
            f"New agency, under {parent.name} as the text says: check the name.",
            forms=(re.sub(r"^the\s+", "", match.group(0)), office),
        )
    for match in _PART_OF.finditer(text):
        child = " ".join(match.group("child").split())
        parent = _resolve(match.group("parent"), index)
        if parent is None or child in index.forms:
            continue
        index.add_new(
            child,
            "",
            "component",
            parent.key,
            f"New agency, part of {parent.name} as the text says.",
            forms=(child,),
        )


def _resolve(name: str, index: AgencyIndex) -> AgencyRef | None:
    for form in sorted(index.forms, key=len, reverse=True):
        if name.endswith(form):
            return index.refs[index.forms[form]]
    return None


class OutletIndex:
    def __init__(self, known: KnownRecord):
        self.refs: dict[str, OutletRef] = {}
        self.forms: dict[str, str] = {}
        self.weak: dict[str, str] = {}  # alias -> key, valid once the full name appeared
        self.known_ids = known.ids("outlets")
        by_name = {normalise(o.name): o for o in known.outlets}
        for outlet in known.outlets:
            ref = OutletRef(outlet.id, outlet.name, outlet.kind, match=outlet.id)
            self.refs[outlet.id] = ref
            for form in _variants(outlet.name):
                self.forms.setdefault(form, outlet.id)
        for entry in OUTLETS:
            found = by_name.get(normalise(entry.name))
            key = found.id if found else self._free_key(entry.id)
            if not found:
                self.refs[key] = OutletRef(key, entry.name, entry.kind)
            for form in _variants(entry.name) | set(entry.aliases):
                self.forms.setdefault(form, key)
            for alias in entry.weak_aliases:
                self.weak.setdefault(alias, key)

    def _free_key(self, wanted: str) -> str:
        key, n = wanted, 2
        while key in self.refs or key in self.known_ids:
            key, n = f"{wanted}-{n}", n + 1
        return key

    def named(self, name: str, kind: str | None = None) -> OutletRef:
        """The outlet called `name`: the record's or the gazetteer's, else a new one."""
        wanted = normalise(name)
        for ref in self.refs.values():
            if normalise(ref.name) == wanted:
                return ref
        if kind is None:
            kind = _outlet_kind(name)
        ref = OutletRef(
            self._free_key(slug(name)), name.strip(), kind, question="New outlet: check its name and kind."
        )
        self.refs[ref.key] = ref
        self.forms.setdefault(name, ref.key)
        return ref

    def for_agency(self, agency: AgencyRef) -> OutletRef:
        """Where an agency publishes (its website, its press releases): a government outlet."""
        name = normalise(agency.name)
        for ref in self.refs.values():
            if ref.kind == "government" and (
                normalise(ref.name) == name or normalise(ref.name).startswith(name + " press")
            ):
                return ref
        wanted = (
            "The White House press office"
            if agency.key == "white-house" or agency.name == "The White House"
            else agency.name
        )
        for ref in self.refs.values():
            if normalise(ref.name) == normalise(wanted) and ref.kind == "government":
                return ref
        ref = OutletRef(self._free_key(f"{agency.key}-press"), wanted, "government")
        self.refs[ref.key] = ref
        return ref

    def find(self, text: str) -> list[Mention]:
        forms = sorted(self.forms, key=len, reverse=True)
        pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])")
        mentions = [Mention(m.start(), m.end(), self.forms[m.group(0)]) for m in pattern.finditer(text)]
        seen = {m.key: m.start for m in reversed(mentions)}
        for alias, key in self.weak.items():
            for match in re.finditer(r"(?<![\w-])" + re.escape(alias) + r"(?![\w-])", text):
                if (
                    key in seen
                    and seen[key] < match.start()
                    and not any(m.start <= match.start() < m.end for m in mentions)
                ):
                    mentions.append(Mention(match.start(), match.end(), key))
        return sorted(mentions, key=lambda m: m.start)


def _outlet_kind(name: str) -> str:
    words = name.split()
    if any(
        w in ("University", "Institute", "Project", "College", "Lab", "Laboratory", "Center") for w in words
    ):
        return "academic"
    if any(
        w in ("Union", "Association", "Foundation", "Council", "Coalition", "Alliance", "League")
        for w in words
    ):
        return "ngo"
    if any(
        w in ("Department", "Agency", "Administration", "Bureau", "Service", "Office", "Committee")
        for w in words
    ):
        return "government"
    return "news"
