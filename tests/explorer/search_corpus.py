"""The record and the queries of the search parity tests, and the script that runs them on SQLite.

`python -m tests.explorer.search_corpus DB_FILE` migrates a fresh SQLite database there, builds the same
record and prints what each query finds, as JSON: the PostgreSQL suite compares it with its own.
"""

from __future__ import annotations

import json
import os
import sys

# (query, the claims it finds in the record below); the same on PostgreSQL and SQLite.
QUERIES: list[tuple[str, list[str]]] = [
    ('"senior DHS official"', ["tracking"]),
    ("deport -retracted", ["deporting"]),
    ("cover", ["covers", "phrase"]),  # "covers" and "cover" share a stem
    ("mail covers", ["covers", "phrase"]),  # every word, in any order
    ('"mail covers"', ["covers"]),  # a quoted phrase
    ("“mail covers”", ["covers"]),  # typographic quotes, as phones type them
    ("officials -tracking", ["covers"]),  # minus leaves out
    ("tracking or photographed", ["phrase", "quoted", "tracking"]),  # "photograph" in a quote
    ("TRACKING OR photographed", ["phrase", "quoted", "tracking"]),
    ("mail covers or tracking", ["covers", "phrase", "tracking"]),  # OR binds loosest
    ("the", []),  # only stop words: nothing to look for
    ("-the", []),
    ("the mail", ["covers", "phrase"]),  # stop words are dropped
    ('"the mail"', ["covers", "phrase"]),
    ("-retracted", ["covers", "deporting", "named", "phrase", "quoted", "titled", "tracking"]),
    ("-deport -mail", ["named", "quoted", "titled", "tracking"]),
    ("--deported", ["deported", "deporting"]),  # twice excluded
    ('deport -"139,000 people"', ["deporting"]),
    ('deport -"in May"', []),  # a stop word at a phrase's edge counts for nothing: -"May"
    ("(mail) & covers | x:* !photographed", []),  # operator characters are words' edges only
    ("parcels", ["quoted"]),  # a line's quote
    ("inspectors", ["titled"]),  # a document's title
    ("whistleblower", ["named"]),  # a source's description
    ("Postal whistleblower", ["named"]),  # a source's description and name together
    ("mail or", ["covers", "phrase"]),  # "or" at the end is a word (a stop word)
    ("immigrants", ["deporting"]),
    ("immigration", ["deporting"]),  # one stem
]

TEXTS = {
    "covers": "Officials want access to mail covers.",
    "tracking": "A senior DHS official wants package tracking data.",
    "phrase": "Covers of the mail were photographed.",
    "deported": "The administration deported 139,000 people in May, a retracted figure.",
    "deporting": "ICE is deporting immigrants faster than in May.",
}


def build_record() -> None:
    """The claims the queries look for: texts, and claims found only through a line."""
    from agencies import models as m
    from tests import factories as f

    for slug, text in TEXTS.items():
        f.ClaimFactory(slug=slug, text=text)
    quoted = f.ClaimFactory(slug="quoted", text="A claim found through its quote.")
    f.AttributionFactory(claim=quoted, quote="photograph every one of the parcels")
    titled = f.ClaimFactory(slug="titled", text="A claim found through its document.")
    f.AttributionFactory(claim=titled, document=f.DocumentFactory(title="Inspectors asked to help"))
    named = f.ClaimFactory(slug="named", text="A claim found through its source.")
    source = f.SourceFactory(
        kind=m.SourceKind.PERSON, name="Postal Worker", description="a whistleblower who spoke up"
    )
    f.AttributionFactory(claim=named, origin=source)


def found(query: str) -> list[str]:
    from django.http import QueryDict

    from agencies import models as m
    from agencies.core.filters import ClaimFilter

    data = QueryDict(mutable=True)
    data["q"] = query
    chosen = ClaimFilter(data, queryset=m.Claim.objects.all())
    assert chosen.is_valid(), chosen.errors
    return sorted(chosen.qs.values_list("slug", flat=True))


def main(database: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "oversight.test_settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    assert connection.vendor == "sqlite", connection.vendor
    call_command("migrate", verbosity=0)
    call_command("load_seeds", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    build_record()
    queries = [query for query, _expected in QUERIES] + json.loads(sys.stdin.read() or "[]")
    print(json.dumps({query: found(query) for query in queries}))


if __name__ == "__main__":
    main(sys.argv[1])
