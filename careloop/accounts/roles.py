from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Practice admin"
    PROVIDER = "provider", "Provider"
    COORDINATOR = "coordinator", "Care coordinator"
    FRONT_DESK = "front_desk", "Front desk"
    BILLING = "billing", "Billing"
    PATIENT = "patient", "Patient"


STAFF_ROLES = frozenset(
    {Role.ADMIN, Role.PROVIDER, Role.COORDINATOR, Role.FRONT_DESK, Role.BILLING}
)
