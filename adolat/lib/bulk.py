"""Inserting thousands of plain rows (tuples, no model instances) in few round trips.

Imports write tens of thousands of rows (records, their tags, their history) in one transaction.
On PostgreSQL, an executemany sends a statement per row and a multi-row INSERT makes the server
parse and plan thousands of parameters; COPY streams the rows in the text format the server reads
fastest (the same constraints, triggers and indexes apply). On SQLite, where the database is in
the process, one prepared INSERT run over all the rows is the fastest way, except for rows of
one or two columns of integers and codes (the tags of records): they go as one JSON array that
SQLite reads itself (json_each), which takes them in about 45% less time than a statement run row
by row. Wider rows are slower that way (each value is extracted from its row's JSON).

The caller gives values as the database takes them (what the fields' get_db_prep_save would
give): str, int, bool, None, aware datetimes, JSON as text.
"""

import json
from collections.abc import Iterable, Sequence

# The widest rows SQLite reads from a JSON array (see the module docstring).
JSON_MAX_COLUMNS = 2


def insert(connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` (each in `columns`' order) into `table`, inside the caller's transaction."""
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's cursor (Django's wrapper has no COPY), its errors as Django's.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        rows = rows if isinstance(rows, list) else list(rows)
        if len(columns) <= JSON_MAX_COLUMNS and _json_exact(rows):
            picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
            sql = f"INSERT INTO {qn(table)} ({names}) SELECT {picks} FROM json_each(%s)"  # noqa: S608 — no user input
            cursor.execute(sql, [json.dumps(rows)])
            return
        sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 — no user input
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _json_exact(rows: list) -> bool:
    """Whether SQLite reads every value back from JSON as the value itself: ints of 64 bits (not
    bools, which JSON writes as true), None and ASCII texts (codes; other texts could hold what
    JSON escapes and SQLite would read otherwise, such as a lone surrogate)."""
    numbers = []
    for row in rows:
        for value in row:
            kind = type(value)
            if kind is int:
                numbers.append(value)
            elif not (value is None or (kind is str and value.isascii())):
                return False
    return not numbers or (min(numbers) >= -(2**63) and max(numbers) < 2**63)


def next_ids(connection, table: str, column: str, count: int) -> list[int]:
    """`count` new values of a PostgreSQL table's serial or identity column, in ascending order,
    for rows inserted with COPY (which returns no ids)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
            [connection.ops.quote_name(table), column, count],
        )
        return [row[0] for row in cursor.fetchall()]
