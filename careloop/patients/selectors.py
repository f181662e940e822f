"""Reads of patients and households. Callers authorize first (access_patient, staff_view)."""

import re
from dataclasses import dataclass, field
from datetime import date

import phonenumbers
from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Collate

from careloop.patients.models import CareTeamMember, CareTeamRole, Household, Patient
from careloop.patients.search import fold

# Phones without a country code are read as numbers in this region, like new patients' default.
DEFAULT_REGION = "US"
DEFAULT_CALLING_CODE = str(phonenumbers.country_code_for_region(DEFAULT_REGION))

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_PHONE_PART = re.compile(r"^[+(]?[\d().\-]*\d[\d().\-]*$")
_NAME_EDGE = re.compile(r"^[^\w]+|[^\w]+$")


@dataclass
class ParsedQuery:
    """A search box query split into what each token is: names, a date, a phone or an email."""

    names: list[str] = field(default_factory=list)
    # "ann.avery" is probably the start of an email address, but could be a dotted name
    names_or_emails: list[str] = field(default_factory=list)
    dates: list[date] = field(default_factory=list)
    phone_digits: str = ""
    phone_has_country_code: bool = False
    emails: list[str] = field(default_factory=list)
    impossible: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.names or self.names_or_emails or self.dates or self.phone_digits or self.emails
        )


def _date_parts(token: str) -> tuple[int, int, int] | None:
    """(year, month, day) when `token` is written as a date, whether or not it exists."""
    iso = _ISO_DATE.match(token)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
        return year, month, day
    us = _US_DATE.match(token)
    if us:
        month, day, year = (int(part) for part in us.groups())
        return year, month, day
    return None


def parse_query(query: str) -> ParsedQuery:
    parsed = ParsedQuery()
    phone_parts: list[str] = []
    for token in query.split():
        parts = _date_parts(token)
        if parts is not None:
            try:
                parsed.dates.append(date(*parts))
            except ValueError:
                parsed.impossible = True
        elif "@" in token:
            parsed.emails.append(token.strip().lower())
        elif _PHONE_PART.match(token):
            phone_parts.append(token)
        else:
            name = fold(_NAME_EDGE.sub("", token))
            if "." in name:
                parsed.names_or_emails.append(name)
            elif name:
                parsed.names.append(name)
    if phone_parts:
        parsed.phone_has_country_code = phone_parts[0].startswith("+")
        parsed.phone_digits = "".join(c for c in "".join(phone_parts) if c.isdigit())
    return parsed


def _successor(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _starts_with(column: str, prefix: str) -> Q:
    # PostgreSQL serves LIKE 'abc%' from the varchar_pattern_ops index Django adds beside each
    # db_index CharField. SQLite's LIKE ignores case, so it cannot use the (binary) index on a
    # plain column; the equivalent range in binary order can.
    if connection.vendor == "sqlite" and ord(prefix[-1]) < 0x10FFFF:
        return Q(**{f"{column}__gte": prefix, f"{column}__lt": _successor(prefix)})
    return Q(**{f"{column}__startswith": prefix})


# Results come in byte order of the folded names on both databases. On PostgreSQL the "C"
# collation also keeps the planner off the name indexes for ORDER BY ... LIMIT: walking
# search_family in order and filtering looks cheap, but a prefix that matches one family name
# ("zi" for Zimmermann) makes it read nearly the whole table (80 ms at 100,000 patients), while
# gathering the matches through the prefix indexes and sorting them stays a few ms.
_SEARCH_ORDER: dict[bool, tuple[str | Collate, ...]] = {
    False: ("search_family", "search_given", "id"),
    True: (Collate("search_family", "C"), Collate("search_given", "C"), "id"),
}


def _name_starts_with(prefix: str) -> Q:
    return (
        _starts_with("search_given", prefix)
        | _starts_with("search_family", prefix)
        | _starts_with("search_preferred", prefix)
    )


def patient_search_queryset(query: str) -> QuerySet[Patient]:
    """Patients matching every part of `query`, ordered by family then given name.

    Each name token prefix-matches the given, family or preferred name (accents and case
    ignored); a date (1980-05-17, 05/17/1980, 5/17/1980) matches the date of birth; digits
    match the start of the mobile phone with or without the country code; text with an "@"
    matches the start of the email, and dotted text ("ann.av") the start of a name or an
    email. An empty query matches nobody.
    """
    parsed = parse_query(query)
    if parsed.empty or parsed.impossible:
        return Patient.objects.none()
    condition = Q()
    for name in parsed.names:
        condition &= _name_starts_with(name)
    for text in parsed.names_or_emails:
        condition &= _name_starts_with(text) | _starts_with("search_email", text)
    for day in parsed.dates:
        condition &= Q(date_of_birth=day)
    if parsed.phone_digits:
        phone = _starts_with("search_phone", parsed.phone_digits)
        if not parsed.phone_has_country_code:
            phone |= _starts_with("search_phone", DEFAULT_CALLING_CODE + parsed.phone_digits)
        condition &= phone
    for email in parsed.emails:
        condition &= _starts_with("search_email", email)
    return (
        Patient.objects.filter(condition)
        .select_related("household")
        .order_by(*_SEARCH_ORDER[connection.vendor == "postgresql"])
    )


def patient_search(query: str, limit: int = 25) -> list[Patient]:
    """The first `limit` patients matching `query` (see patient_search_queryset)."""
    return list(patient_search_queryset(query)[:limit])


def household_members(household: Household) -> list[Patient]:
    """Members with the head first, then by family and given name."""
    members = list(
        Patient.objects.filter(household=household).order_by("search_family", "search_given")
    )
    return sorted(members, key=lambda patient: patient.id != household.head_id)


def household_of(patient: Patient) -> Household | None:
    """The patient's household with its head loaded, or None when they belong to none."""
    if patient.household_id is None:
        return None
    return Household.objects.select_related("head").filter(pk=patient.household_id).first()


def households_list(query: str = "") -> QuerySet[Household]:
    households = Household.objects.select_related("head").order_by("name", "id")
    if query.strip():
        households = households.filter(name__icontains=query.strip())
    return households


def care_team_members(patient: Patient) -> list[CareTeamMember]:
    """The patient's care team in the order the roles are declared: primary provider first.

    The model orders by the stored role value, which is alphabetical and would put health
    coaches above the primary provider.
    """
    rank = Case(
        *(When(role=role, then=Value(index)) for index, role in enumerate(CareTeamRole)),
        default=Value(len(CareTeamRole)),
        output_field=IntegerField(),
    )
    return list(
        CareTeamMember.objects.filter(patient=patient).select_related("staff").order_by(rank, "id")
    )
