from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "careloop.notifications"
    label = "notifications"
    verbose_name = "Notifications"
