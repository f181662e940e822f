"""The sections and structured fields of a note template, and the values a note gives them.

Pure checks: each returns the cleaned value or raises ValidationFailed naming every field
that broke a rule, so a note is saved whole or not at all.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from careloop.core.errors import FieldError, ValidationFailed

SOAP_SECTIONS = ("subjective", "objective", "assessment", "plan")
SECTION_MAX_CHARS = 20_000
TEXT_MAX_CHARS = 500
FIELD_KINDS = ("number", "text")


def clean_sections(sections: Any) -> list[str]:
    """A template's section keys: some of the SOAP sections, in SOAP order, at least one."""
    if not isinstance(sections, list) or not sections:
        raise ValidationFailed.single(
            "sections", f"Choose one or more of {', '.join(SOAP_SECTIONS)}.", "required"
        )
    unknown = [key for key in sections if key not in SOAP_SECTIONS]
    if unknown:
        raise ValidationFailed.single(
            "sections",
            f"Unknown section {unknown[0]!r}: sections are {', '.join(SOAP_SECTIONS)}.",
            "unknown_section",
        )
    return [key for key in SOAP_SECTIONS if key in sections]


def clean_field_definitions(fields: Any) -> list[dict[str, Any]]:
    """A template's structured fields, each {key, label, kind, unit, low, high}."""
    if not isinstance(fields, list):
        raise ValidationFailed.single("fields", "Give the fields as a list.", "invalid")
    errors: list[FieldError] = []
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, field in enumerate(fields):
        where = f"fields[{number}]"
        if not isinstance(field, dict):
            errors.append(FieldError(where, "Each field is an object.", "invalid"))
            continue
        key = str(field.get("key", "")).strip()
        label = str(field.get("label", "")).strip()
        kind = field.get("kind", "number")
        if not key.isidentifier() or len(key) > 40:
            errors.append(
                FieldError(f"{where}.key", "Use a short key of letters, digits and _.", "invalid")
            )
        elif key in seen:
            errors.append(FieldError(f"{where}.key", f"{key!r} is used twice.", "duplicate"))
        seen.add(key)
        if not label:
            errors.append(FieldError(f"{where}.label", "Give the field a label.", "required"))
        if kind not in FIELD_KINDS:
            errors.append(
                FieldError(f"{where}.kind", "A field is a number or text.", "unknown_kind")
            )
            continue
        definition: dict[str, Any] = {"key": key, "label": label[:80], "kind": kind}
        if kind == "number":
            definition["unit"] = str(field.get("unit", "")).strip()[:20]
            low, high = field.get("low"), field.get("high")
            for bound, value in (("low", low), ("high", high)):
                if value is not None and _number(value) is None:
                    errors.append(FieldError(f"{where}.{bound}", "Give a number.", "invalid"))
            low_number, high_number = _number(low), _number(high)
            if low_number is not None and high_number is not None and low_number > high_number:
                errors.append(
                    FieldError(f"{where}.high", "The high is below the low.", "before_low")
                )
            definition["low"] = low
            definition["high"] = high
        cleaned.append(definition)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def clean_section_texts(sections: list[str], texts: Any) -> dict[str, str]:
    """A note's section texts: only the template's sections, plain text, trimmed."""
    if not isinstance(texts, dict):
        raise ValidationFailed.single("sections", "Give the sections as an object.", "invalid")
    errors = [
        FieldError(f"sections.{key}", "This template has no such section.", "unknown_section")
        for key in texts
        if key not in sections
    ]
    cleaned: dict[str, str] = {}
    for key in sections:
        text = texts.get(key, "")
        if not isinstance(text, str):
            errors.append(FieldError(f"sections.{key}", "Write the section as text.", "invalid"))
        elif len(text) > SECTION_MAX_CHARS:
            errors.append(
                FieldError(
                    f"sections.{key}",
                    f"Keep a section under {SECTION_MAX_CHARS:,} characters.",
                    "too_long",
                )
            )
        elif text.strip():
            cleaned[key] = text.strip()
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def clean_values(fields: list[dict[str, Any]], values: Any) -> dict[str, Any]:
    """A note's structured values: numbers within the field's plausible range (as strings, so
    no precision is lost), short texts; an empty value leaves the field out."""
    if not isinstance(values, dict):
        raise ValidationFailed.single("values", "Give the values as an object.", "invalid")
    known = {field["key"]: field for field in fields}
    errors = [
        FieldError(f"values.{key}", "This template has no such field.", "unknown_field")
        for key in values
        if key not in known
    ]
    cleaned: dict[str, Any] = {}
    for key, field in known.items():
        value = values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if field["kind"] == "text":
            text = str(value).strip()
            if len(text) > TEXT_MAX_CHARS:
                errors.append(
                    FieldError(
                        f"values.{key}",
                        f"Keep it under {TEXT_MAX_CHARS} characters.",
                        "too_long",
                    )
                )
            else:
                cleaned[key] = text
            continue
        number = _number(value)
        if number is None:
            errors.append(FieldError(f"values.{key}", f"{field['label']} is a number.", "invalid"))
            continue
        low, high = _number(field.get("low")), _number(field.get("high"))
        if (low is not None and number < low) or (high is not None and number > high):
            unit = f" {field['unit']}" if field.get("unit") else ""
            errors.append(
                FieldError(
                    f"values.{key}",
                    f"{field['label']} must be between {field.get('low')} and "
                    f"{field.get('high')}{unit}.",
                    "out_of_range",
                )
            )
            continue
        cleaned[key] = str(number)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
