"""Load the vocabulary rows added since 0003: UHRI themes and affected persons met in OHCHR matrices
(2030 Agenda, data collection, physical and moral integrity, unilateral coercive measures;
educational staff, medical staff). The loader only adds what is missing."""

from django.db import migrations


def forwards(apps, schema_editor):
    from adolat.recommendations import vocabularies

    vocabularies.load_all(apps)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0005_import_runs_and_position_note")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
