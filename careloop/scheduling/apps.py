from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "careloop.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
