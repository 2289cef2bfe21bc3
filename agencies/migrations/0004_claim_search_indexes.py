# The claims explorer's indexes on PostgreSQL (issue 4). SQLite gets none: it searches by substring
# and its record is small.
#
# - GIN indexes over the expressions agencies.core.search.text_search matches. They must stay
#   exactly the expressions of agencies.core.search._TextMatch, or PostgreSQL stops using them
#   (tests/explorer/test_search.py checks the query plan).
# - The explorer's default order, newest first with undated claims last, so that a page of a large
#   record is read from the index instead of sorting every claim.
#
# Neither can be declared in a model's Meta without tying the models to PostgreSQL, so this
# migration creates them directly and the migration state does not know them.

from django.db import migrations

GIN = "USING gin (to_tsvector('english'::regconfig, {}))"
INDEXES = [
    ("claim_text_search", "agencies_claim", GIN.format("COALESCE(\"text\", '')")),
    ("attribution_quote_search", "agencies_attribution", GIN.format("COALESCE(\"quote\", '')")),
    ("document_title_search", "agencies_document", GIN.format("COALESCE(\"title\", '')")),
    (
        "source_description_search",
        "agencies_source",
        GIN.format("COALESCE(\"description\", '') || ' ' || COALESCE(\"name\", '')"),
    ),
    ("claim_newest_first", "agencies_claim", '("made" DESC NULLS LAST, "slug")'),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, definition in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" {definition}')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _definition in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0003_trust"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
