import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Sponsor
from careloop.memberships.services.catalog import plan_update
from careloop.memberships.services.sponsors import sponsor_create, sponsor_update
from careloop.memberships.tests.catalog_builders import a_plan

pytestmark = pytest.mark.django_db


def test_a_sponsor_paying_a_fixed_share_for_two_plans(billing, admin):
    essentials, active = a_plan(admin, "essentials"), a_plan(admin, "active-care")
    sponsor = sponsor_create(
        actor=billing,
        name="Acme Logistics",
        contact_name="Dana Reyes",
        contact_email="Dana@Acme.Invalid",
        contact_phone="(512) 555-0143",
        share="fixed",
        fixed_share_amount=7500,
        plan_ids=[essentials.id, active.id],
    )
    assert (sponsor.contact_email, sponsor.contact_phone) == ("Dana@acme.invalid", "+15125550143")
    assert set(sponsor.plans.all()) == {essentials, active}
    assert AuditEvent.objects.filter(action="sponsor.create", object_id=str(sponsor.id)).exists()


def test_a_sponsor_paying_everything_needs_no_amount(billing):
    sponsor = sponsor_create(actor=billing, name="Northwind", share="all")
    assert (sponsor.share, sponsor.fixed_share_amount) == ("all", None)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"share": "fixed"}, "fixed_share_amount", "required"),
        ({"share": "fixed", "fixed_share_amount": 0}, "fixed_share_amount", "too_small"),
        ({"share": "fixed", "fixed_share_amount": -5}, "fixed_share_amount", "too_small"),
        ({"share": "fixed", "fixed_share_amount": 12.5}, "fixed_share_amount", "fractional_amount"),
        ({"share": "all", "fixed_share_amount": 5000}, "fixed_share_amount", "not_applicable"),
        ({"share": "half"}, "share", "invalid_choice"),
        ({"name": ""}, "name", "required"),
        ({"contact_email": "not-an-address"}, "contact_email", "invalid"),
        ({"contact_phone": "12"}, "contact_phone", "invalid_phone"),
        ({"plan_ids": [987654]}, "plan_ids", "not_found"),
    ],
)
def test_share_rules_and_fields_are_named_and_nothing_is_created(billing, fields, field, code):
    values = {"name": "Acme"} | fields
    with pytest.raises(ValidationFailed) as raised:
        sponsor_create(actor=billing, **values)
    assert (field, code) in [(e.field, e.code) for e in raised.value.errors]
    assert not Sponsor.objects.exists()


def test_a_retired_plan_cannot_be_newly_sponsored(billing, admin):
    plan = a_plan(admin)
    plan_update(actor=admin, plan=plan, status="active")
    plan_update(actor=admin, plan=plan, status="retired")
    with pytest.raises(ValidationFailed) as raised:
        sponsor_create(actor=billing, name="Acme", plan_ids=[plan.id])
    assert raised.value.errors[0].code == "plan_retired"


def test_sponsor_names_are_unique(billing):
    sponsor_create(actor=billing, name="Acme")
    with pytest.raises(ValidationFailed) as raised:
        sponsor_create(actor=billing, name="ACME")
    assert raised.value.errors[0].code == "taken"


def test_switching_to_a_fixed_share_and_back(billing, admin):
    plan = a_plan(admin)
    sponsor = sponsor_create(actor=billing, name="Acme")
    sponsor_update(actor=billing, sponsor=sponsor, share="fixed", fixed_share_amount=5000)
    sponsor_update(actor=billing, sponsor=sponsor, plan_ids=[plan.id])
    sponsor.refresh_from_db()
    assert (sponsor.share, sponsor.fixed_share_amount) == ("fixed", 5000)
    assert list(sponsor.plans.all()) == [plan]
    sponsor_update(actor=billing, sponsor=sponsor, share="all", fixed_share_amount=None)
    sponsor.refresh_from_db()
    assert (sponsor.share, sponsor.fixed_share_amount) == ("all", None)
    fields = [e.detail["fields"] for e in AuditEvent.objects.filter(action="sponsor.update")]
    assert fields == [["fixed_share_amount", "share"], ["plans"], ["fixed_share_amount", "share"]]


def test_a_rejected_update_changes_nothing(billing):
    sponsor = sponsor_create(actor=billing, name="Acme", share="fixed", fixed_share_amount=5000)
    with pytest.raises(ValidationFailed):
        sponsor_update(actor=billing, sponsor=sponsor, name="Renamed", fixed_share_amount=-1)
    sponsor.refresh_from_db()
    assert (sponsor.name, sponsor.fixed_share_amount) == ("Acme", 5000)
