"""Seed the lab catalog (panels, LOINC components, units, ranges); running it again updates."""

from typing import Any

from django.db import migrations

from careloop.care.lab_catalog import lab_catalog_seed


def seed(apps: Any, schema_editor: Any) -> None:
    lab_catalog_seed(apps.get_model("care", "LabPanel"), apps.get_model("care", "LabComponent"))


class Migration(migrations.Migration):
    dependencies = [("care", "0003_lab_orders")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
