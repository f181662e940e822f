import pytest
from django.urls import reverse

from careloop.billing.models import Discount
from careloop.web.staff.billing.tests.builders import a_clinic, client_for, page

pytestmark = pytest.mark.django_db

URL = "/staff/billing/discounts/"


@pytest.fixture
def clinic():
    return a_clinic()


def create(user, **data):
    return client_for(user).post(
        URL,
        {"kind": "percent", "duration": "once", **data},
    )


def test_a_percentage_code_for_three_periods_on_one_plan_is_created_and_listed(clinic, billing):
    response = create(
        billing,
        name="Spring welcome",
        code="spring25",
        percent_off="25",
        duration="periods",
        periods="3",
        expires_on="2026-03-31",
        max_redemptions="50",
        plans=[str(clinic.essentials.id)],
    )
    assert response.status_code == 302
    discount = Discount.objects.get()
    assert (discount.code, discount.percent_off, discount.periods) == ("SPRING25", 25, 3)
    assert list(discount.plans.all()) == [clinic.essentials]
    row = page(billing, "staff:billing_discount_list").split("<code>SPRING25</code>")[1]
    row = row.split("</tr>")[0]
    for text in ("Spring welcome", "25%", "3 periods", "Essentials", "2026-03-31", "0 of 50"):
        assert text in row


def test_an_amount_off_is_typed_in_dollars(clinic, admin):
    create(admin, name="Ten off", code="TEN", kind="amount", amount_off="10.00")
    assert Discount.objects.get().amount_off == 1_000


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"code": "X1", "percent_off": "10"},
            "name",
            "Give the discount a name staff will recognise.",
        ),
        ({"name": "No code", "percent_off": "10"}, "code", "A discount needs a code"),
        ({"name": "Bad", "code": "TWO WORDS", "percent_off": "10"}, "code", "Use letters, digits"),
        ({"name": "Big", "code": "BIG", "percent_off": "150"}, "percent_off", "from 1 to 100"),
        (
            {"name": "Zero", "code": "ZERO", "kind": "amount", "amount_off": ""},
            "amount_off",
            "Enter an amount above zero.",
        ),
        (
            {"name": "P", "code": "P", "percent_off": "5", "duration": "periods"},
            "periods",
            "Enter how many periods, at least 1.",
        ),
        (
            {"name": "Old", "code": "OLD", "percent_off": "5", "expires_on": "2025-12-31"},
            "expires_on",
            "The expiry day has already passed.",
        ),
        ({"name": "N", "code": "N", "percent_off": "ten"}, "percent_off", "enter a whole number"),
    ],
)
def test_a_refused_code_names_the_field_and_creates_nothing(clinic, billing, data, field, message):
    response = create(billing, **data)
    body = response.content.decode()
    assert response.status_code == 422
    assert f'id="{field}-errors"' in body
    assert message in body
    assert "No code was created." in body
    assert not Discount.objects.exists()


def test_a_duplicate_code_is_refused(clinic, billing):
    create(billing, name="First", code="DUP", percent_off="10")
    response = create(billing, name="Second", code="dup", percent_off="20")
    assert "The code DUP is already in use." in response.content.decode()
    assert Discount.objects.count() == 1


def test_a_code_is_taken_off_offer(clinic, billing):
    create(billing, name="Spring", code="SPRING", percent_off="10")
    discount = Discount.objects.get()
    client = client_for(billing)
    response = client.post(reverse("staff:billing_discount_deactivate", args=[discount.pk]))
    discount.refresh_from_db()
    assert discount.active is False
    body = client.get(response["Location"]).content.decode()
    assert "SPRING is no longer offered." in body
    assert "Not offered" in body


def test_front_desk_may_not_see_or_create_codes(clinic, front_desk):
    assert client_for(front_desk).get(URL).status_code == 403
    assert create(front_desk, name="Sneaky", code="FREE", percent_off="100").status_code == 403
    assert not Discount.objects.exists()
