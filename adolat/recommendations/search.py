# ruff: noqa: S608, S611 — table names are module constants; user input is only ever a bound parameter.
"""Full-text search in the database itself.

`Recommendation.search_document` holds the folded text (see adolat.lib.text). SQLite indexes it with
an FTS5 table kept in step by triggers; PostgreSQL with a GIN index on its 'simple' tsvector. Both
take every query word as a prefix, all words required.
"""

import json
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from adolat.lib.text import words

FTS_TABLE = "recommendations_recommendation_fts"
TABLE = "recommendations_recommendation"
PG_INDEX = "rec_search_document_gin"
# FTS5 merges its index segments once this many of a size pile up (4 by default). Imports add
# thousands of records at a time: at 8 they index about a third faster, and queries over 250,000
# records took as long (measured: see the notes of issue #5).
SQLITE_AUTOMERGE = 8

SQLITE_SETUP = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        search_document, content='{TABLE}', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2", prefix='2 3')""",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', {SQLITE_AUTOMERGE})",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_document) VALUES (new.id, new.search_document);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_document)
        VALUES ('delete', old.id, old.search_document);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF search_document ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_document)
        VALUES ('delete', old.id, old.search_document);
        INSERT INTO {FTS_TABLE}(rowid, search_document) VALUES (new.id, new.search_document);
    END""",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_TEARDOWN = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]
PG_SETUP = [
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {TABLE} "
    f"USING gin (to_tsvector('simple'::regconfig, search_document))"
]
PG_TEARDOWN = [f"DROP INDEX IF EXISTS {PG_INDEX}"]


def install(schema_editor, reverse: bool = False) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = SQLITE_TEARDOWN if reverse else SQLITE_SETUP
    elif vendor == "postgresql":
        statements = PG_TEARDOWN if reverse else PG_SETUP
    else:
        return
    for sql in statements:
        schema_editor.execute(sql)


def ensure(connection_=None) -> bool:
    """Re-create what SQLite loses when a migration rebuilds the recommendations table (it copies
    the table and drops the old one, and its triggers with it): the triggers, then a rebuild of the
    index. Called after every `migrate`; returns True when something had to be repaired."""
    conn = connection_ or connection
    if conn.vendor != "sqlite":
        return False
    names = {f"{FTS_TABLE}_ai", f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au", FTS_TABLE}
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE %s", [f"{FTS_TABLE}%"])
        present = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT name FROM sqlite_master WHERE type='table' AND name=%s", [TABLE])
        if cursor.fetchone() is None or names <= present:
            return False
        for sql in SQLITE_SETUP:
            cursor.execute(sql)
    return True


@contextmanager
def indexed_together(connection_=None):
    """On SQLite, rows inserted into the recommendations table within the block are indexed when
    they are all in, in one statement, rather than by the insert trigger row by row (several
    times slower for thousands of rows): the block yields a function to call with the new rows'
    ids. The trigger is dropped and re-created inside the caller's transaction (a savepoint), so
    no other connection ever sees the table without it and an error brings it back. Elsewhere
    (PostgreSQL's index follows the column) the function does nothing."""
    conn = connection_ or connection
    if conn.vendor != "sqlite":
        yield lambda ids: None
        return
    trigger = f"{FTS_TABLE}_ai"
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [trigger])
        row = cursor.fetchone()
        if row is None:  # no trigger (a table being rebuilt, see `ensure`): nothing to stand in for
            yield lambda ids: None
            return
        cursor.execute(f"DROP TRIGGER {trigger}")
        added: list[int] = []
        yield added.extend
        if added:
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}(rowid, search_document) SELECT id, search_document FROM {TABLE} "
                "WHERE id IN (SELECT value FROM json_each(%s))",
                [json.dumps(added)],
            )
        cursor.execute(row[0])


def query_words(query: str) -> list[str]:
    # At most 12 words: a longer query is more likely a pasted paragraph than a search.
    return words(query)[:12]


def matching_ids(query: str) -> RawSQL | None:
    """A subquery of the ids of recommendations matching every word of `query` (as prefixes);
    None when the query has no words."""
    terms = query_words(query)
    if not terms:
        return None
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{t}:*" for t in terms)
        return RawSQL(
            f"SELECT id FROM {TABLE} WHERE to_tsvector('simple'::regconfig, search_document) "
            "@@ to_tsquery('simple'::regconfig, %s)",
            [tsquery],
        )
    match = " AND ".join(f'"{t}"*' for t in terms)
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
