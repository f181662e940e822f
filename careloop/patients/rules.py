"""Field rules for patient demographics: each returns the cleaned value or raises FieldError."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from careloop.core.errors import FieldError, ValidationFailed
from careloop.core.phone import normalize_phone
from careloop.patients.models import SexAtBirth

EARLIEST_DATE_OF_BIRTH = date(1900, 1, 1)

# ISO 3166-1 alpha-2: the officially assigned codes.
_COUNTRY_CODE_TABLE = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
    """
COUNTRY_CODES = frozenset(_COUNTRY_CODE_TABLE.split())

# language[-Script][-REGION][-variant...], e.g. en, en-US, zh-Hant-TW, es-419, de-CH-1996.
_LANGUAGE_TAG = re.compile(
    r"^(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)$",
    re.IGNORECASE,
)


def required_text(field: str, value: str, *, label: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationFailed.single(field, f"{label} is required.", "required")
    return cleaned


def max_length(field: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValidationFailed.single(
            field, f"Use at most {limit} characters (this has {len(value)}).", "too_long"
        )
    return value


def date_of_birth(value: date | None, *, today: date) -> date:
    if value is None:
        raise ValidationFailed.single("date_of_birth", "Date of birth is required.", "required")
    if value > today:
        raise ValidationFailed.single(
            "date_of_birth", "Date of birth cannot be in the future.", "in_future"
        )
    if value < EARLIEST_DATE_OF_BIRTH:
        raise ValidationFailed.single(
            "date_of_birth", "Date of birth cannot be before 1900-01-01.", "too_early"
        )
    return value


def sex_at_birth(value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationFailed.single("sex_at_birth", "Sex at birth is required.", "required")
    if cleaned not in SexAtBirth.values:
        choices = ", ".join(SexAtBirth.values)
        raise ValidationFailed.single(
            "sex_at_birth", f"Choose one of: {choices}.", "invalid_choice"
        )
    return cleaned


def email(value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        return ""
    try:
        validate_email(cleaned)
    except ValidationError:
        raise ValidationFailed.single(
            "email", f"“{cleaned}” is not an email address such as name@example.com.", "invalid"
        ) from None
    local, _, domain = cleaned.rpartition("@")
    return f"{local}@{domain.lower()}"


def country(value: str) -> str:
    cleaned = value.strip().upper()
    if not cleaned:
        raise ValidationFailed.single("country", "Country is required.", "required")
    if cleaned not in COUNTRY_CODES:
        raise ValidationFailed.single(
            "country",
            f"“{value.strip()}” is not an ISO 3166 two-letter country code such as US or CA.",
            "invalid_country",
        )
    return cleaned


def language(value: str) -> str:
    cleaned = value.strip().replace("_", "-")
    if not cleaned:
        raise ValidationFailed.single(
            "preferred_language", "Preferred language is required.", "required"
        )
    match = _LANGUAGE_TAG.match(cleaned)
    if match is None:
        raise ValidationFailed.single(
            "preferred_language",
            f"“{cleaned}” is not a language tag such as en, es or pt-BR.",
            "invalid_language",
        )
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    parts.extend(variant.lower() for variant in match["variants"].split("-") if variant)
    return "-".join(parts)


def phone(field: str, value: str, *, region: str) -> str:
    return normalize_phone(value, field=field, region=region)


def collect(errors: list[FieldError], error: ValidationFailed) -> None:
    errors.extend(error.errors)
