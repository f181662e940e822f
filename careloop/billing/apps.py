from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "careloop.billing"
    label = "billing"
    verbose_name = "Billing"
