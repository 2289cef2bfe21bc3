"""The proposer's small built-in knowledge: outlets, agencies and the short forms articles use for
them, and the words that make a title. The record (KnownRecord) comes first; these fill in what the
record does not have yet, so that a first article about an agency still gets a good proposal."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class OutletEntry:
    id: str
    name: str
    kind: str  # OutletKind
    aliases: tuple[str, ...] = ()
    # Aliases that only mean this outlet once its full name appeared ("The Post").
    weak_aliases: tuple[str, ...] = ()


OUTLETS = (
    OutletEntry(
        "washington-post", "The Washington Post", "news", ("Washington Post",), ("The Post", "the Post")
    ),
    OutletEntry("reuters", "Reuters", "wire"),
    OutletEntry("associated-press", "The Associated Press", "wire", ("Associated Press", "AP")),
    OutletEntry("afp", "Agence France-Presse", "wire", ("AFP",)),
    OutletEntry("usa-today", "USA Today", "news", ("USA TODAY",)),
    OutletEntry("new-york-times", "The New York Times", "news", ("New York Times",), ("The Times",)),
    OutletEntry(
        "wall-street-journal",
        "The Wall Street Journal",
        "news",
        ("Wall Street Journal", "WSJ"),
        ("The Journal",),
    ),
    OutletEntry("daily-beast", "The Daily Beast", "news", ("Daily Beast",)),
    OutletEntry("boston-globe", "The Boston Globe", "news", ("Boston Globe",), ("The Globe",)),
    OutletEntry("los-angeles-times", "Los Angeles Times", "news", ("LA Times", "L.A. Times")),
    OutletEntry("government-executive", "Government Executive", "news", ("GovExec",)),
    OutletEntry("bloomberg", "Bloomberg News", "news", ("Bloomberg",)),
    OutletEntry("politico", "Politico", "news", ("POLITICO",)),
    OutletEntry("axios", "Axios", "news"),
    OutletEntry("cnn", "CNN", "news"),
    OutletEntry("nbc-news", "NBC News", "news"),
    OutletEntry("abc-news", "ABC News", "news"),
    OutletEntry("cbs-news", "CBS News", "news"),
    OutletEntry("fox-news", "Fox News", "news"),
    OutletEntry("npr", "NPR", "news"),
    OutletEntry("the-guardian", "The Guardian", "news"),
    OutletEntry("propublica", "ProPublica", "news"),
    OutletEntry("the-intercept", "The Intercept", "news"),
    OutletEntry("the-hill", "The Hill", "news"),
    OutletEntry("newsweek", "Newsweek", "news"),
    OutletEntry("federal-news-network", "Federal News Network", "news"),
    OutletEntry("washington-examiner", "Washington Examiner", "news"),
)


@dataclass(frozen=True)
class AgencyEntry:
    id: str
    name: str
    acronym: str
    kind: str  # AgencyKind
    parent: str | None = None
    short_forms: tuple[str, ...] = ()
    website: str | None = None


AGENCIES = (
    AgencyEntry(
        "dhs",
        "Department of Homeland Security",
        "DHS",
        "executive_department",
        None,
        ("Homeland Security", "Homeland Security Department"),
        "https://www.dhs.gov/",
    ),
    AgencyEntry(
        "ice",
        "U.S. Immigration and Customs Enforcement",
        "ICE",
        "law_enforcement",
        "dhs",
        ("Immigration and Customs Enforcement",),
        "https://www.ice.gov/",
    ),
    AgencyEntry(
        "cbp",
        "U.S. Customs and Border Protection",
        "CBP",
        "law_enforcement",
        "dhs",
        ("Customs and Border Protection", "Border Patrol"),
    ),
    AgencyEntry(
        "uscis",
        "U.S. Citizenship and Immigration Services",
        "USCIS",
        "component",
        "dhs",
        ("Citizenship and Immigration Services",),
    ),
    AgencyEntry(
        "usps",
        "United States Postal Service",
        "USPS",
        "independent_agency",
        None,
        ("Postal Service", "U.S. Postal Service", "Post Office", "U.S. Post Office"),
        "https://www.usps.com/",
    ),
    AgencyEntry(
        "uspis",
        "United States Postal Inspection Service",
        "USPIS",
        "law_enforcement",
        "usps",
        ("Postal Inspection Service", "U.S. Postal Inspection Service", "Inspection Service"),
        "https://www.uspis.gov/",
    ),
    AgencyEntry(
        "white-house",
        "The White House",
        "WH",
        "executive_office",
        None,
        ("White House",),
        "https://www.whitehouse.gov/",
    ),
    AgencyEntry("doj", "Department of Justice", "DOJ", "executive_department", None, ("Justice Department",)),
    AgencyEntry("fbi", "Federal Bureau of Investigation", "FBI", "law_enforcement", "doj"),
    AgencyEntry("dea", "Drug Enforcement Administration", "DEA", "law_enforcement", "doj"),
    AgencyEntry("usms", "U.S. Marshals Service", "USMS", "law_enforcement", "doj", ("Marshals Service",)),
    AgencyEntry("irs", "Internal Revenue Service", "IRS", "component", "treasury"),
    AgencyEntry(
        "treasury", "Department of the Treasury", "", "executive_department", None, ("Treasury Department",)
    ),
    AgencyEntry("ssa", "Social Security Administration", "SSA", "independent_agency"),
    AgencyEntry(
        "state-department", "Department of State", "", "executive_department", None, ("State Department",)
    ),
    AgencyEntry(
        "dod",
        "Department of Defense",
        "DOD",
        "executive_department",
        None,
        ("Pentagon", "Defense Department"),
    ),
    AgencyEntry("fema", "Federal Emergency Management Agency", "FEMA", "component", "dhs"),
    AgencyEntry("tsa", "Transportation Security Administration", "TSA", "component", "dhs"),
    AgencyEntry("hhs", "Department of Health and Human Services", "HHS", "executive_department"),
    AgencyEntry("cbo", "Congressional Budget Office", "CBO", "other"),
    AgencyEntry("gao", "Government Accountability Office", "GAO", "other"),
)

# Agencies that the text names only by an adjective ("postal officials", "immigration officials").
ADJECTIVES = {"postal": "usps", "immigration": None, "border": "cbp"}

# Words that make a run of words a title ("Postmaster General", "USPS spokesperson", "border czar").
TITLE_WORDS = {
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "spokespeople",
    "secretary",
    "director",
    "czar",
    "president",
    "senator",
    "sen.",
    "rep.",
    "representative",
    "general",
    "commissioner",
    "chief",
    "administrator",
    "inspector",
    "researcher",
    "professor",
    "official",
    "officer",
    "attorney",
    "postmaster",
    "deputy",
    "acting",
    "assistant",
    "press",
    "adviser",
    "advisor",
    "aide",
    "analyst",
    "economist",
    "lawyer",
    "chair",
    "chairman",
    "chairwoman",
    "governor",
    "gov.",
    "mayor",
    "leader",
    "head",
    "executive",
    "manager",
    "counsel",
    "fellow",
    "scholar",
    "expert",
    "advocate",
    "founder",
    "vice",
    "ambassador",
    "judge",
    "sheriff",
    "lawmaker",
    "member",
    "coordinator",
    "strategist",
}
ABBREVIATED_TITLES = {
    "Sen.": "Senator",
    "Rep.": "Representative",
    "Gov.": "Governor",
    "Dr.": "Dr.",
    "Gen.": "General",
}

# Capitalised words that start no one's name.
NOT_NAMES = {
    "The",
    "A",
    "An",
    "This",
    "That",
    "These",
    "Those",
    "It",
    "Its",
    "In",
    "On",
    "At",
    "For",
    "But",
    "And",
    "Or",
    "As",
    "According",
    "Meanwhile",
    "Yet",
    "Still",
    "After",
    "Before",
    "When",
    "While",
    "If",
    "Since",
    "During",
    "Nobody",
    "We",
    "They",
    "He",
    "She",
    "I",
    "You",
    "Our",
    "Their",
    "His",
    "Her",
    "Congress",
    "House",
    "Senate",
    "Department",
    "Office",
    "Service",
    "Agency",
    "Bureau",
    "University",
    "Union",
    "Association",
    "Project",
    "Center",
    "Institute",
    "American",
    "Americans",
    "President",
    "Secretary",
    "Director",
    "Postmaster",
    "General",
    "Sen",
    "Rep",
    "Mr",
    "Ms",
    "Mrs",
    "Q",
    "Method",
    "About",
    "Correction",
    "Opinion",
    "Data",
    "Release",
    "Date",
    "Washington",
    "WASHINGTON",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Immigration",
    "Customs",
    "Homeland",
    "Security",
    "Postal",
    "Inspection",
    "Border",
    "Protection",
    "Enforcement",
    "Freedom",
    "Information",
    "Act",
    "White",
    "Federal",
    "National",
    "United",
    "States",
    "U.S.",
    "Justice",
    "One",
    "Two",
    "Three",
    "Part",
    "Nothing",
    "Letter",
    "Internal",
    "Senior",
    "Former",
    "Current",
    "Inspector",
    "Operations",
    "Removal",
    "Removals",
    "Post",
    "Daily",
    "Beast",
}

# Organisations other than agencies and outlets are recognised by their last word.
ORGANISATION_WORDS = (
    "Union",
    "Association",
    "Institute",
    "Center",
    "Centre",
    "Council",
    "Foundation",
    "Project",
    "Coalition",
    "Committee",
    "University",
    "Network",
    "Alliance",
    "League",
    "Federation",
    "Society",
    "Clinic",
    "Forum",
    "Lab",
    "Laboratory",
    "Trust",
)
ACADEMIC_WORDS = ("University", "Institute", "Project", "Center", "Centre", "Lab", "Laboratory", "College")


def normalise(name: str) -> str:
    """A name reduced for comparison: case, 'the', 'U.S.'/'United States', punctuation."""
    text = name.lower().replace("’", "'")
    text = re.sub(r"\bu\.\s?s\.(?=\s|$)|\bunited states\b|\bus\b", " us ", text)
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    words = [w for w in text.split() if w not in {"the", "us", "of", "s"}]
    return " ".join(words)


def slug(text: str, limit: int = 60) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower().replace("’", "").replace("'", "")).strip("-")
    if len(value) > limit:
        value = value[:limit].rsplit("-", 1)[0]
    return value or "item"
