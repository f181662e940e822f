from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "careloop.api"
    label = "api"
    verbose_name = "REST API"
