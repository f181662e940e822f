# Every response clock has its thread's patient (filled in by 0007).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0007_response_clock_patient"),
    ]

    operations = [
        migrations.AlterField(
            model_name="responseclock",
            name="patient",
            field=models.ForeignKey(
                help_text="The thread's patient, kept so the figures count members without a join.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="patients.patient",
            ),
        ),
    ]
