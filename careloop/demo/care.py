"""The demo clinic's care: protocols on Active Care and Essentials, care plans for their
members, and a year of care work done on time, late, skipped or missed.

Protocols, note templates and care plans are made through the care services, and the plans'
work through generation (one run as of today creates the year's occurrences, as a run after
a gap does). Lab orders go through the lab services from draft to review (the review closes
the lab task), and some patients' progress and coaching notes through the note services
(signing closes the progress-note task and records the measurements). The other tasks, most
of the year's work, are closed in bulk for speed, with what the task service would write:
the status and its day, a history row by the staff member who did it, and one audit event
each (chained in one segment per day). Missed work is left open; the escalation service
then flags it, so the care-gaps queue and the figures have content.

Deterministic: each patient's story comes from a generator seeded by their email.
Idempotent: nothing is done when the Metabolic health protocol exists.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import AuditEntry, audit_record_many
from careloop.care.models import (
    ActivityKind,
    CarePlan,
    CarePlanStatus,
    CareTask,
    CareTaskChange,
    Protocol,
    TaskStatus,
)
from careloop.care.services.activities import ActivitySpec
from careloop.care.services.care_plans import care_plan_create
from careloop.care.services.gaps import care_gaps_escalate
from careloop.care.services.generation import care_plan_generate
from careloop.care.services.notes import note_template_create
from careloop.care.services.protocols import protocol_create
from careloop.core import clock
from careloop.demo.care_records import CareRecords, Ending
from careloop.demo.catalog import ACTIVE_CARE, ESSENTIALS
from careloop.memberships.models import Membership, MembershipStatus, Plan
from careloop.patients.models import CareTeamMember, CareTeamRole

METABOLIC_HEALTH = "Metabolic health"
WELLNESS = "Essentials wellness"
CARRYING = (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE, MembershipStatus.PAUSED)
SKIP_REASONS = (
    "Patient travelling this month; seen at the next visit.",
    "Covered at the annual physical.",
    "Patient declined this one.",
)
# How reliably a patient's work gets done: (on time, late, skipped); the rest is missed.
ADHERENCE = {
    "steady": (0.88, 0.06, 0.02),
    "busy": (0.70, 0.15, 0.05),
    "drifting": (0.55, 0.15, 0.05),
}
PROFILES = ("steady", "steady", "steady", "busy", "busy", "drifting")


def _every(
    kind: str,
    role: str,
    every: int,
    unit: str,
    order: int,
    *,
    instructions: str,
    service_kind: str = "",
) -> ActivitySpec:
    return ActivitySpec(
        kind=kind, role=role, repeat="every", every=every, unit=unit, order=order,
        instructions=instructions, service_kind=service_kind,
    )  # fmt: skip


PROTOCOLS = {
    METABOLIC_HEALTH: (
        ACTIVE_CARE,
        "Monthly follow-up, quarterly HbA1c and lipids, coaching every two weeks, and a "
        "monthly progress note, for members working on weight, glucose and lipids.",
        [
            _every(
                "check_in_visit", "provider", 1, "months", 0,
                service_kind="provider_visit", instructions="Monthly follow-up visit.",
            ),
            _every(
                "lab_order", "provider", 3, "months", 1,
                instructions="HbA1c and lipid panel.",
            ),
            _every(
                "coaching_session", "coordinator", 2, "weeks", 2,
                service_kind="coaching_session",
                instructions="Nutrition, activity and sleep goals; review the food log.",
            ),
            _every(
                "progress_note", "provider", 1, "months", 3,
                instructions="Weight, blood pressure, goals; note the latest labs.",
            ),
        ],
    ),
    WELLNESS: (
        ESSENTIALS,
        "A quarterly check-in and yearly labs.",
        [
            _every(
                "check_in_visit", "provider", 3, "months", 0,
                service_kind="provider_visit", instructions="Quarterly check-in.",
            ),
            _every(
                "lab_order", "provider", 12, "months", 1,
                instructions="Yearly lipid panel and HbA1c.",
            ),
        ],
    ),
}  # fmt: skip
VITALS = [
    {"key": "weight", "label": "Weight", "kind": "number", "unit": "kg", "low": 20, "high": 350},
    {"key": "systolic", "label": "Systolic", "kind": "number", "unit": "mm[Hg]", "low": 60,
     "high": 260},
    {"key": "diastolic", "label": "Diastolic", "kind": "number", "unit": "mm[Hg]", "low": 30,
     "high": 160},
    {"key": "waist", "label": "Waist", "kind": "number", "unit": "cm", "low": 40, "high": 200},
    {"key": "goal", "label": "Goal", "kind": "text"},
]  # fmt: skip
COACHING_FIELDS = [VITALS[0], VITALS[4]]


@dataclass(frozen=True)
class CareStaff:
    admin: User
    providers: list[User]
    coaches: list[User]


def demo_care_seed(*, staff: CareStaff, opened: date, today: date, seed: int) -> int:
    """Protocols, care plans and a year of care work; the care plans created (0 when the
    protocols exist already)."""
    if Protocol.objects.filter(name=METABOLIC_HEALTH).exists():
        return 0
    with clock.frozen_at(_at(opened, time(9))):
        templates = {
            "progress": note_template_create(
                actor=staff.admin,
                name="Monthly progress",
                kind="progress",
                sections=["subjective", "objective", "assessment", "plan"],
                fields=VITALS,
            ),
            "coaching": note_template_create(
                actor=staff.admin,
                name="Coaching session",
                kind="coaching",
                sections=["subjective", "plan"],
                fields=COACHING_FIELDS,
            ),
        }
        protocols = [
            protocol_create(
                actor=staff.admin,
                name=name,
                description=description,
                plans=[plan],
                activities=activities,
            )
            for name, (code, description, activities) in PROTOCOLS.items()
            for plan in [Plan.objects.get(code=code)]
        ]
    plans = _apply(staff.admin, protocols)
    for plan in plans:
        care_plan_generate(care_plan=plan, as_of=today)
    records = CareRecords(templates=templates, today=today)
    _work_the_year(plans, staff, records, today, seed)
    care_gaps_escalate(as_of=today)
    return len(plans)


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=clock.clinic_zone())


def _apply(admin: User, protocols: list[Protocol]) -> list[CarePlan]:
    """Each carrying membership's members get the plan's protocol from the day they joined,
    as the enrollment cascade would have applied it."""
    plans = []
    for protocol in protocols:
        memberships = Membership.objects.filter(
            plan__in=protocol.plans.all(), status__in=CARRYING
        ).order_by("start_date", "id")
        for membership in memberships:
            for member in membership.members.filter(left_on__isnull=True).select_related("patient"):
                started = max(membership.start_date, member.joined_on)
                with clock.frozen_at(_at(started, time(9))):
                    plans.append(
                        care_plan_create(
                            actor=admin,
                            patient=member.patient,
                            protocol=protocol,
                            started_on=started,
                            membership=membership,
                            status=(
                                CarePlanStatus.SUSPENDED
                                if membership.status == MembershipStatus.PAUSED
                                else CarePlanStatus.ACTIVE
                            ),
                            reason=f"Membership enroll: {membership.plan.name}.",
                        )
                    )
    return plans


def _outcome(rng: random.Random, task: CareTask, profile: str, today: date) -> Ending | None:
    """How a task ended up: done on a day, skipped, or None (still open, or missed)."""
    earliest = max(task.window_start, task.care_plan.started_on)
    if task.window_end >= today:
        # Its window is still open: some of what is already due is done.
        if task.due_on < today and rng.random() < 0.5:
            return Ending(TaskStatus.DONE, rng.randint(earliest.toordinal(), today.toordinal()))
        return None
    on_time, late, skipped = ADHERENCE[profile]
    draw = rng.random()
    if draw < on_time:
        day = task.due_on + timedelta(days=rng.randint(-3, 5))
        day = min(max(day, earliest), task.window_end)
        return Ending(TaskStatus.DONE, day.toordinal())
    if draw < on_time + late:
        day = task.window_end + timedelta(days=rng.randint(1, 12))
        return Ending(TaskStatus.DONE, day.toordinal()) if day <= today else None
    if draw < on_time + late + skipped:
        return Ending(TaskStatus.SKIPPED, task.due_on.toordinal(), rng.choice(SKIP_REASONS))
    return None


def _team(staff: CareStaff) -> dict[int, dict[str, User]]:
    team: dict[int, dict[str, User]] = {}
    for member in CareTeamMember.objects.select_related("staff").order_by("assigned_at", "id"):
        team.setdefault(member.patient_id, {})[member.role] = member.staff
    return team


def _work_the_year(
    plans: list[CarePlan], staff: CareStaff, records: CareRecords, today: date, seed: int
) -> None:
    team = _team(staff)
    bulk: list[tuple[CareTask, Ending, User]] = []
    for plan in sorted(plans, key=lambda plan: (plan.patient.email, plan.protocol.name)):
        rng = random.Random(f"{seed}:care:{plan.patient.email}:{plan.protocol.name}")  # noqa: S311
        profile = rng.choice(PROFILES)
        roles = team.get(plan.patient_id, {})
        provider = roles.get(CareTeamRole.PRIMARY_PROVIDER) or staff.providers[0]
        coach = roles.get(CareTeamRole.COACH) or rng.choice(staff.coaches)
        charted = records.charted(plan.patient, rng)
        tasks = plan.tasks.select_related("care_activity").order_by("due_on", "id")
        for task in tasks:
            outcome = _outcome(rng, task, profile, today)
            if outcome is None:
                continue
            kind = task.care_activity.kind
            done = outcome.status == TaskStatus.DONE
            if done and kind == ActivityKind.LAB_ORDER:
                records.lab_order(task, outcome.day, provider=provider, rng=rng)
                continue
            if done and kind == ActivityKind.PROGRESS_NOTE and charted:
                records.progress_note(task, outcome.day, provider=provider, rng=rng)
                continue
            if done and kind == ActivityKind.COACHING_SESSION and charted and task.index % 2:
                records.coaching_note(task, outcome.day, coach=coach, rng=rng)
            actor = provider if task.role == "provider" else coach
            bulk.append((task, outcome, actor))
    _close_in_bulk(bulk)


def _close_in_bulk(closed: list[tuple[CareTask, Ending, User]]) -> None:
    """What care_task_complete and care_task_skip write, for many tasks at once."""
    by_day: dict[date, list[AuditEntry]] = {}
    changes = []
    for task, outcome, actor in closed:
        day = date.fromordinal(outcome.day)
        moment = _at(day, time(16))
        task.status = outcome.status
        task.completed_on = day
        task.completed_at = moment
        task.updated_at = moment
        action = "complete" if outcome.status == TaskStatus.DONE else "skip"
        changes.append(
            CareTaskChange(
                task=task,
                action=action,
                from_status=TaskStatus.OPEN,
                to_status=outcome.status,
                recorded_at=moment,
                actor=actor,
                reason=outcome.reason,
            )
        )
        by_day.setdefault(day, []).append(
            AuditEntry(
                f"care.task_{action}",
                actor,
                patient_id=task.care_plan.patient_id,
                object_type="care_task",
                object_id=task.pk,
                detail={"from": "open", "to": str(outcome.status)},
            )
        )
    with transaction.atomic():
        CareTask.objects.bulk_update(
            [task for task, _, _ in closed],
            ["status", "completed_on", "completed_at", "updated_at"],
            batch_size=500,
        )
        CareTaskChange.objects.bulk_create(changes, batch_size=500)
        for day in sorted(by_day):
            with clock.frozen_at(_at(day, time(16))):
                audit_record_many(by_day[day])
