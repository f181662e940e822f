"""One contender in a ledger race, run as its own process by test_ledger_races.py.

    python -m careloop.memberships.tests.ledger_race hold|consume PATIENT SERVICE DAY SOURCE

It sets Django up and connects, prints "ready", waits for a line on stdin (so that every
contender starts together), makes its one call and prints the outcome as JSON.
"""

import json
import sys
from datetime import date


def main(operation: str, patient_id: str, service_id: str, day: str, source_id: str) -> None:
    import django

    django.setup()
    from django.db import connection

    from careloop.memberships.errors import AllowanceExhausted
    from careloop.memberships.models import Service
    from careloop.memberships.services.entitlements import (
        entitlement_consume,
        entitlement_hold,
    )
    from careloop.patients.models import Patient

    patient = Patient.objects.get(pk=patient_id)
    service = Service.objects.get(pk=service_id)
    connection.ensure_connection()
    print("ready", flush=True)
    sys.stdin.readline()
    call = entitlement_hold if operation == "hold" else entitlement_consume
    try:
        entry = call(
            actor=None,
            patient=patient,
            service=service,
            on=date.fromisoformat(day),
            source_type="appointment",
            source_id=source_id,
        )
    except AllowanceExhausted:
        print(json.dumps({"outcome": "exhausted"}), flush=True)
        return
    print(json.dumps({"outcome": str(entry.kind), "id": entry.id}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
