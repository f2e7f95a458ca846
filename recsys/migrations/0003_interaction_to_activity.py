# ``Interaction`` now belongs to the ``activity`` app; the table stays where it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('recsys', '0002_modelversion'),
        ('activity', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='Interaction')],
        ),
    ]
