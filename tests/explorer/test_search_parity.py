"""The same search on both databases: SQLite's FTS5 (agencies.core.sqlite_search) takes
PostgreSQL's web-search syntax and finds what PostgreSQL finds.

- Every query of tests/explorer/search_corpus.py finds its listed claims on the database the suite runs on.
- On PostgreSQL (CI), a fresh SQLite database built in a subprocess with the same record (the seed and the
  corpus) answers every query, and more made from the seed's words, as PostgreSQL does.
- Anywhere, the SQLite triggers keep the search tables in step with every write, and a table rebuilt by a
  later migration gets its triggers back.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from agencies import models as m
from agencies.core import sqlite_search
from tests import factories as f
from tests.explorer.search_corpus import QUERIES, build_record, found

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[query for query, _ in QUERIES])
def test_each_query_finds_its_claims_on_this_database(query, expected):
    build_record()
    assert found(query) == expected


def seed_words() -> list[str]:
    """Words of the seed's claim texts, quotes, titles and sources: queries of one, two and minus words."""
    texts = [
        *m.Claim.objects.values_list("text", flat=True),
        *m.Attribution.objects.values_list("quote", flat=True),
        *m.Document.objects.values_list("title", flat=True),
        *m.Source.objects.values_list("description", flat=True),
    ]
    words = sorted({word.lower() for text in texts for word in re.findall(r"[A-Za-z][A-Za-z'-]{3,}", text)})
    return words


def test_sqlite_finds_what_postgresql_finds(postgres, tmp_path):
    call_command("load_seeds", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    build_record()
    words = seed_words()
    extra = [*words]
    extra += [f"{a} -{b}" for a, b in zip(words, words[7:], strict=False)]
    extra += [f"{a} or {b}" for a, b in zip(words, words[3:], strict=False)]
    extra += [  # the syntax's corners, as websearch_to_tsquery reads them
        "a or -deport mail",
        'mail -"covers data" or postal',
        "or mail or",
        '"unclosed postal phrase',
        "mail - covers",
        "--postal",
        "mail -or covers",
        'mail"postal service"',
        "mail or(",
        "mail or -postal",
        "-the -mail",
        "don't deport",
        "Service's mission",
        "U.S. Postal",
        "139,000",
        '"57,000 a month"',
    ]
    texts = m.Claim.objects.values_list("text", flat=True)
    extra += [f'"{" ".join(t.split()[1:4])}"' for t in texts]  # phrases from the claims
    done = subprocess.run(
        [sys.executable, "-m", "tests.explorer.search_corpus", str(tmp_path / "parity.sqlite3")],
        cwd=ROOT,
        input=json.dumps(extra),
        capture_output=True,
        text=True,
        check=True,
    )
    on_sqlite = json.loads(done.stdout.strip().splitlines()[-1])
    on_postgresql = {query: found(query) for query in on_sqlite}
    differ = {q: (on_postgresql[q], on_sqlite[q]) for q in on_sqlite if on_postgresql[q] != on_sqlite[q]}
    assert differ == {}, differ
    assert len(on_sqlite) > 100 and any(on_sqlite.values())


# --- The triggers ---------------------------------------------------------------------------------------


def raw_sqlite(path: Path) -> sqlite3.Connection:
    """A database file of its own with the source tables' searched columns and the search schema."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE agencies_claim (id INTEGER PRIMARY KEY, "text" TEXT);
        CREATE TABLE agencies_attribution (id INTEGER PRIMARY KEY, quote TEXT);
        CREATE TABLE agencies_document (id INTEGER PRIMARY KEY, title TEXT);
        CREATE TABLE agencies_source (id INTEGER PRIMARY KEY, description TEXT, name TEXT);
        """
    )
    for statement in sqlite_search.schema_sql():
        db.execute(statement)
    return db


def matching(db: sqlite3.Connection, query: str, table: str = "agencies_claim_search") -> list[int]:
    node = sqlite_search.parse(query)
    if node is None:
        return []
    sql, params = sqlite_search.match_sql(node, table, placeholder="?")
    return sorted(row[0] for row in db.execute(sql, params))


def test_triggers_keep_the_search_tables_in_step_with_every_write(tmp_path):
    db = raw_sqlite(tmp_path / "search.sqlite3")
    db.execute("""INSERT INTO agencies_claim (id, "text") VALUES (1, 'Mail covers'), (2, NULL)""")
    db.execute("INSERT INTO agencies_source (id, description, name) VALUES (5, 'a whistleblower', 'Jo Roe')")
    assert matching(db, "covers") == [1] and matching(db, "-covers") == [2]
    db.execute("""UPDATE agencies_claim SET "text" = 'Package tracking' WHERE id = 1""")
    assert matching(db, "covers") == [] and matching(db, "tracking") == [1]
    db.execute("""UPDATE agencies_claim SET "text" = 'Mail covers' WHERE id = 2""")
    db.execute("DELETE FROM agencies_claim WHERE id = 1")
    assert matching(db, "tracking") == [] and matching(db, "covers") == [2]
    assert matching(db, "whistleblower roe", "agencies_source_search") == [5]  # description and name
    db.execute("UPDATE agencies_source SET name = 'Al Poe' WHERE id = 5")
    assert matching(db, "roe", "agencies_source_search") == [] == matching(db, "the")


def test_the_migration_holds_the_schema_the_code_writes():
    from importlib import import_module

    migration = import_module("agencies.migrations.0011_claim_search_sqlite")
    assert [*sqlite_search.schema_sql(), *sqlite_search.refill_sql()] == migration.CREATE


@pytest.fixture
def on_sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite search tables exist on SQLite only (the subprocess test covers CI)")


def test_services_and_the_importer_are_searchable_at_once(on_sqlite):
    call_command("load_seeds", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert found('"senior DHS official"') and "uspis-enlisted" in found("deport -retracted")
    claim = f.ClaimFactory(slug="new", text="Parcels were weighed.")
    assert found("weigh") == ["new"]
    claim.text = "Letters were opened."
    claim.save()
    assert found("weigh") == [] and found("letter") == ["new"]
    claim.delete()
    assert found("letter") == []


@pytest.mark.django_db(transaction=True)  # SQLite alters tables outside a transaction only
def test_a_table_rebuilt_by_a_later_migration_gets_its_triggers_back(on_sqlite):
    with connection.schema_editor() as editor:  # as Django alters a column on SQLite: a new table
        old = m.Claim._meta.get_field("text")
        new = m.Claim._meta.get_field("text").clone()
        new.set_attributes_from_name("text")
        new.model = m.Claim
        editor._remake_table(m.Claim, alter_fields=[(old, new)])
    f.ClaimFactory(slug="after", text="Parcels were weighed.")
    assert found("weigh") == []  # the rebuild dropped the triggers
    assert sqlite_search.search_tables_ensure(connection) is True
    assert found("weigh") == ["after"]
    assert sqlite_search.search_tables_ensure(connection) is False  # nothing left to repair
