"""Full-text search over the record: one place for it.

Which claims a term finds: those whose text, a quote of one of their lines, the title of a document a
line appears in or passed through, or the description or name of a line's origin matches. On
PostgreSQL to_tsvector/websearch_to_tsquery over GIN expression indexes (migration 0004); on SQLite
the same syntax and results from FTS5 tables (agencies.core.sqlite_search, migration 0011).
"""

from __future__ import annotations

from django.db import connections
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q
from django.db.models.expressions import RawSQL

from agencies.core import sqlite_search
from agencies.models import Attribution, AttributionHop, Claim, Document, Source

SEARCH_CONFIG = "english"
# Up to this many matches, a search filters by the ids of the claims found (text_search).
MATCHES_LISTED = 5_000


class _TextMatch(Func):
    """`to_tsvector(config, coalesce(a, '') || ' ' || coalesce(b, '')) @@ websearch_to_tsquery(config, q)`.

    Written out so that the document expression is exactly the one migration 0004 indexes (GIN):
    PostgreSQL uses an expression index only for the same expression.
    """

    output_field = BooleanField()

    def __init__(self, *columns: str, query: str):
        super().__init__(*(F(column) for column in columns))
        self.query = query

    def as_sql(self, compiler, connection, **extra):  # type: ignore[override]  # its own SQL: no template
        parts, params = [], []
        for expression in self.source_expressions:
            sql, column_params = compiler.compile(expression)
            parts.append(f"COALESCE({sql}, '')")
            params += column_params
        document = " || ' ' || ".join(parts)
        config = f"'{SEARCH_CONFIG}'::regconfig"
        return (
            f"to_tsvector({config}, {document}) @@ websearch_to_tsquery({config}, %s)",
            [*params, self.query],
        )


def _full_text(term: str):
    return (
        Claim.objects.filter(_TextMatch("text", query=term)),
        Attribution.objects.filter(_TextMatch("quote", query=term)),
        Document.objects.filter(_TextMatch("title", query=term)),
        Source.objects.filter(_TextMatch("description", "name", query=term)),
    )


def _fts5(term: str):
    query = sqlite_search.parse(term)
    if query is None:
        return None  # only stop words: nothing to look for, as on PostgreSQL

    def matching(table: str) -> RawSQL:
        sql, params = sqlite_search.match_sql(query, table)  # the query travels as parameters
        return RawSQL(sql, params)  # noqa: S611 - the SQL is built from fixed table names only

    return (
        Claim.objects.filter(pk__in=matching("agencies_claim_search")),
        Attribution.objects.filter(pk__in=matching("agencies_attribution_search")),
        Document.objects.filter(pk__in=matching("agencies_document_search")),
        Source.objects.filter(pk__in=matching("agencies_source_search")),
    )


def uses_full_text(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def text_search(term: str, *, using: str = "default") -> Q:
    """Claims whose text, a quote of one of their lines, the title of a document a line appears in or
    passed through, or the description or name of a line's origin matches `term`. Confidential notes
    are never searched.

    Full-text, stemmed, in web-search syntax ("quoted phrase", -excluded, or; typographic quotes
    too) on both databases: PostgreSQL's own, SQLite's FTS5 with the same syntax and results.

    The planner cannot tell how many claims a term finds (a rare word gets the estimate of a common
    one), so the matches are read first, each branch from its own index and no more than
    MATCHES_LISTED of them: a selective term then filters by a short list of ids. A common one
    ("official") is asked of each claim in turn instead (_each_claim): a page reads claims in its own
    order until it is full, which for a common word is soon, rather than every match first.
    """
    term = sqlite_search.normalise(term)
    found = matches(term, using=using)
    if found is None:
        return Q(pk__in=[])
    ids, documents, sources = found
    matched = list(ids[: MATCHES_LISTED + 1])
    if len(matched) <= MATCHES_LISTED:
        return Q(pk__in=sorted(set(matched)))
    if not uses_full_text(using):
        return Q(pk__in=ids)
    return _each_claim(term, documents, sources)


def matches(term: str, *, using: str = "default"):
    """(ids of the claims `term` finds, one row per match, each branch read from its own index; the
    documents it finds; the sources it finds), or None when the term has nothing to look for."""
    branches = _full_text(term) if uses_full_text(using) else _fts5(term)
    if branches is None:
        return None
    claims, quotes, documents, sources = branches
    documents, sources = documents.order_by().values("pk"), sources.order_by().values("pk")
    ids = (
        claims.using(using)
        .order_by()
        .values_list("pk", flat=True)
        .union(
            quotes.order_by().values_list("claim_id", flat=True),
            Attribution.objects.filter(document__in=documents).order_by().values_list("claim_id", flat=True),
            Attribution.objects.filter(origin__in=sources).order_by().values_list("claim_id", flat=True),
            AttributionHop.objects.filter(document__in=documents)
            .order_by()
            .values_list("attribution__claim_id", flat=True),
            all=True,  # rows as each branch finds them: reading stops at the limit
        )
    )
    return ids, documents, sources


def _each_claim(term: str, documents, sources) -> Q:
    """The search as a condition on one claim (PostgreSQL): its text, or one of its lines by quote,
    document, via document or origin. The matching documents and sources are read once, by index.
    One EXISTS over the lines and their hops: a separate one for hops would be planned as the set of
    every claim with a matching hop, read in full before the first row."""
    lines = Attribution.objects.filter(claim=OuterRef("pk")).filter(
        Q(_TextMatch("quote", query=term))
        | Q(document__in=documents)
        | Q(origin__in=sources)
        | Q(hops__document__in=documents)
    )
    return Q(_TextMatch("text", query=term)) | Q(Exists(lines))
