from datetime import timedelta

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "careloop.core"
    label = "core"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from careloop.core.periodic import PeriodicJob, register
        from careloop.core.tasks import prune_background_records

        register(
            PeriodicJob(
                name="prune_background_records",
                every=timedelta(hours=1),
                task=prune_background_records,
            )
        )
