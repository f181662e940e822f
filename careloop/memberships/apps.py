from django.apps import AppConfig


class MembershipsConfig(AppConfig):
    name = "careloop.memberships"
    label = "memberships"
    verbose_name = "Memberships"
