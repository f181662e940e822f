"""One contender in a booking race, run as its own process by test_booking_race.py.

    python -m careloop.scheduling.tests.booking_race PATIENT PROVIDER LOCATION TYPE START

It sets Django up and connects, prints "ready", waits for a line on stdin (so that every
contender starts together), tries to book the slot and prints the outcome as JSON.
"""

import json
import sys
from datetime import datetime


def main(patient_id: str, provider_id: str, location_id: str, type_id: str, start: str) -> None:
    import django

    django.setup()
    from django.db import connection

    from careloop.accounts.models import User
    from careloop.patients.models import Patient
    from careloop.scheduling.errors import SlotTaken
    from careloop.scheduling.models import AppointmentType, Location
    from careloop.scheduling.services.booking import appointment_book

    patient = Patient.objects.get(pk=patient_id)
    provider = User.objects.get(pk=provider_id)
    location = Location.objects.get(pk=location_id)
    kind = AppointmentType.objects.get(pk=type_id)
    connection.ensure_connection()
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        appointment = appointment_book(
            actor=None,
            patient=patient,
            provider=provider,
            location=location,
            appointment_type=kind,
            start_at=datetime.fromisoformat(start),
        )
    except SlotTaken as taken:
        print(json.dumps({"outcome": taken.code}), flush=True)
        return
    print(json.dumps({"outcome": "booked", "id": appointment.pk}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
