"""Inserting thousands of plain rows (tuples, no model instances) in few round trips.

Imports write tens of thousands of rows (records, their tags, their history) in one transaction.
On PostgreSQL, an executemany sends a statement per row and a multi-row INSERT makes the server
parse and plan thousands of parameters; COPY streams the rows in the text format the server reads
fastest (the same constraints, triggers and indexes apply). On SQLite, where the database is in
the process, one prepared INSERT run over all the rows is the fastest way.

The caller gives values as the database takes them (what the fields' get_db_prep_save would
give): str, int, bool, None, aware datetimes, JSON as text.
"""

from collections.abc import Iterable, Sequence


def insert(connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` (each in `columns`' order) into `table`, inside the caller's transaction."""
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's cursor: Django's wrapper has no COPY.
            with cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 — no user input
        rows = rows if isinstance(rows, list) else list(rows)
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def next_ids(connection, table: str, column: str, count: int) -> list[int]:
    """`count` new values of a PostgreSQL table's serial or identity column, in ascending order,
    for rows inserted with COPY (which returns no ids)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
            [connection.ops.quote_name(table), column, count],
        )
        return [row[0] for row in cursor.fetchall()]
