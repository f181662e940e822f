from typing import Any

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Service
from careloop.memberships.services.catalog import service_create, service_update
from careloop.memberships.tests.catalog_builders import a_service

pytestmark = pytest.mark.django_db

GOOD: dict[str, Any] = {
    "code": "lab-panel",
    "name": "Lab panel",
    "kind": "lab_panel",
    "a_la_carte_price": 12500,
}


def test_a_service_is_created_with_its_price_in_cents_and_audited(admin):
    service = service_create(actor=admin, **GOOD)
    assert (service.code, service.a_la_carte_price, service.active) == ("lab-panel", 12500, True)
    event = AuditEvent.objects.get(action="catalog.service_create")
    assert event.object_id == str(service.id)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("a_la_carte_price", -1, "too_small"),
        ("a_la_carte_price", 12.5, "fractional_amount"),
        ("a_la_carte_price", "12.50", "not_a_number"),
        ("a_la_carte_price", None, "required"),
        ("code", "Lab Panel!", "invalid_code"),
        ("code", "", "required"),
        ("name", "  ", "required"),
        ("kind", "massage", "invalid_choice"),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_created(admin, field, value, code):
    with pytest.raises(ValidationFailed) as raised:
        service_create(actor=admin, **(GOOD | {field: value}))
    assert [(e.field, e.code) for e in raised.value.errors] == [(field, code)]
    assert not Service.objects.exists()
    assert not AuditEvent.objects.filter(action="catalog.service_create").exists()


def test_a_negative_price_message_names_the_field(admin):
    with pytest.raises(ValidationFailed) as raised:
        service_create(actor=admin, **(GOOD | {"a_la_carte_price": -100}))
    assert raised.value.errors[0].message == "A-la-carte price cannot be negative."


def test_two_services_cannot_share_a_code(admin):
    a_service(admin, "lab-panel")
    with pytest.raises(ValidationFailed) as raised:
        service_create(actor=admin, **GOOD)
    assert raised.value.errors[0].code == "taken"
    assert Service.objects.count() == 1


def test_an_update_changes_only_what_is_given_and_audits_the_fields(admin):
    service = a_service(admin, "iv-therapy", a_la_carte_price=20000)
    updated = service_update(actor=admin, service=service, a_la_carte_price=22500, active=False)
    assert (updated.a_la_carte_price, updated.active, updated.name) == (22500, False, "Iv therapy")
    event = AuditEvent.objects.get(action="catalog.service_update")
    assert event.detail == {"fields": ["a_la_carte_price", "active"]}


def test_a_rejected_update_changes_nothing(admin):
    service = a_service(admin, "iv-therapy", a_la_carte_price=20000)
    with pytest.raises(ValidationFailed):
        service_update(actor=admin, service=service, a_la_carte_price=-5, name="Renamed")
    service.refresh_from_db()
    assert (service.a_la_carte_price, service.name) == (20000, "Iv therapy")
