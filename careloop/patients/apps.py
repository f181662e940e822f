from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "careloop.patients"
    label = "patients"
    verbose_name = "Patients"
