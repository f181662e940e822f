from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import RosterEntry
from careloop.memberships.services.sponsors import (
    RowOutcome,
    roster_add,
    roster_upload_apply,
    roster_upload_preview,
    sponsor_create,
)
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db

HEADER = "given_name,family_name,date_of_birth,effective_on,terminated_on\n"


@pytest.fixture
def sponsor(billing):
    return sponsor_create(actor=billing, name="Acme")


@pytest.fixture
def people():
    return {
        "zoe": make_patient(given="Zoë", family="Núñez", date_of_birth=date(1985, 3, 2)),
        "twin1": make_patient(given="Sam", family="Lee", date_of_birth=date(1990, 7, 7)),
        "twin2": make_patient(given="Sam", family="Lee", date_of_birth=date(1990, 7, 7)),
        "omar": make_patient(given="Omar", family="Haddad", date_of_birth=date(1979, 11, 30)),
    }


def test_the_preview_reports_each_row_and_changes_nothing(billing, sponsor, people):
    content = HEADER + (
        "zoe,NUNEZ,1985-03-02,2025-01-01,\n"
        "Sam,Lee,1990-07-07,2025-01-01,\n"
        "Nobody,Known,1990-01-01,2025-01-01,\n"
        "Omar,Haddad,1979-11-30,2025-02-30,\n"
        "Zoe,Nunez,03/02/1985,2025-01-01,\n"
    )
    preview = roster_upload_preview(actor=billing, sponsor=sponsor, content=content)
    assert [(row.line, row.outcome) for row in preview.rows] == [
        (2, RowOutcome.ADD),
        (3, RowOutcome.AMBIGUOUS),
        (4, RowOutcome.NOT_FOUND),
        (5, RowOutcome.INVALID),
        (6, RowOutcome.DUPLICATE),
    ]
    assert "effective_on “2025-02-30”" in preview.rows[3].message
    assert preview.rows[0].patient == people["zoe"]
    assert not preview.applicable
    assert not RosterEntry.objects.exists()
    event = AuditEvent.objects.get(action="sponsor.roster_preview")
    assert event.detail == {"patient_ids": [people["zoe"].id, people["zoe"].id]}


def test_a_clean_file_is_applied_all_at_once(billing, sponsor, people):
    content = HEADER + (
        "Zoë,Núñez,1985-03-02,2025-01-01,\nOmar,Haddad,1979-11-30,2025-01-01,2025-06-01\n"
    )
    preview = roster_upload_apply(actor=billing, sponsor=sponsor, content=content)
    assert preview.count(RowOutcome.ADD) == 2
    entries = {e.patient_id: e.terminated_on for e in RosterEntry.objects.all()}
    assert entries == {people["zoe"].id: None, people["omar"].id: date(2025, 6, 1)}
    assert AuditEvent.objects.get(action="sponsor.roster_upload").detail["added"] == 2


def test_a_file_with_any_bad_row_applies_nothing(billing, sponsor, people):
    content = HEADER + "Zoë,Núñez,1985-03-02,2025-01-01,\nNobody,Known,1990-01-01,2025-01-01,\n"
    with pytest.raises(ValidationFailed) as raised:
        roster_upload_apply(actor=billing, sponsor=sponsor, content=content)
    assert [e.message for e in raised.value.errors] == [
        "Line 3: No patient has this name and date of birth; register them first."
    ]
    assert not RosterEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="sponsor.roster_add").exists()


def test_uploading_the_same_file_again_is_unchanged_and_a_later_file_terminates(
    billing, sponsor, people
):
    roster_add(actor=billing, sponsor=sponsor, patient=people["zoe"], effective_on=date(2025, 1, 1))
    same = roster_upload_preview(
        actor=billing, sponsor=sponsor, content=HEADER + "Zoë,Núñez,1985-03-02,2025-01-01,\n"
    )
    assert same.rows[0].outcome == RowOutcome.UNCHANGED
    assert not same.applicable
    later = HEADER + "Zoë,Núñez,1985-03-02,2025-01-01,2025-09-01\n"
    roster_upload_apply(actor=billing, sponsor=sponsor, content=later)
    assert RosterEntry.objects.get().terminated_on == date(2025, 9, 1)


def test_an_overlapping_row_is_a_conflict(billing, sponsor, people):
    roster_add(actor=billing, sponsor=sponsor, patient=people["zoe"], effective_on=date(2025, 1, 1))
    preview = roster_upload_preview(
        actor=billing, sponsor=sponsor, content=HEADER + "Zoë,Núñez,1985-03-02,2025-03-01,\n"
    )
    assert preview.rows[0].outcome == RowOutcome.CONFLICT
    assert "already on Acme's roster from 2025-01-01" in preview.rows[0].message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("name,birth\nZoe,1985-03-02\n", "missing: given_name, family_name"),
        (HEADER, "no rows"),
        ("", "missing"),
    ],
)
def test_a_file_without_the_right_columns_or_rows_is_refused(billing, sponsor, content, fragment):
    preview = roster_upload_preview(actor=billing, sponsor=sponsor, content=content)
    assert fragment in preview.file_error
    with pytest.raises(ValidationFailed) as raised:
        roster_upload_apply(actor=billing, sponsor=sponsor, content=content)
    assert raised.value.errors[0].field == "file"
