# The thread's patient on each response clock, so the figures count members without a join.
# Made required in 0008: on PostgreSQL the column cannot change while this migration's
# update still has deferred foreign-key checks pending.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def record_patients(apps, schema_editor):
    """Existing clocks take the patient of their thread."""
    ResponseClock = apps.get_model("messaging", "ResponseClock")
    Thread = apps.get_model("messaging", "Thread")
    patient = Thread.objects.filter(pk=OuterRef("thread_id")).values("patient_id")[:1]
    ResponseClock.objects.update(patient_id=Subquery(patient))


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0006_thread_shared_with_household"),
        ("patients", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="responseclock",
            name="patient",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="patients.patient",
            ),
        ),
        migrations.RunPython(record_patients, migrations.RunPython.noop),
    ]
