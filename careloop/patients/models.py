from datetime import date

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.db import models

from careloop.core.phone import display_phone


class SexAtBirth(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"
    DECLINED = "declined", "Prefers not to say"


def full_name(given: str, family: str) -> str:
    """A patient's name as Careloop shows it: legal given name, then family name."""
    return f"{given} {family}"


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on `day` (a 29 February birthday counts from 1 March)."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


class Household(models.Model):
    """People who share a membership and a payer, e.g. a family; one member is its head."""

    name = models.CharField(max_length=200)
    head = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="headed_household"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Patient(models.Model):
    """A person receiving care. Names are kept as given; `search_*` columns hold folded copies.

    The folded copies (lower case, accents removed) are what the prefix search compares, so
    "zoe" finds "Zoë" and each column's index serves `LIKE 'zoe%'` on PostgreSQL.
    """

    legal_given_name = models.CharField(max_length=100)
    legal_family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(db_index=True)
    sex_at_birth = models.CharField(max_length=10, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    mobile_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    home_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="State or province")
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    preferred_language = models.CharField(max_length=35, default="en", help_text="BCP 47 tag")
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
        help_text="The portal sign-in of this patient, if any.",
    )
    search_given = models.CharField(max_length=100, db_index=True, editable=False)
    search_family = models.CharField(max_length=100, db_index=True, editable=False)
    search_preferred = models.CharField(max_length=100, db_index=True, editable=False)
    search_phone = models.CharField(
        max_length=20, db_index=True, editable=False, help_text="Mobile phone digits, no +."
    )
    search_email = models.CharField(max_length=254, db_index=True, editable=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["legal_family_name", "legal_given_name", "id"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return full_name(self.legal_given_name, self.legal_family_name)

    def age_on(self, day: date) -> int:
        """Whole years of age on `day` (a 29 February birthday counts from 1 March)."""
        return age_on(self.date_of_birth, day)

    @property
    def mobile_phone_display(self) -> str:
        return display_phone(self.mobile_phone)

    @property
    def home_phone_display(self) -> str:
        return display_phone(self.home_phone)

    @property
    def emergency_contact_phone_display(self) -> str:
        return display_phone(self.emergency_contact_phone)

    @property
    def preferred_language_display(self) -> str:
        """The language name with its tag ("French (fr)"), or the bare tag when it is unknown."""
        tag = self.preferred_language
        info = LANG_INFO.get(tag.lower()) or LANG_INFO.get(tag.split("-")[0].lower())
        if info is None or "name" not in info:
            return tag
        return f"{info['name']} ({tag})"

    @property
    def display_name(self) -> str:
        """The name staff address the patient by: preferred name first when there is one."""
        if self.preferred_name and self.preferred_name != self.legal_given_name:
            return f"{self.preferred_name} ({self.legal_given_name}) {self.legal_family_name}"
        return self.full_name


class CareTeamRole(models.TextChoices):
    PRIMARY_PROVIDER = "primary_provider", "Primary provider"
    PROVIDER = "provider", "Provider"
    COACH = "coach", "Health coach"
    COORDINATOR = "coordinator", "Care coordinator"


class CareTeamMember(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_memberships"
    )
    role = models.CharField(max_length=20, choices=CareTeamRole.choices)
    assigned_at = models.DateTimeField()

    class Meta:
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "staff"], name="care_team_member_once"),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(role="primary_provider"),
                name="care_team_one_primary_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} for patient {self.patient_id}"
