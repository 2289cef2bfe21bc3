"""Search on the embedded SQLite default with PostgreSQL's syntax and results: FTS5.

PostgreSQL matches `to_tsvector('english', doc) @@ websearch_to_tsquery('english', q)`. Here the same
query is parsed as websearch_to_tsquery parses it (words, "quoted phrases", -excluded, or; other
operator characters ignored; stop words dropped, and a query of stop words alone finds nothing) and
asked of FTS5 tables kept by triggers (migration 0011_claim_search_sqlite), which stem with Porter's
algorithm as PostgreSQL's english configuration does with Snowball's. tests/explorer/test_search_parity.py
runs a set of queries on both and compares.

What still differs, rarely: the two stemmers disagree on a few words ("news" is "new" to Porter);
inside a quoted phrase a stop word must be the same word here, while PostgreSQL takes any word in its
place; PostgreSQL keeps "U.S." and "law-enforcement" whole where FTS5 sees "u s", "law enforcement".

Which texts are searched (and how their matches lead to claims) is agencies.core.search.text_search's:
this module only answers "which rows of this table match".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# PostgreSQL's english stop words (share/tsearch_data/english.stop), checked before stemming.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own
    same so than too very s t can will just don should now""".split()  # noqa: SIM905 - as the file lists them
)
# Characters websearch_to_tsquery skips where it expects a word, and that end a word.
OPERATOR_CHARS = frozenset("!&|()<")
# Typographic quotes, as phones type them, count as the straight quote of a phrase.
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'})
TOKEN = re.compile(r"[^\W_]+")

# table -> (source table, the text indexed for a row). The expressions PostgreSQL's GIN indexes
# (migration 0004) cover, so that both search the same text.
SEARCH_TABLES = {
    "agencies_claim_search": ("agencies_claim", "COALESCE({row}.\"text\", '')", ["text"]),
    "agencies_attribution_search": ("agencies_attribution", "COALESCE({row}.\"quote\", '')", ["quote"]),
    "agencies_document_search": ("agencies_document", "COALESCE({row}.\"title\", '')", ["title"]),
    "agencies_source_search": (
        "agencies_source",
        "COALESCE({row}.\"description\", '') || ' ' || COALESCE({row}.\"name\", '')",
        ["description", "name"],
    ),
}
TOKENIZER = "porter unicode61 remove_diacritics 0"  # PostgreSQL's english keeps accents


# --- The query, as websearch_to_tsquery reads it -----------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    """One word of the query, or one quoted phrase: its tokens in order (one token for most words)."""

    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


Node = Phrase | Not | And | Or


def normalise(query: str) -> str:
    return query.translate(QUOTES)


def _phrase(text: str) -> Phrase | None:
    """The tokens of a word or a quoted phrase, without the stop words at either end (PostgreSQL
    drops them; inside a phrase they keep their place). None when only stop words are left."""
    tokens = [token.lower() for token in TOKEN.findall(text)]
    kept = [i for i, token in enumerate(tokens) if token not in STOP_WORDS]
    if not kept:
        return None
    return Phrase(tuple(tokens[kept[0] : kept[-1] + 1]))


def _is_or(query: str, at: int) -> bool:
    """PostgreSQL's parse_or_operator: "or" not part of a word, with something after it."""
    if query[at : at + 2].lower() != "or":
        return False
    after = query[at + 2 : at + 3]
    if not after or after in "-_" or after.isalnum():
        return False
    return bool(query[at + 3 :].strip())  # an operand somewhere past the character after "or"


def _stream(query: str) -> list:
    """The query as websearch_to_tsquery's tokeniser sees it: operands (Phrase or None for one of
    stop words only) and the operators "and", "or", "not"."""
    out: list = []
    at, size, want_operand = 0, len(query), True
    while at < size:
        char = query[at]
        if want_operand:
            if char == "-":
                out.append("not")
                at += 1
            elif char == '"':
                end = query.find('"', at + 1)
                end = size if end < 0 else end
                out.append(_phrase(query[at + 1 : end]))
                at, want_operand = end + 1, False
            elif char in OPERATOR_CHARS or char.isspace():
                at += 1
            else:
                end = at
                while end < size and not (
                    query[end].isspace() or query[end] in OPERATOR_CHARS or query[end] == '"'
                ):
                    end += 1
                out.append(_phrase(query[at:end]))
                at, want_operand = end, False
        elif char == '"':
            out.append("and")
            want_operand = True
        elif _is_or(query, at):
            out.append("or")
            at, want_operand = at + 2, True
        elif not char.isspace():
            out.append("and")
            want_operand = True
        else:
            at += 1
    return out


def parse(query: str) -> Node | None:
    """The query as a tree (NOT binds tightest, then AND, then OR), stop words cleaned away as
    PostgreSQL does: an operator that lost an operand becomes its other one. None: nothing to find."""
    items = _stream(normalise(query))
    position = 0

    def peek():
        return items[position] if position < len(items) else "end"

    def unary():
        nonlocal position
        if peek() == "not":
            position += 1
            inner = unary()
            return Not(inner) if inner is not None else None
        if peek() in ("and", "or", "end"):
            return None  # an operator with nothing after it
        position += 1
        return items[position - 1]

    def conjunction():
        nonlocal position
        node = unary()
        while peek() == "and":
            position += 1
            right = unary()
            node = right if node is None else node if right is None else And(node, right)
        return node

    node = conjunction()
    while peek() == "or":
        position += 1
        right = conjunction()
        node = right if node is None else node if right is None else Or(node, right)
    return node


