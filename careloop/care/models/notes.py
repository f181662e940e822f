"""Structured clinical notes: templates with SOAP sections and measured fields, notes written
from them (draft -> signed), addenda to signed notes, and the measurements a signed note
records for progress tracking."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class NoteKind(models.TextChoices):
    PROGRESS = "progress", "Progress note"
    COACHING = "coaching", "Coaching note"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class NoteTemplate(models.Model):
    """What a note asks for: its SOAP sections and its structured fields.

    `sections` is a list of section keys (subjective, objective, assessment, plan; a coaching
    template may ask for fewer) and `fields` a list of field definitions checked by
    careloop.care.note_fields: {"key", "label", "kind" (number or text), "unit" (UCUM, for
    numbers), "low", "high"}.
    """

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=NoteKind.choices)
    sections = models.JSONField(default=list)
    fields = models.JSONField(default=list)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in NoteKind]),
                name="note_template_kind_is_known",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ClinicalNote(models.Model):
    """One note about one patient, written from a template, optionally for a visit and the
    care task it carries out. A signed note never changes: corrections are addenda."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="notes")
    template = models.ForeignKey(NoteTemplate, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(max_length=10, choices=NoteKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_notes"
    )
    visit = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notes",
    )
    care_task = models.ForeignKey(
        "care.CareTask", null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    status = models.CharField(max_length=8, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    sections = models.JSONField(default=dict)
    values = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signed_notes",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in NoteKind]),
                name="clinical_note_kind_is_known",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="draft", signed_at__isnull=True, signed_by__isnull=True)
                    | Q(status="signed", signed_at__isnull=False, signed_by__isnull=False)
                ),
                name="clinical_note_signed_has_signer",
            ),
        ]
        indexes = [models.Index(fields=["patient", "created_at"], name="clinical_note_patient")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.status})"


class NoteAddendum(models.Model):
    """Text added to a signed note later: never edited, never removed."""

    note = models.ForeignKey(ClinicalNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Addendum {self.pk} to note {self.note_id}"


class Measurement(models.Model):
    """A measured value over time (weight, blood pressure, waist), recorded when the note that
    holds it is signed: what the progress chart draws beside lab results."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="measurements"
    )
    key = models.CharField(max_length=40)
    label = models.CharField(max_length=80)
    value = models.DecimalField(max_digits=12, decimal_places=3)
    unit = models.CharField(max_length=20, blank=True)
    measured_at = models.DateTimeField()
    note = models.ForeignKey(ClinicalNote, on_delete=models.PROTECT, related_name="measurements")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "key"], name="measurement_once_per_note")
        ]
        indexes = [
            models.Index(fields=["patient", "key", "measured_at"], name="measurement_series")
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.value} {self.unit}".strip()
