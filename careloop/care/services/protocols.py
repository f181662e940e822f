"""Designing protocols: a name, the plans that carry it, and its activities."""

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.care.models import Activity, Protocol
from careloop.care.services.activities import ActivitySpec, activity_columns
from careloop.core import clock
from careloop.core.errors import FieldError, ValidationFailed
from careloop.memberships.models import Plan


def protocol_create(
    *,
    actor: User | None,
    name: str,
    description: str = "",
    plans: list[Plan] | None = None,
    activities: list[ActivitySpec] | None = None,
) -> Protocol:
    """A new active protocol with its activities; nothing is written when any field is bad."""
    name = name.strip()
    if not name:
        raise ValidationFailed.single("name", "Give the protocol a name.", "required")
    if len(name) > 120:
        raise ValidationFailed.single("name", "A name is at most 120 characters.", "too_long")
    columns = []
    for number, spec in enumerate(activities or []):
        try:
            columns.append(activity_columns(spec))
        except ValidationFailed as failed:
            raise ValidationFailed(
                [
                    FieldError(f"activities[{number}].{error.field}", error.message, error.code)
                    for error in failed.errors
                ]
            ) from None
    with transaction.atomic():
        now = clock.now()
        protocol = Protocol.objects.create(
            name=name, description=description.strip(), created_at=now, updated_at=now
        )
        protocol.plans.set(plans or [])
        for values in columns:
            Activity.objects.create(protocol=protocol, **values)
        audit_record(
            action="care.protocol_create",
            actor=actor,
            object_type="protocol",
            object_id=protocol.pk,
            detail={"activities": len(columns), "plans": sorted(p.pk for p in plans or [])},
        )
    return protocol


def protocol_activity_add(
    *, actor: User | None, protocol: Protocol, spec: ActivitySpec
) -> Activity:
    """Add an activity to a protocol; care plans already applied keep their own copies."""
    values = activity_columns(spec)
    with transaction.atomic():
        activity = Activity.objects.create(protocol=protocol, **values)
        Protocol.objects.filter(pk=protocol.pk).update(updated_at=clock.now())
        audit_record(
            action="care.protocol_activity_add",
            actor=actor,
            object_type="protocol",
            object_id=protocol.pk,
            detail={"activity": activity.pk},
        )
    return activity
