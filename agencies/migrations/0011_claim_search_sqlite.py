# Search on SQLite with PostgreSQL's syntax and results (issue 13): FTS5 tables over the texts the
# PostgreSQL GIN indexes of 0004 cover, kept by triggers on every write (services, the bulk importer,
# raw SQL alike), and filled from the rows already there. On PostgreSQL it does nothing.
#
# A copy of agencies.sqlite_search.schema_sql() and refill_sql() as they were written (migrations
# never import application code); tests/explorer/test_search_parity.py checks that they agree. When a
# later migration rebuilds one of these tables, SQLite drops its triggers: AgenciesConfig recreates
# them after every migrate (sqlite_search.search_tables_ensure).

from django.db import migrations

CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS \"agencies_claim_search\" USING fts5(body, tokenize = 'porter unicode61 remove_diacritics 0')",
    'CREATE TRIGGER IF NOT EXISTS "agencies_claim_search_insert" AFTER INSERT ON "agencies_claim" BEGIN INSERT INTO "agencies_claim_search"(rowid, body) VALUES (new."id", COALESCE(new."text", \'\')); END',
    'CREATE TRIGGER IF NOT EXISTS "agencies_claim_search_update" AFTER UPDATE OF "text" ON "agencies_claim" BEGIN DELETE FROM "agencies_claim_search" WHERE rowid = old."id"; INSERT INTO "agencies_claim_search"(rowid, body) VALUES (new."id", COALESCE(new."text", \'\')); END',
    'CREATE TRIGGER IF NOT EXISTS "agencies_claim_search_delete" AFTER DELETE ON "agencies_claim" BEGIN DELETE FROM "agencies_claim_search" WHERE rowid = old."id"; END',
    "CREATE VIRTUAL TABLE IF NOT EXISTS \"agencies_attribution_search\" USING fts5(body, tokenize = 'porter unicode61 remove_diacritics 0')",
    'CREATE TRIGGER IF NOT EXISTS "agencies_attribution_search_insert" AFTER INSERT ON "agencies_attribution" BEGIN INSERT INTO "agencies_attribution_search"(rowid, body) VALUES (new."id", COALESCE(new."quote", \'\')); END',
    'CREATE TRIGGER IF NOT EXISTS "agencies_attribution_search_update" AFTER UPDATE OF "quote" ON "agencies_attribution" BEGIN DELETE FROM "agencies_attribution_search" WHERE rowid = old."id"; INSERT INTO "agencies_attribution_search"(rowid, body) VALUES (new."id", COALESCE(new."quote", \'\')); END',
    'CREATE TRIGGER IF NOT EXISTS "agencies_attribution_search_delete" AFTER DELETE ON "agencies_attribution" BEGIN DELETE FROM "agencies_attribution_search" WHERE rowid = old."id"; END',
    "CREATE VIRTUAL TABLE IF NOT EXISTS \"agencies_document_search\" USING fts5(body, tokenize = 'porter unicode61 remove_diacritics 0')",
    'CREATE TRIGGER IF NOT EXISTS "agencies_document_search_insert" AFTER INSERT ON "agencies_document" BEGIN INSERT INTO "agencies_document_search"(rowid, body) VALUES (new."id", COALESCE(new."title", \'\')); END',
    'CREATE TRIGGER IF NOT EXISTS "agencies_document_search_update" AFTER UPDATE OF "title" ON "agencies_document" BEGIN DELETE FROM "agencies_document_search" WHERE rowid = old."id"; INSERT INTO "agencies_document_search"(rowid, body) VALUES (new."id", COALESCE(new."title", \'\')); END',
    'CREATE TRIGGER IF NOT EXISTS "agencies_document_search_delete" AFTER DELETE ON "agencies_document" BEGIN DELETE FROM "agencies_document_search" WHERE rowid = old."id"; END',
    "CREATE VIRTUAL TABLE IF NOT EXISTS \"agencies_source_search\" USING fts5(body, tokenize = 'porter unicode61 remove_diacritics 0')",
    'CREATE TRIGGER IF NOT EXISTS "agencies_source_search_insert" AFTER INSERT ON "agencies_source" BEGIN INSERT INTO "agencies_source_search"(rowid, body) VALUES (new."id", COALESCE(new."description", \'\') || \' \' || COALESCE(new."name", \'\')); END',
    'CREATE TRIGGER IF NOT EXISTS "agencies_source_search_update" AFTER UPDATE OF "description", "name" ON "agencies_source" BEGIN DELETE FROM "agencies_source_search" WHERE rowid = old."id"; INSERT INTO "agencies_source_search"(rowid, body) VALUES (new."id", COALESCE(new."description", \'\') || \' \' || COALESCE(new."name", \'\')); END',
    'CREATE TRIGGER IF NOT EXISTS "agencies_source_search_delete" AFTER DELETE ON "agencies_source" BEGIN DELETE FROM "agencies_source_search" WHERE rowid = old."id"; END',
    'DELETE FROM "agencies_claim_search"',
    'INSERT INTO "agencies_claim_search"(rowid, body) SELECT "id", COALESCE(agencies_claim."text", \'\') FROM "agencies_claim"',
    'DELETE FROM "agencies_attribution_search"',
    'INSERT INTO "agencies_attribution_search"(rowid, body) SELECT "id", COALESCE(agencies_attribution."quote", \'\') FROM "agencies_attribution"',
    'DELETE FROM "agencies_document_search"',
    'INSERT INTO "agencies_document_search"(rowid, body) SELECT "id", COALESCE(agencies_document."title", \'\') FROM "agencies_document"',
    'DELETE FROM "agencies_source_search"',
    'INSERT INTO "agencies_source_search"(rowid, body) SELECT "id", COALESCE(agencies_source."description", \'\') || \' \' || COALESCE(agencies_source."name", \'\') FROM "agencies_source"',
]

DROP = [
    'DROP TRIGGER IF EXISTS "agencies_attribution_search_delete"',
    'DROP TRIGGER IF EXISTS "agencies_attribution_search_insert"',
    'DROP TRIGGER IF EXISTS "agencies_attribution_search_update"',
    'DROP TRIGGER IF EXISTS "agencies_claim_search_delete"',
    'DROP TRIGGER IF EXISTS "agencies_claim_search_insert"',
    'DROP TRIGGER IF EXISTS "agencies_claim_search_update"',
    'DROP TRIGGER IF EXISTS "agencies_document_search_delete"',
    'DROP TRIGGER IF EXISTS "agencies_document_search_insert"',
    'DROP TRIGGER IF EXISTS "agencies_document_search_update"',
    'DROP TRIGGER IF EXISTS "agencies_source_search_delete"',
    'DROP TRIGGER IF EXISTS "agencies_source_search_insert"',
    'DROP TRIGGER IF EXISTS "agencies_source_search_update"',
    'DROP TABLE IF EXISTS "agencies_claim_search"',
    'DROP TABLE IF EXISTS "agencies_attribution_search"',
    'DROP TABLE IF EXISTS "agencies_document_search"',
    'DROP TABLE IF EXISTS "agencies_source_search"',
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in CREATE:
        schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in DROP:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        # 0004 in the plan; after 0008 here, so that this branch has one leaf.
        ("agencies", "0010_briefing_page_size"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
