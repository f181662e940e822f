"""Fixtures shared by the messaging domain tests and the staff messaging page tests: each
folder's conftest imports them."""

import pytest

from careloop.accounts.models import User
from careloop.messaging.models import MessagingTeam, Thread
from careloop.messaging.tests.messaging_builders import (
    care_team_routes,
    concierge,
    member,
    primary_provider,
    start,
)
from careloop.patients.models import Patient


@pytest.fixture
def clinical(admin: User, provider: User) -> MessagingTeam:
    return care_team_routes(admin)


@pytest.fixture
def ann_in_concierge(admin: User, provider: User, patient_ann: Patient, clinical) -> Patient:
    """Ann, a Concierge member (4 business hours) whose primary provider is `provider`."""
    member(admin, concierge(), patient_ann)
    primary_provider(admin, patient_ann, provider)
    return patient_ann


@pytest.fixture
def ann_thread(ann_in_concierge: Patient) -> Thread:
    return start(ann_in_concierge)


@pytest.fixture(autouse=True)
def attachment_folder(settings, tmp_path):
    settings.MESSAGING_ATTACHMENT_DIR = tmp_path / "attachments"
    return settings.MESSAGING_ATTACHMENT_DIR
