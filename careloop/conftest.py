"""The named cast for tests: one person per staff role and two patients."""

from collections.abc import Iterator

import pytest

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.core import clock
from careloop.patients.models import Patient
from careloop.testing.factories import make_patient, make_user


@pytest.fixture(autouse=True)
def _unfrozen_clock() -> Iterator[None]:
    yield
    clock.unfreeze()


@pytest.fixture
def admin(db: None) -> User:
    return make_user(role=Role.ADMIN, username="admin_alex")


@pytest.fixture
def provider(db: None) -> User:
    return make_user(role=Role.PROVIDER, username="provider_pat", credentials="MD")


@pytest.fixture
def coach(db: None) -> User:
    return make_user(role=Role.COORDINATOR, username="coach_casey")


@pytest.fixture
def front_desk(db: None) -> User:
    return make_user(role=Role.FRONT_DESK, username="front_desk_fran")


@pytest.fixture
def billing(db: None) -> User:
    return make_user(role=Role.BILLING, username="billing_bea")


@pytest.fixture
def patient_ann(db: None) -> Patient:
    user = make_user(role=Role.PATIENT, username="ann", first_name="Ann", last_name="Avery")
    return make_patient(given="Ann", family="Avery", user=user)


@pytest.fixture
def patient_bob(db: None) -> Patient:
    user = make_user(role=Role.PATIENT, username="bob", first_name="Bob", last_name="Baker")
    return make_patient(given="Bob", family="Baker", user=user)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` need PostgreSQL; on SQLite they are reported as skipped.

    .ci/run's second stage runs the whole suite on PostgreSQL, where they all run.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in .ci/run's PostgreSQL stage)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
