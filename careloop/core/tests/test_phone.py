import pytest

from careloop.core.errors import ValidationFailed
from careloop.core.phone import display_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(512) 555-0123", "+15125550123"),
        ("512.555.0123", "+15125550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("  ", ""),
    ],
)
def test_it_stores_phone_numbers_in_e164(raw, expected):
    assert normalize_phone(raw, field="mobile_phone") == expected


@pytest.mark.parametrize("raw", ["12", "not a number", "+1 000 000 0000"])
def test_it_names_the_field_of_an_invalid_number(raw):
    with pytest.raises(ValidationFailed) as caught:
        normalize_phone(raw, field="mobile_phone")
    assert caught.value.errors[0].field == "mobile_phone"
    assert caught.value.errors[0].code == "invalid_phone"


def test_it_displays_us_numbers_in_national_format():
    assert display_phone("+15125550123") == "(512) 555-0123"
