"""How to reach a patient: the one choice every notice, reminder and message uses."""

from typing import TYPE_CHECKING

from careloop.notifications.models import Channel

if TYPE_CHECKING:
    from careloop.patients.models import Patient


def patient_contact(patient: "Patient") -> tuple[Channel, str] | None:
    """Email first, else a text to their mobile phone; None when neither is on file."""
    if patient.email:
        return Channel.EMAIL, patient.email
    if patient.mobile_phone:
        return Channel.SMS, patient.mobile_phone
    return None
