"""What the clinic sells: services, plans (tiers and programs), their prices and benefits."""

from django.db import models
from django.db.models import Q

from careloop.memberships.periods import Interval


class ServiceKind(models.TextChoices):
    PROVIDER_VISIT = "provider_visit", "Provider visit"
    TELEHEALTH_VISIT = "telehealth_visit", "Telehealth visit"
    COACHING_SESSION = "coaching_session", "Coaching session"
    LAB_PANEL = "lab_panel", "Lab panel"
    IV_THERAPY = "iv_therapy", "IV therapy"
    PROCEDURE = "procedure", "Procedure"
    OTHER = "other", "Other"


class Service(models.Model):
    """A service the clinic provides, with its price for people who are not covered for it."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=ServiceKind.choices)
    a_la_carte_price = models.PositiveIntegerField(help_text="Minor units (cents).")
    currency = models.CharField(max_length=3, default="USD")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class PlanKind(models.TextChoices):
    TIER = "tier", "Membership tier"
    PROGRAM = "program", "Add-on program"


class MessagingPriority(models.TextChoices):
    STANDARD = "standard", "Standard"
    PRIORITY = "priority", "Priority"
    URGENT = "urgent", "Highest"


class Plan(models.Model):
    """A tier (or add-on program) offered for sale.

    A retired plan sells no more but keeps its members. A patient holds at most one tier and
    at most one of each program at a time.
    """

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=PlanKind.choices, default=PlanKind.TIER)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    currency = models.CharField(max_length=3, default="USD")
    enrollment_fee = models.PositiveIntegerField(default=0, help_text="Minor units, charged once.")
    minimum_commitment_months = models.PositiveIntegerField(default=0)
    early_termination_fee = models.PositiveIntegerField(default=0, help_text="Minor units.")
    pause_allowed = models.BooleanField(default=False)
    pause_longest_months = models.PositiveIntegerField(default=0)
    pause_fee_per_month = models.PositiveIntegerField(default=0, help_text="Minor units.")
    cancellation_notice_days = models.PositiveIntegerField(default=0)
    renews = models.BooleanField(
        default=True, help_text="At the end of each term the membership renews; otherwise it ends."
    )
    messaging_enabled = models.BooleanField(default=False)
    response_target_business_hours = models.PositiveIntegerField(null=True, blank=True)
    messaging_priority = models.CharField(
        max_length=10, choices=MessagingPriority.choices, default=MessagingPriority.STANDARD
    )
    messaging_daily_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Messages a patient may send a day (clinic calendar day); empty for no limit.",
    )
    rank = models.PositiveIntegerField(
        default=0, help_text="Higher ranks are richer tiers; tells an upgrade from a downgrade."
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "rank", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(messaging_enabled=False) | Q(response_target_business_hours__gt=0),
                name="plan_messaging_has_a_target",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PlanPrice(models.Model):
    """One version of a plan's price for one billing interval; never edited once used.

    Changing a price creates the next version for new enrollments. Members keep the version
    they enrolled on until an admin schedules a price change for them.
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="prices")
    interval = models.CharField(max_length=10, choices=Interval.choices)
    version = models.PositiveIntegerField()
    amount = models.PositiveIntegerField(
        help_text="Minor units per interval for the primary member."
    )
    additional_adult_amount = models.PositiveIntegerField(default=0)
    child_amount = models.PositiveIntegerField(default=0)
    child_age_limit = models.PositiveIntegerField(
        default=18, help_text="A member younger than this on the enrollment date is a child."
    )
    current = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "interval", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "interval", "version"], name="plan_price_version_once"
            ),
            models.UniqueConstraint(
                fields=["plan", "interval"],
                condition=Q(current=True),
                name="plan_price_one_current_per_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.interval} v{self.version}"


class AllowancePeriod(models.TextChoices):
    MONTH = "month", "Per month"
    QUARTER = "quarter", "Per quarter"
    YEAR = "year", "Per year"
    TERM = "term", "Per membership term"


ALLOWANCE_PERIOD_MONTHS = {
    AllowancePeriod.MONTH: 1,
    AllowancePeriod.QUARTER: 3,
    AllowancePeriod.YEAR: 12,
}


class Rollover(models.TextChoices):
    NONE = "none", "No rollover"
    ALL = "all", "Unused uses roll over"
    UP_TO = "up_to", "Up to a cap roll over"
    EXPIRING = "expiring", "Roll over, expiring after some periods"


class Benefit(models.Model):
    """A service a plan includes: an allowance per period (none means unlimited), what happens
    to unused uses, and the member price for uses beyond the allowance."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="benefits")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="benefits")
    allowance = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    allowance_period = models.CharField(
        max_length=10, choices=AllowancePeriod.choices, default=AllowancePeriod.MONTH
    )
    rollover = models.CharField(max_length=10, choices=Rollover.choices, default=Rollover.NONE)
    rollover_cap = models.PositiveIntegerField(null=True, blank=True)
    rollover_expires_after_periods = models.PositiveIntegerField(null=True, blank=True)
    member_price = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minor units per use beyond the allowance."
    )
    member_discount_percent = models.PositiveIntegerField(
        null=True, blank=True, help_text="Discount off the a-la-carte price beyond the allowance."
    )

    class Meta:
        ordering = ["plan", "service__name"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "service"], name="benefit_once_per_service"),
            models.CheckConstraint(
                condition=Q(member_price__isnull=True) | Q(member_discount_percent__isnull=True),
                name="benefit_price_or_discount_not_both",
            ),
            models.CheckConstraint(
                condition=Q(member_discount_percent__isnull=True)
                | Q(member_discount_percent__lte=100),
                name="benefit_discount_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} in {self.plan}"

    def beyond_allowance_price(self) -> int:
        """What a member pays per use beyond the allowance, in minor units."""
        if self.member_price is not None:
            return self.member_price
        base = self.service.a_la_carte_price
        if self.member_discount_percent is not None:
            # Rounded half up, once, to the minor unit.
            return (base * (100 - self.member_discount_percent) + 50) // 100
        return base


class CancellationReason(models.Model):
    """The clinic's list of reasons staff choose from when a membership is cancelled."""

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=120)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class PastDueCoverage(models.TextChoices):
    KEEP = "keep", "Keep covering while past due"
    NONE = "none", "Cover nothing while past due"


class MembershipSettings(models.Model):
    """Clinic-wide membership policy; one row."""

    past_due_coverage = models.CharField(
        max_length=10, choices=PastDueCoverage.choices, default=PastDueCoverage.KEEP
    )
    clinic_billing_day = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="1-31: bill every membership on this day; empty: start day.",
    )

    def __str__(self) -> str:
        return "membership settings"
