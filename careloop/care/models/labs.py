"""Lab orders: the catalog of panels and LOINC-coded components, orders, results, follow-ups."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


class LabPanel(models.Model):
    """A panel that can be ordered (HbA1c, lipid panel, ...); `code` is Careloop's own key."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    loinc = models.CharField(max_length=20, blank=True, help_text="The panel's LOINC code.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class LabComponent(models.Model):
    """One measured value of a panel, by its LOINC code, with its UCUM unit and reference range.

    A sex-specific range (female_low, male_high, ...) replaces the general one for a patient of
    that sex at birth; the critical bounds flag a value as critical whatever the sex. A LOINC
    code belongs to one panel, so a result names its component by the code alone.
    """

    panel = models.ForeignKey(LabPanel, on_delete=models.PROTECT, related_name="components")
    loinc = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=160)
    unit = models.CharField(max_length=20, help_text="UCUM code, compared exactly.")
    low = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    high = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    female_low = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    female_high = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    male_low = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    male_high = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    critical_low = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    critical_high = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["panel", "order", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.loinc})"

    def range_for(self, sex_at_birth: str) -> tuple[Decimal | None, Decimal | None]:
        """The reference range (low, high) for a patient of this sex at birth."""
        if sex_at_birth == "female" and (self.female_low, self.female_high) != (None, None):
            return self.female_low, self.female_high
        if sex_at_birth == "male" and (self.male_low, self.male_high) != (None, None):
            return self.male_low, self.male_high
        return self.low, self.high


class LabOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ORDERED = "ordered", "Ordered"
    COLLECTED = "collected", "Specimen collected"
    RESULTED = "resulted", "Resulted"
    REVIEWED = "reviewed", "Reviewed"
    CANCELLED = "cancelled", "Cancelled"


class LabOrder(models.Model):
    """Panels ordered for one patient by a provider, optionally for a care plan's lab task."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="lab_orders"
    )
    care_plan = models.ForeignKey(
        "care.CarePlan", null=True, blank=True, on_delete=models.PROTECT, related_name="lab_orders"
    )
    care_task = models.ForeignKey(
        "care.CareTask", null=True, blank=True, on_delete=models.PROTECT, related_name="lab_orders"
    )
    ordering_provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lab_orders"
    )
    status = models.CharField(
        max_length=10, choices=LabOrderStatus.choices, default=LabOrderStatus.DRAFT
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    ordered_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    resulted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in LabOrderStatus]),
                name="lab_order_status_is_known",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="lab_order_patient_status")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The order number printed on the requisition."""
        return f"LAB-{self.pk:06d}"


class LabOrderLine(models.Model):
    order = models.ForeignKey(LabOrder, on_delete=models.CASCADE, related_name="lines")
    panel = models.ForeignKey(LabPanel, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["order", "panel__order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "panel"], name="lab_order_line_one_per_panel")
        ]

    def __str__(self) -> str:
        return f"{self.panel} on order {self.order_id}"


class LabOrderChange(models.Model):
    """History of an order's status: every transition, by whom, when, why."""

    order = models.ForeignKey(LabOrder, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, choices=LabOrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=LabOrderStatus.choices)
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status or 'new'} -> {self.to_status}"


class ResultFlag(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


ABNORMAL_FLAGS = (ResultFlag.LOW, ResultFlag.HIGH, ResultFlag.CRITICAL)


class ResultSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "CSV import"
    FHIR = "fhir", "FHIR import"


class LabResult(models.Model):
    """The value of one ordered component; the flag is computed against the reference range
    when the result is saved. A component is resulted once per order."""

    order = models.ForeignKey(LabOrder, on_delete=models.PROTECT, related_name="results")
    component = models.ForeignKey(LabComponent, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=12, decimal_places=4)
    unit = models.CharField(max_length=20)
    flag = models.CharField(max_length=10, choices=ResultFlag.choices)
    observed_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=ResultSource.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "component__panel__order", "component__order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "component"], name="lab_result_one_per_component"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component.loinc} on order {self.order_id}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class LabFollowUp(models.Model):
    """Work for the ordering provider raised by an abnormal result: once per order (the
    database refuses a second)."""

    order = models.OneToOneField(LabOrder, on_delete=models.PROTECT, related_name="follow_up")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lab_follow_ups"
    )
    status = models.CharField(
        max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["assignee", "status"], name="lab_follow_up_assignee")]

    def __str__(self) -> str:
        return f"follow-up of order {self.order_id}"
