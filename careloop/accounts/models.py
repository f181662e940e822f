from django.contrib.auth.models import AbstractUser
from django.db import models

from careloop.accounts.roles import STAFF_ROLES, Role


class User(AbstractUser):
    """A person who signs in: a staff member in one role, or a patient using the portal."""

    role = models.CharField(max_length=20, choices=Role.choices)
    credentials = models.CharField(
        max_length=40,
        blank=True,
        help_text="Professional credentials shown after the name, e.g. MD, NP.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[choice.value for choice in Role]),
                name="user_role_is_known",
            )
        ]

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name
