import pytest
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection

from careloop.care.models import (
    Activity,
    CareActivity,
    CareGapStep,
    CarePlan,
    CarePlanChange,
    CareReminder,
    CareTask,
    CareTaskChange,
    ClinicalNote,
    LabFollowUp,
    LabOrder,
    LabOrderChange,
    LabOrderLine,
    LabResult,
    Measurement,
    NoteAddendum,
    NoteTemplate,
    Protocol,
)
from careloop.demo.seed import demo_seed
from careloop.demo.tests.snapshots import (
    appointments_snapshot,
    care_snapshot,
    ledger_snapshot,
    memberships_snapshot,
)
from careloop.memberships.models import (
    Benefit,
    CancellationReason,
    EntitlementEntry,
    Membership,
    MembershipMember,
    Plan,
    PlanPrice,
    RosterEntry,
    ScheduledChange,
    Service,
    Sponsor,
    StatusChange,
)
from careloop.scheduling.models import (
    Appointment,
    AppointmentReminder,
    AppointmentSeries,
    AppointmentStatusChange,
    AppointmentType,
    Break,
    Location,
    TimeOff,
    WorkingHours,
)
from careloop.testing.billing import forget_billing

pytestmark = pytest.mark.django_db

# A smaller clinic keeps the test quick; the stories are the same kind as the full demo's.
PATIENTS = 40


def _forget_calendar() -> None:
    for model in (
        AppointmentReminder,
        AppointmentStatusChange,
        Appointment,
        AppointmentSeries,
        Break,
        WorkingHours,
        TimeOff,
        AppointmentType,
        Location,
    ):
        model.objects.all().delete()


def _forget_care() -> None:
    """Care rows refer to memberships, plans and visits: they go first."""
    for model in (
        LabFollowUp,
        LabResult,
        LabOrderChange,
        LabOrderLine,
        LabOrder,
        Measurement,
        NoteAddendum,
        ClinicalNote,
        NoteTemplate,
        CareReminder,
        CareGapStep,
        CareTaskChange,
        CareTask,
        CareActivity,
        CarePlanChange,
        CarePlan,
        Activity,
        Protocol,
    ):
        model.objects.all().delete()


def _forget_messaging() -> None:
    """Threads refer to patients and plans. Messages refuse DELETE on PostgreSQL (they are
    append-only), so the tables are emptied as Django's flush empties them: TRUNCATE there."""
    tables = [model._meta.db_table for model in apps.get_app_config("messaging").get_models()]
    if connection.vendor == "postgresql":
        # The seed's deferred foreign-key checks are still pending in the test's transaction,
        # and PostgreSQL refuses to TRUNCATE a table with pending trigger events.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
    )


def _forget_memberships() -> None:
    _forget_messaging()
    _forget_care()
    forget_billing()
    _forget_calendar()
    EntitlementEntry.objects.update(settles=None)
    EntitlementEntry.objects.all().delete()
    StatusChange.objects.all().delete()
    ScheduledChange.objects.all().delete()
    MembershipMember.objects.all().delete()
    Membership.objects.all().delete()
    RosterEntry.objects.all().delete()
    Sponsor.objects.all().delete()
    Benefit.objects.all().delete()
    PlanPrice.objects.all().delete()
    Plan.objects.all().delete()
    Service.objects.all().delete()
    CancellationReason.objects.all().delete()


def test_seeding_the_memberships_again_from_nothing_gives_the_same_history():
    demo_seed(patient_count=PATIENTS)
    first = (memberships_snapshot(), ledger_snapshot(), appointments_snapshot(), care_snapshot())
    assert all(first)
    _forget_memberships()
    demo_seed(patient_count=PATIENTS)
    assert (
        memberships_snapshot(),
        ledger_snapshot(),
        appointments_snapshot(),
        care_snapshot(),
    ) == first
