"""Load the vocabularies shipped with the product, so that a fresh `adolat migrate` leaves a usable
instance: states, mechanisms, themes, affected groups, SDG goals and targets, label mappings.

Uses the historical models. Later releases that add rows ship a new data migration (or ask the
operator to run `adolat load-vocabularies`); the loader never overwrites names edited in the
administration. Reversing keeps the rows: recommendations may already point at them.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from adolat.recommendations import vocabularies

    vocabularies.load_all(apps)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0002_full_text_search")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
