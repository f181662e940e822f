"""Phone numbers are validated and stored in E.164 (+15125550123)."""

import phonenumbers

from careloop.core.errors import ValidationFailed


def normalize_phone(raw: str, *, field: str, region: str = "US") -> str:
    """Return `raw` in E.164, or "" when blank; raise naming `field` if it is no number."""
    value = raw.strip()
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationFailed.single(
            field, f"“{value}” is not a phone number.", "invalid_phone"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed.single(
            field, f"“{value}” is not a valid phone number for its region.", "invalid_phone"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    if not e164:
        return ""
    parsed = phonenumbers.parse(e164, None)
    if parsed.country_code == 1:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
