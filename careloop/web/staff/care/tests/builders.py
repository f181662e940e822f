"""A patient with a care plan for the staff care page tests (synthetic data only).

Ann's "Metabolic health" plan is applied by hand on Monday March 2 2026 (the clock stays
there): a monthly provider check-in and a fortnightly coaching session, both first due that
day, the check-in window from February 23 to March 16.
"""

from dataclasses import dataclass
from datetime import date

from careloop.accounts.models import User
from careloop.care.models import CarePlan, CareTask, Protocol
from careloop.care.services.care_plans import care_plan_apply
from careloop.care.tests.care_builders import check_in, coaching, protocol
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.patients.models import Patient

START = date(2026, 3, 2)


@dataclass(frozen=True)
class CareWorld:
    protocol: Protocol
    plan: CarePlan
    check_in: CareTask
    coaching: CareTask


def care_world(admin: User, patient: Patient, *, on: date = START) -> CareWorld:
    freeze_on(on)
    found = protocol(
        admin, None, check_in(instructions="Review the food diary."), coaching(days_after=3)
    )
    plan = care_plan_apply(actor=admin, patient=patient, protocol=found, reason="Referred")
    tasks = CareTask.objects.filter(care_plan=plan, index=1).select_related("care_activity")
    by_kind = {task.care_activity.kind: task for task in tasks}
    return CareWorld(found, plan, by_kind["check_in_visit"], by_kind["coaching_session"])


def fresh(task: CareTask) -> CareTask:
    return CareTask.objects.get(pk=task.pk)
