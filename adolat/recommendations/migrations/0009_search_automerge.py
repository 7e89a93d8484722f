from django.db import migrations

from adolat.recommendations import search


def automerge(value: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            table = search.FTS_TABLE
            schema_editor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', {int(value)})")

    return run


class Migration(migrations.Migration):
    """SQLite's search index merges its segments less often: 8 of a size, not 4 (see
    search.SQLITE_AUTOMERGE)."""

    dependencies = [("recommendations", "0008_cso_rating")]
    operations = [migrations.RunPython(automerge(8), automerge(4))]
