from datetime import date

import pytest

from careloop.patients.selectors import patient_search
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "ann": make_patient(
            given="Ann",
            family="Avery",
            date_of_birth=date(1980, 5, 17),
            mobile_phone="+15125550101",
            email="ann.avery@example.invalid",
        ),
        "anna": make_patient(
            given="Anna",
            family="Zeller",
            preferred_name="Nan",
            date_of_birth=date(1991, 2, 3),
            mobile_phone="+17375550102",
            email="anna.z@example.invalid",
        ),
        "zoe": make_patient(
            given="Zoë",
            family="Ångström",
            date_of_birth=date(1980, 5, 17),
            mobile_phone="+442079460958",
            email="zoe@example.invalid",
        ),
        "bob": make_patient(
            given="Bob",
            family="Annand",
            date_of_birth=date(1975, 11, 30),
            mobile_phone="+15125550199",
            email="bob@example.invalid",
        ),
    }


def names(patients):
    return [patient.legal_given_name for patient in patients]


def test_a_name_prefix_matches_given_family_and_preferred_names_ordered_by_family(people):
    # Ångström folds to "angstrom", which sorts before "annand"
    assert names(patient_search("an")) == ["Zoë", "Bob", "Ann", "Anna"]
    assert names(patient_search("nan")) == ["Anna"]


def test_every_name_token_must_match(people):
    assert names(patient_search("ann av")) == ["Ann"]
    assert names(patient_search("Avery, Ann")) == ["Ann"]
    assert patient_search("ann smith") == []


def test_accents_and_case_are_ignored_both_ways(people):
    assert names(patient_search("ZOE ang")) == ["Zoë"]
    assert names(patient_search("Zoë Ångs")) == ["Zoë"]


@pytest.mark.parametrize("query", ["1980-05-17", "05/17/1980", "5/17/1980"])
def test_a_date_of_birth_in_any_common_form_matches(people, query):
    assert names(patient_search(query)) == ["Zoë", "Ann"]


def test_an_impossible_date_matches_nobody(people):
    assert patient_search("2/30/1980") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("(512) 555-01", ["Bob", "Ann"]),
        ("512555019", ["Bob"]),
        ("1512555", ["Bob", "Ann"]),
        ("+1 737", ["Anna"]),
        ("+44 20 79", ["Zoë"]),
        ("737-555", ["Anna"]),
    ],
)
def test_a_phone_prefix_matches_with_or_without_the_country_code(people, query, expected):
    assert names(patient_search(query)) == expected


def test_a_token_with_an_at_sign_is_an_email_prefix(people):
    assert names(patient_search("ANN.AVERY@")) == ["Ann"]
    assert names(patient_search("ann.av@")) == []
    assert names(patient_search("anna.z@example")) == ["Anna"]
    assert names(patient_search("bob@")) == ["Bob"]


def test_dotted_text_matches_the_start_of_an_email(people):
    assert names(patient_search("ann.av")) == ["Ann"]
    assert names(patient_search("Anna.Z")) == ["Anna"]


def test_mixed_queries_combine_with_and(people):
    assert names(patient_search("ann 1980-05-17")) == ["Ann"]
    assert names(patient_search("a 5/17/1980")) == ["Zoë", "Ann"]
    assert names(patient_search("zoe 512")) == []


def test_the_limit_caps_the_results(people):
    assert names(patient_search("an", limit=2)) == ["Zoë", "Bob"]


def test_an_empty_query_matches_nobody(people):
    assert patient_search("   ") == []
    assert patient_search(",") == []


def test_like_wildcards_in_the_query_are_taken_literally(people):
    assert patient_search("a%n") == []
    assert patient_search("_nn") == []
