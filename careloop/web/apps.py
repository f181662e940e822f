from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "careloop.web"
    label = "web"
    verbose_name = "Web"