# Table names below come from SEARCH_TABLES only, never from input: S608 does not apply.

# --- The query, asked of an FTS5 table ---------------------------------------------------------------


def _has_not(node: Node) -> bool:
    if isinstance(node, Phrase):
        return False
    if isinstance(node, Not):
        return True
    return _has_not(node.left) or _has_not(node.right)


def fts5_expression(node: Node) -> str:
    """An FTS5 MATCH expression for a tree without NOT (FTS5 has no unary NOT)."""
    if isinstance(node, Phrase):
        return '"' + " ".join(node.tokens) + '"'  # tokens are letters and digits only
    if isinstance(node, Not):
        raise ValueError("FTS5 has no unary NOT: match_sql combines the parts without it")
    operator = "AND" if isinstance(node, And) else "OR"
    return f"({fts5_expression(node.left)} {operator} {fts5_expression(node.right)})"


def match_sql(node: Node, table: str, placeholder: str = "%s") -> tuple[str, list[str]]:
    """SELECT the rowids of `table` whose text matches `node`, and its parameters.

    A tree without NOT is one MATCH. With NOT, each part without NOT is a MATCH and the parts are
    combined as sets, so that "-retracted" alone finds every row without it, as on PostgreSQL.
    """
    if table not in SEARCH_TABLES:
        raise ValueError(f"not a search table: {table}")
    if not _has_not(node):
        return f'SELECT rowid FROM "{table}" WHERE "{table}" MATCH {placeholder}', [fts5_expression(node)]  # noqa: S608
    params: list[str] = []

    def condition(part: Node) -> str:
        if isinstance(part, Phrase) or not _has_not(part):
            params.append(fts5_expression(part))
            return f'rowid IN (SELECT rowid FROM "{table}" WHERE "{table}" MATCH {placeholder})'  # noqa: S608
        if isinstance(part, Not):
            return f"NOT ({condition(part.operand)})"
        operator = "AND" if isinstance(part, And) else "OR"
        return f"({condition(part.left)} {operator} {condition(part.right)})"

    where = condition(node)
    return f'SELECT rowid FROM "{table}" WHERE {where}', params  # noqa: S608


# --- The tables and the triggers that keep them ------------------------------------------------------


def schema_sql() -> list[str]:
    """Every statement that creates the search tables and their triggers, and fills the tables.

    Migration 0011_claim_search_sqlite holds a copy (migrations never import application code);
    tests/explorer/test_search_parity.py checks that the two agree.
    """
    statements = []
    for table, (source, text, columns) in SEARCH_TABLES.items():
        new = text.format(row="new")
        watched = ", ".join(f'"{column}"' for column in columns)
        statements += [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS \"{table}\" USING fts5(body, tokenize = '{TOKENIZER}')",
            f'CREATE TRIGGER IF NOT EXISTS "{table}_insert" AFTER INSERT ON "{source}" BEGIN '  # noqa: S608
            f'INSERT INTO "{table}"(rowid, body) VALUES (new."id", {new}); END',
            f'CREATE TRIGGER IF NOT EXISTS "{table}_update" AFTER UPDATE OF {watched} ON "{source}" BEGIN '  # noqa: S608
            f'DELETE FROM "{table}" WHERE rowid = old."id"; '
            f'INSERT INTO "{table}"(rowid, body) VALUES (new."id", {new}); END',
            f'CREATE TRIGGER IF NOT EXISTS "{table}_delete" AFTER DELETE ON "{source}" BEGIN '  # noqa: S608
            f'DELETE FROM "{table}" WHERE rowid = old."id"; END',
        ]
    return statements


def refill_sql() -> list[str]:
    """Statements that fill every search table afresh from its source table."""
    statements = []
    for table, (source, text, _columns) in SEARCH_TABLES.items():
        statements += [
            f'DELETE FROM "{table}"',  # noqa: S608
            f'INSERT INTO "{table}"(rowid, body) SELECT "id", {text.format(row=source)} FROM "{source}"',  # noqa: S608
        ]
    return statements


def triggers_expected() -> set[str]:
    return {f"{table}_{event}" for table in SEARCH_TABLES for event in ("insert", "update", "delete")}


def search_tables_ensure(connection) -> bool:
    """Recreate missing search tables or triggers, and refill the tables if any was missing.

    SQLite drops a table's triggers with it, and Django rebuilds a table to alter most of its columns
    (a later migration on claims, say): without this, search would silently stop seeing new text.
    Called after every `migrate` (AgenciesConfig). Returns whether anything was repaired.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        if "django_migrations" not in present or set(SEARCH_TABLES) | triggers_expected() <= present:
            return False
        # Only once the migration that made them is applied (not before it, nor after undoing it).
        cursor.execute(
            "SELECT 1 FROM django_migrations WHERE app = 'agencies' AND name LIKE %s",
            ["%claim_search_sqlite"],
        )
        if cursor.fetchone() is None:
            return False
        for statement in [*schema_sql(), *refill_sql()]:
            cursor.execute(statement)
    return True
