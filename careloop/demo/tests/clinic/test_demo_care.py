"""The demo clinic's care: what a clinic opening the care pages would notice."""

from collections import defaultdict
from datetime import timedelta

import pytest

from careloop.audit.models import AuditEvent
from careloop.care.models import (
    CarePlan,
    CareTask,
    CareTaskChange,
    ClinicalNote,
    LabOrder,
    LabResult,
    Measurement,
    NoteStatus,
    Protocol,
    TaskStatus,
)
from careloop.care.selectors.figures import milestone_figures
from careloop.care.selectors.queues import gap_tasks
from careloop.core import clock
from careloop.demo.care import METABOLIC_HEALTH, WELLNESS
from careloop.demo.care_records import HBA1C, TOTAL
from careloop.demo.catalog import ACTIVE_CARE, ESSENTIALS
from careloop.memberships.models import MembershipMember, MembershipStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clinic")]


def _timings(protocol: Protocol) -> set[tuple[str, int | None, str]]:
    return {(a.kind, a.every, a.unit) for a in protocol.activities.all()}


def test_the_metabolic_protocol_is_on_active_care_and_a_lighter_one_on_essentials():
    metabolic = Protocol.objects.get(name=METABOLIC_HEALTH)
    wellness = Protocol.objects.get(name=WELLNESS)

    assert [plan.code for plan in metabolic.plans.all()] == [ACTIVE_CARE]
    assert [plan.code for plan in wellness.plans.all()] == [ESSENTIALS]
    assert _timings(metabolic) == {
        ("check_in_visit", 1, "months"),
        ("lab_order", 3, "months"),
        ("coaching_session", 2, "weeks"),
        ("progress_note", 1, "months"),
    }
    assert _timings(wellness) == {("check_in_visit", 3, "months"), ("lab_order", 12, "months")}


def test_every_current_member_of_those_plans_has_its_care_plan():
    members = MembershipMember.objects.filter(
        left_on__isnull=True,
        membership__plan__code__in=[ACTIVE_CARE, ESSENTIALS],
        membership__status__in=[MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE],
    ).select_related("membership__plan")
    assert members
    for member in members:
        assert CarePlan.objects.filter(
            patient_id=member.patient_id,
            membership=member.membership,
            protocol__plans=member.membership.plan,
        ).exists()


def test_the_care_gaps_queue_and_each_plans_on_time_late_and_missed_figures_have_content():
    today = clock.today()
    figures = milestone_figures(start=today - timedelta(days=365), end=today, as_of=today)

    assert gap_tasks().exists()
    assert {row.protocol_name for row in figures} == {METABOLIC_HEALTH, WELLNESS}
    for row in figures:
        assert row.on_time > row.late > 0
        assert row.missed > 0


def test_every_task_due_is_done_scheduled_skipped_with_a_reason_or_flagged():
    today = clock.today()
    for task in CareTask.objects.filter(due_on__lte=today).prefetch_related("gap_steps"):
        if task.status == TaskStatus.SKIPPED:
            assert task.changes.get(action="skip").reason
        elif task.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS):
            assert task.window_end >= today or task.gap_steps.all()
        else:
            assert task.status in (TaskStatus.DONE, TaskStatus.CANCELLED)


def test_closed_tasks_have_their_day_history_and_audit_within_the_care_plan():
    today = clock.today()
    closed = CareTask.objects.filter(status__in=[TaskStatus.DONE, TaskStatus.SKIPPED])
    assert closed.count() > 100
    for task in closed.select_related("care_plan"):
        assert task.completed_on is not None
        assert task.care_plan.started_on <= task.completed_on <= today
    assert (
        CareTaskChange.objects.filter(task__in=closed, action__in=["complete", "skip"]).count()
        == closed.count()
    )
    audited = set(
        AuditEvent.objects.filter(
            object_type="care_task", action__in=["care.task_complete", "care.task_skip"]
        ).values_list("object_id", flat=True)
    )
    assert {str(pk) for pk in closed.values_list("pk", flat=True)} <= audited


def _series(loinc: str) -> dict[int, list[float]]:
    series: dict[int, list[float]] = defaultdict(list)
    results = LabResult.objects.filter(component__loinc=loinc).select_related("order")
    for result in results.order_by("observed_at"):
        series[result.order.patient_id].append(float(result.value))
    return series


def test_hba1c_falls_for_some_patients_and_lipids_vary():
    hba1c = [values for values in _series(HBA1C).values() if len(values) >= 3]
    cholesterol = [values for values in _series(TOTAL).values() if len(values) >= 2]

    assert any(values[-1] <= values[0] - 0.5 for values in hba1c)
    assert any(values[-1] >= values[0] for values in hba1c)
    assert cholesterol
    assert sum(len(set(values)) > 1 for values in cholesterol) > len(cholesterol) / 2


def test_lab_orders_move_through_their_lifecycle_in_date_order_and_close_their_tasks():
    orders = LabOrder.objects.select_related("care_task")
    assert orders
    for order in orders:
        assert order.status == "reviewed"
        stamps = [order.ordered_at, order.collected_at, order.resulted_at, order.reviewed_at]
        assert None not in stamps
        assert stamps == sorted(stamps)  # type: ignore[type-var]
        assert order.care_task is not None
        assert order.care_task.status == TaskStatus.DONE
        assert order.care_task.completed_at == order.reviewed_at


def test_signed_progress_and_coaching_notes_have_a_signer_and_record_measurements():
    signed = ClinicalNote.objects.filter(status=NoteStatus.SIGNED)

    assert {note.kind for note in signed} == {"progress", "coaching"}
    assert not signed.filter(signed_by__isnull=True).exists()
    assert not signed.filter(signed_at__isnull=True).exists()
    assert Measurement.objects.filter(key="weight").count() >= signed.count()
