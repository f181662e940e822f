"""Importing an order's results from a CSV file or FHIR R4 Observation JSON.

Both are read into `ResultInput`s and saved by `lab_results_record`: one transaction, all
results or none. A file that cannot be read is refused before anything else is checked.

CSV: a header row and one row per result, columns `loinc`, `value`, `unit` (UCUM code) and,
optionally, `observed_at` (ISO 8601; a time without an offset is the clinic's local time).
FHIR: one Observation or a Bundle of them; each has `code.coding` with system
http://loinc.org, `valueQuantity` (value, and the UCUM `code`, or `unit` when there is no
code), `effectiveDateTime`, and `subject.reference` "Patient/<id>" of the order's patient.
"""

import csv
import io
from datetime import datetime
from typing import Any

from careloop.accounts.models import User
from careloop.care.models import LabOrder, LabResult, ResultSource
from careloop.care.services.labs import ResultInput, lab_results_record
from careloop.core import clock
from careloop.core.errors import FieldError, ValidationFailed

LOINC_SYSTEM = "http://loinc.org"
CSV_COLUMNS = ("loinc", "value", "unit")
MOST_ROWS = 500
FHIR_NAMES = (
    ("loinc", "code.coding"),
    ("value", "valueQuantity.value"),
    ("unit", "valueQuantity.code"),
    ("observed_at", "effectiveDateTime"),
)


def _moment(raw: str, field: str, errors: list[FieldError]) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        errors.append(
            FieldError(field, f"{raw} is not an ISO 8601 date and time.", "invalid_datetime")
        )
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.clinic_zone())
    return moment


def results_from_csv(text: str) -> list[ResultInput]:
    """The rows of a results CSV; row numbers count the header as row 1."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise ValidationFailed.single(
            "file",
            f"The CSV needs the columns {', '.join(CSV_COLUMNS)}; missing {', '.join(missing)}.",
            "missing_columns",
        )
    errors: list[FieldError] = []
    results = []
    for number, raw in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "") for key, value in raw.items()}
        if number - 1 > MOST_ROWS:
            raise ValidationFailed.single(
                "file", f"A CSV holds at most {MOST_ROWS} results.", "too_many_rows"
            )
        field = f"row {number}"
        results.append(
            ResultInput(
                field=field,
                loinc=row["loinc"],
                value=row["value"],
                unit=row["unit"],
                observed_at=_moment(row.get("observed_at", ""), f"{field}.observed_at", errors),
            )
        )
    if errors:
        raise ValidationFailed(errors, "Some results need attention; none were saved.")
    return results


def _observation(
    resource: Any, field: str, patient_reference: str, errors: list[FieldError]
) -> ResultInput | None:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
        errors.append(
            FieldError(field, "Only Observation resources hold results.", "not_observation")
        )
        return None
    subject = (resource.get("subject") or {}).get("reference", "")
    if subject != patient_reference:
        errors.append(
            FieldError(
                f"{field}.subject",
                f"The subject must be {patient_reference}, the order's patient.",
                "other_patient",
            )
        )
    codings = (resource.get("code") or {}).get("coding") or []
    loinc = next(
        (
            c.get("code", "")
            for c in codings
            if isinstance(c, dict) and c.get("system") == LOINC_SYSTEM
        ),
        None,
    )
    if loinc is None:
        errors.append(
            FieldError(f"{field}.code", f"No coding with system {LOINC_SYSTEM}.", "no_loinc")
        )
        return None
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, dict):
        errors.append(
            FieldError(f"{field}.valueQuantity", "A result needs a valueQuantity.", "required")
        )
        return None
    effective = resource.get("effectiveDateTime", "")
    return ResultInput(
        field=field,
        loinc=str(loinc),
        value=str(quantity.get("value", "")),
        unit=str(quantity.get("code") or quantity.get("unit") or ""),
        observed_at=_moment(str(effective), f"{field}.effectiveDateTime", errors),
        names=FHIR_NAMES,
    )


def results_from_fhir(document: Any, order: LabOrder) -> list[ResultInput]:
    """The Observations of a single resource or a Bundle's entries."""
    if not isinstance(document, dict):
        raise ValidationFailed.single("file", "Send a FHIR JSON object.", "not_fhir")
    kind = document.get("resourceType")
    if kind == "Bundle":
        resources = [
            (
                f"entry[{index}].resource",
                (entry or {}).get("resource") if isinstance(entry, dict) else None,
            )
            for index, entry in enumerate(document.get("entry") or [])
        ]
    elif kind == "Observation":
        resources = [("observation", document)]
    else:
        raise ValidationFailed.single(
            "resourceType", "Send an Observation or a Bundle of Observations.", "not_fhir"
        )
    errors: list[FieldError] = []
    results = []
    reference = f"Patient/{order.patient_id}"
    for field, resource in resources:
        found = _observation(resource, field, reference, errors)
        if found is not None:
            results.append(found)
    if errors:
        raise ValidationFailed(errors, "Some results need attention; none were saved.")
    return results


def lab_results_import_csv(*, actor: User, order: LabOrder, text: str) -> list[LabResult]:
    return lab_results_record(
        actor=actor, order=order, results=results_from_csv(text), source=ResultSource.CSV
    )


def lab_results_import_fhir(*, actor: User, order: LabOrder, document: Any) -> list[LabResult]:
    return lab_results_record(
        actor=actor,
        order=order,
        results=results_from_fhir(document, order),
        source=ResultSource.FHIR,
    )
