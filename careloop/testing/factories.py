"""Test data builders. Names and numbers are synthetic (555 numbers, .invalid addresses)."""

import itertools
from datetime import date
from typing import Any

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.core import clock
from careloop.patients.models import Patient, SexAtBirth
from careloop.patients.search import fold_search_columns

_counter = itertools.count(1)


def make_user(*, role: Role, username: str | None = None, **fields: Any) -> User:
    number = next(_counter)
    user = User.objects.create_user(
        username=username or f"{role.value}{number}",
        password="correct horse battery staple",
        email=f"{username or role.value + str(number)}@example.invalid",
        role=role,
        first_name=fields.pop("first_name", role.label.split()[0]),
        last_name=fields.pop("last_name", f"Tester{number}"),
        **fields,
    )
    return user


def make_patient(
    *,
    given: str = "Ann",
    family: str | None = None,
    date_of_birth: date = date(1980, 5, 17),
    user: User | None = None,
    **fields: Any,
) -> Patient:
    number = next(_counter)
    family_name = family or f"Example{number}"
    now = clock.now()
    mobile = fields.pop("mobile_phone", f"+1512555{number % 10000:04d}")
    email = fields.pop("email", f"{given.lower()}.{family_name.lower()}@example.invalid")
    patient = Patient(
        legal_given_name=given,
        legal_family_name=family_name,
        date_of_birth=date_of_birth,
        sex_at_birth=fields.pop("sex_at_birth", SexAtBirth.FEMALE),
        email=email,
        mobile_phone=mobile,
        user=user,
        created_at=now,
        updated_at=now,
        **fields,
    )
    fold_search_columns(patient)
    patient.save()
    return patient
