import pytest

from careloop.billing.models import BillingSettings
from careloop.web.staff.billing.tests.builders import client_for, page

pytestmark = pytest.mark.django_db

URL = "/staff/billing/settings/"
VALID = {
    "retry_days": "2, 3, 7",
    "after_final_failure": "cancel",
    "renewal_notice_days": "14, 60",
    "overage_billing": "at_once",
    "card_expiry_notice_days": "21",
}


def test_the_page_shows_the_defaults_without_saving_them(billing):
    body = page(billing, "staff:billing_settings")
    assert 'value="1, 1, 5"' in body
    assert 'value="30, 7"' in body
    assert 'value="14"' in body
    assert not BillingSettings.objects.exists()


def test_valid_settings_are_saved(billing):
    client = client_for(billing)
    response = client.post(URL, VALID)
    assert response.status_code == 302
    saved = BillingSettings.objects.get()
    assert saved.retry_schedule == [2, 3, 7]
    assert saved.renewal_notices == [60, 14]
    assert (saved.after_final_failure, saved.overage_billing) == ("cancel", "at_once")
    assert saved.card_expiry_notice_days == 21
    assert "Billing settings saved." in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("retry_days", "1, two", "Retry days: enter whole numbers of days separated by commas"),
        ("retry_days", "", "Enter at least one retry, such as 1, 1, 5."),
        ("retry_days", "1, 0, 5", "Each retry comes 1 to 30 days after the previous try."),
        ("retry_days", "1,1,1,1,1,1,1,1,1", "Retry at most 8 times after a failure."),
        ("renewal_notice_days", "30, 30", "A notice day is listed twice."),
        ("renewal_notice_days", "400", "Each notice goes 1 to 365 days before the renewal."),
        ("card_expiry_notice_days", "0", "Enter a number of days from 1 to 90."),
        ("card_expiry_notice_days", "", "Enter a number of days from 1 to 90."),
        ("after_final_failure", "shrug", "Choose cancel or keep past due."),
    ],
)
def test_a_refused_setting_is_named_beside_its_field_and_nothing_is_saved(
    billing, field, value, message
):
    response = client_for(billing).post(URL, {**VALID, field: value})
    body = response.content.decode()
    assert response.status_code == 422
    assert f'id="{field}-errors"' in body
    assert message in body
    assert "Nothing was saved." in body
    assert not BillingSettings.objects.exists()


def test_front_desk_may_not_change_billing_settings(front_desk):
    assert client_for(front_desk).post(URL, VALID).status_code == 403
    assert not BillingSettings.objects.exists()
