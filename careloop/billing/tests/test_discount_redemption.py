"""Redeeming a discount code: refused with an error naming the field `code` and its rule when
the code is unknown, expired, used up, for another plan or already on the membership, and then
nothing changes. Creating a code names each bad field."""

from datetime import date
from typing import Any

import pytest

from careloop.audit.models import AuditEvent
from careloop.billing.models import Discount, DiscountRedemption
from careloop.billing.services.discounts import discount_create, discount_redeem
from careloop.core.errors import ValidationFailed
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def essentials(db):
    freeze_on(date(2026, 1, 1))
    return make_plan(code="essentials", rank=1, monthly=10_000)


@pytest.fixture
def member(admin, essentials):
    return enroll(admin, essentials, make_patient(given="Ann"), start=date(2026, 1, 1))


def _code(admin, code: str = "WELCOME", **fields):
    values: dict[str, Any] = {
        "name": "Welcome",
        "kind": "percent",
        "percent_off": 10,
        "duration": "once",
    }
    return discount_create(actor=admin, code=code, **(values | fields))


def _state():
    return (
        list(DiscountRedemption.objects.values_list("id", flat=True)),
        AuditEvent.objects.filter(action="billing.discount_redeemed").count(),
    )


def _refused(admin, member, code: str) -> tuple[str, str, str]:
    before = _state()
    with pytest.raises(ValidationFailed) as refused:
        discount_redeem(actor=admin, membership=member, code=code)
    assert _state() == before
    [error] = refused.value.errors
    return error.field, error.code, error.message


def test_a_code_is_redeemed_whatever_its_case_and_spaces(admin, member):
    discount = _code(admin)
    redemption = discount_redeem(actor=admin, membership=member, code="  welcome ")
    assert (redemption.discount, redemption.membership) == (discount, member)
    assert AuditEvent.objects.filter(action="billing.discount_redeemed").count() == 1


def test_a_code_redeemed_on_its_expiry_day_is_accepted(admin, member):
    _code(admin, expires_on=date(2026, 1, 31))
    freeze_on(date(2026, 1, 31))
    assert discount_redeem(actor=admin, membership=member, code="WELCOME").pk is not None


def test_a_code_redeemed_after_its_expiry_day_is_refused_and_nothing_changes(admin, member):
    _code(admin, expires_on=date(2026, 1, 31))
    freeze_on(date(2026, 2, 1))
    assert _refused(admin, member, "WELCOME") == (
        "code",
        "expired",
        "The code WELCOME expired on Jan 31, 2026.",
    )


def test_an_unknown_code_is_refused(admin, member):
    assert _refused(admin, member, "nope") == ("code", "unknown", "There is no discount code NOPE.")


def test_an_empty_code_is_refused(admin, member):
    assert _refused(admin, member, "   ")[:2] == ("code", "required")


def test_a_code_beyond_its_redemption_limit_is_refused(admin, essentials, member):
    _code(admin, max_redemptions=1)
    other = enroll(admin, essentials, make_patient(given="Bob"), start=date(2026, 1, 1))
    discount_redeem(actor=admin, membership=other, code="WELCOME")
    assert _refused(admin, member, "WELCOME")[:2] == ("code", "used_up")


def test_a_code_for_another_plan_is_refused(admin, member):
    active_care = make_plan(code="active-care", rank=2, monthly=15_000)
    _code(admin, plans=[active_care])
    assert _refused(admin, member, "WELCOME") == (
        "code",
        "wrong_plan",
        "The code WELCOME does not apply to Essentials.",
    )


def test_a_code_is_redeemed_once_per_membership(admin, member):
    _code(admin)
    discount_redeem(actor=admin, membership=member, code="WELCOME")
    assert _refused(admin, member, "WELCOME")[:2] == ("code", "already_redeemed")


def test_an_inactive_code_is_refused(admin, member):
    discount = _code(admin)
    Discount.objects.filter(pk=discount.pk).update(active=False)
    assert _refused(admin, member, "WELCOME")[:2] == ("code", "inactive")


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": "  "}, "name", "required"),
        ({"code": "NO SPACES"}, "code", "invalid"),
        ({"code": None}, "code", "required"),
        ({"kind": "free"}, "kind", "invalid"),
        ({"percent_off": 0}, "percent_off", "out_of_range"),
        ({"percent_off": 101}, "percent_off", "out_of_range"),
        ({"kind": "amount", "amount_off": 0}, "amount_off", "out_of_range"),
        ({"kind": "amount", "amount_off": -500}, "amount_off", "out_of_range"),
        ({"duration": "sometimes"}, "duration", "invalid"),
        ({"duration": "periods", "periods": 0}, "periods", "out_of_range"),
        ({"expires_on": date(2025, 12, 31)}, "expires_on", "in_past"),
        ({"max_redemptions": 0}, "max_redemptions", "out_of_range"),
    ],
)
def test_a_bad_discount_names_the_field_and_creates_nothing(admin, essentials, fields, field, code):
    values: dict[str, Any] = {
        "name": "Welcome",
        "code": "WELCOME",
        "kind": "percent",
        "percent_off": 10,
    }
    values |= {"duration": "once"} | fields
    with pytest.raises(ValidationFailed) as refused:
        discount_create(actor=admin, **values)
    assert (field, code) in [(error.field, error.code) for error in refused.value.errors]
    assert not Discount.objects.exists()


def test_a_code_already_in_use_is_refused_whatever_its_case(admin, essentials):
    _code(admin)
    with pytest.raises(ValidationFailed) as refused:
        _code(admin, code="welcome")
    assert [(error.field, error.code) for error in refused.value.errors] == [("code", "duplicate")]
    assert Discount.objects.count() == 1
