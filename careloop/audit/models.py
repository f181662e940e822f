from django.db import models


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


class AuditEvent(models.Model):
    """One read or change of patient data, or a security event; append-only.

    Each row carries an HMAC of its fields and of the previous row's hash, keyed by a setting
    that lives outside the database (CARELOOP_AUDIT_KEY), so `careloop audit verify` finds an
    edited, deleted, reordered or truncated entry. On PostgreSQL a trigger refuses UPDATE,
    DELETE and TRUNCATE. Actor and patient are plain ids, not foreign keys, so no cascade can
    ever touch the log.
    """

    sequence = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    patient_id = models.BigIntegerField(null=True, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True)
    detail = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.outcome}"


class AuditHead(models.Model):
    """The last appended sequence and hash; lets verify notice a truncated tail.

    Appends lock this single row, which serializes them into one gap-free chain.
    """

    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"audit head at #{self.last_sequence}"
