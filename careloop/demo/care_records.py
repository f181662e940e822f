"""The demo's clinical records, made through the lab and note services on the day they
happened: lab orders from draft to review with results that trend (HbA1c falling for most
patients who start high, lipids wandering), and signed progress and coaching notes whose
measurements (weight, blood pressure, waist) drift as a program would hope.

Values are synthetic: plausible adult ranges, nothing taken from a real record.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from careloop.accounts.models import User
from careloop.care.lifecycle import LabAction
from careloop.care.models import CareTask, LabPanel, NoteTemplate, ResultSource, TaskStatus
from careloop.care.services.labs import (
    ResultInput,
    lab_follow_up_complete,
    lab_order_change,
    lab_order_create,
    lab_order_review,
    lab_results_record,
)
from careloop.care.services.notes import note_save, note_sign, note_start
from careloop.core import clock
from careloop.patients.models import Patient

PANELS = ("hba1c", "lipid")
HBA1C, TOTAL, HDL, LDL, TRIGLYCERIDES = "4548-4", "2093-3", "2085-9", "13457-7", "2571-8"
# Follow-ups of abnormal results older than this were acted on; newer ones wait in the queue.
FOLLOW_UP_DONE_AFTER_DAYS = 30
CHARTED_SHARE = 0.4
SUBJECTIVE = (
    "Feels better; walking most days.",
    "Busy month at work; meals less regular.",
    "Sleeping better since cutting late snacks.",
    "Some knee pain after longer walks.",
    "Keeping the food log; cravings less often.",
)
ASSESSMENT = (
    "Steady progress toward goals.",
    "Weight stable; activity improving.",
    "Needs support with evening meals.",
    "On track.",
)
PLAN = (
    "Continue the current plan; recheck next month.",
    "Add two strength sessions a week.",
    "Swap sweet drinks for water; review the log next visit.",
    "Keep walking 30 minutes a day.",
)
GOALS = (
    "Walk 30 minutes five days a week.",
    "Lose 5 kg by summer.",
    "Cook at home four nights a week.",
    "Bed by 11 pm on weeknights.",
)


@dataclass(frozen=True)
class Ending:
    """How a task ended: its status, the day (an ordinal) and a reason for a skip."""

    status: TaskStatus
    day: int
    reason: str = ""


@dataclass
class Course:
    """One patient's values, moved on at each lab order and note."""

    hba1c: float
    hba1c_step: float
    total: float
    hdl: float
    triglycerides: float
    weight: float
    weight_step: float
    systolic: float
    diastolic: float
    labs_seen: int = 0
    charted: bool = False


@dataclass
class CareRecords:
    templates: dict[str, NoteTemplate]
    today: date
    courses: dict[int, Course] = field(default_factory=dict)

    def charted(self, patient: Patient, rng: random.Random) -> bool:
        """Whether the patient's progress and coaching notes are charted (some adults)."""
        course = self._course(patient, rng)
        return course.charted

    def _course(self, patient: Patient, rng: random.Random) -> Course:
        if patient.pk not in self.courses:
            falling = rng.random() < 0.6
            self.courses[patient.pk] = Course(
                hba1c=rng.uniform(6.4, 9.4) if falling else rng.uniform(5.2, 6.6),
                hba1c_step=-rng.uniform(0.15, 0.4) if falling else rng.uniform(-0.05, 0.1),
                total=rng.uniform(160, 260),
                hdl=rng.uniform(35, 70),
                triglycerides=rng.uniform(80, 260),
                weight=rng.uniform(68, 125),
                weight_step=-rng.uniform(0.2, 1.0) if rng.random() < 0.7 else rng.gauss(0, 0.3),
                systolic=rng.uniform(118, 152),
                diastolic=rng.uniform(72, 94),
                charted=patient.age_on(self.today) >= 18 and rng.random() < CHARTED_SHARE,
            )
        return self.courses[patient.pk]

    def lab_order(self, task: CareTask, day: int, *, provider: User, rng: random.Random) -> None:
        """Order, collect, result and review the task's panels; the review closes the task."""
        patient = task.care_plan.patient
        course = self._course(patient, rng)
        reviewed = date.fromordinal(day)
        started = task.care_plan.started_on
        ordered, collected, resulted = (
            max(reviewed - timedelta(days=days), started) for days in (4, 3, 1)
        )
        panels = list(LabPanel.objects.filter(code__in=PANELS).order_by("order", "id"))
        with clock.frozen_at(_at(ordered, time(8))):
            order = lab_order_create(
                actor=provider,
                patient=patient,
                panels=panels,
                ordering_provider=provider,
                care_task=task,
            )
            lab_order_change(actor=provider, order=order, action=LabAction.ORDER)
        drawn = _at(collected, time(9))
        with clock.frozen_at(drawn):
            lab_order_change(actor=provider, order=order, action=LabAction.COLLECT)
        with clock.frozen_at(_at(resulted, time(13))):
            lab_results_record(
                actor=provider,
                order=order,
                results=self._results(course, rng, drawn),
                source=ResultSource.MANUAL,
            )
        with clock.frozen_at(_at(reviewed, time(17))):
            lab_order_review(actor=provider, order=order)
            acted = (self.today - reviewed).days > FOLLOW_UP_DONE_AFTER_DAYS
            if acted and hasattr(order, "follow_up"):
                lab_follow_up_complete(actor=provider, order=order)

    def _results(self, course: Course, rng: random.Random, drawn: datetime) -> list[ResultInput]:
        if course.labs_seen:
            course.hba1c = max(5.0, course.hba1c + course.hba1c_step + rng.gauss(0, 0.1))
            course.total = min(max(course.total + rng.gauss(-3, 12), 120), 320)
            course.hdl = min(max(course.hdl + rng.gauss(0, 3), 25), 95)
            course.triglycerides = min(max(course.triglycerides + rng.gauss(-5, 20), 50), 480)
        course.labs_seen += 1
        ldl = course.total - course.hdl - course.triglycerides / 5  # Friedewald
        values = {
            HBA1C: (f"{course.hba1c:.1f}", "%"),
            TOTAL: (f"{course.total:.0f}", "mg/dL"),
            HDL: (f"{course.hdl:.0f}", "mg/dL"),
            LDL: (f"{max(ldl, 30):.0f}", "mg/dL"),
            TRIGLYCERIDES: (f"{course.triglycerides:.0f}", "mg/dL"),
        }
        return [
            ResultInput(field=f"results[{index}]", loinc=loinc, value=value, unit=unit,
                        observed_at=drawn)
            for index, (loinc, (value, unit)) in enumerate(values.items())
        ]  # fmt: skip

    def progress_note(
        self, task: CareTask, day: int, *, provider: User, rng: random.Random
    ) -> None:
        """A signed progress note for the task (signing closes it) with the month's vitals."""
        patient = task.care_plan.patient
        course = self._course(patient, rng)
        course.weight = max(45.0, course.weight + course.weight_step + rng.gauss(0, 0.4))
        course.systolic = min(max(course.systolic + rng.gauss(-0.6, 3), 100), 170)
        course.diastolic = min(max(course.diastolic + rng.gauss(-0.3, 2), 60), 105)
        values = {
            "weight": _number(course.weight),
            "systolic": _number(course.systolic, 0),
            "diastolic": _number(course.diastolic, 0),
            "waist": _number(course.weight * 0.85 + 20),
            "goal": rng.choice(GOALS),
        }
        sections = {
            "subjective": rng.choice(SUBJECTIVE),
            "objective": "Vitals as recorded; well appearing.",
            "assessment": rng.choice(ASSESSMENT),
            "plan": rng.choice(PLAN),
        }
        self._write(task, day, author=provider, template="progress", sections=sections,
                    values=values)  # fmt: skip

    def coaching_note(self, task: CareTask, day: int, *, coach: User, rng: random.Random) -> None:
        """A signed coaching note with the weight the coach recorded."""
        course = self._course(task.care_plan.patient, rng)
        values = {"weight": _number(course.weight + rng.gauss(0, 0.5)), "goal": rng.choice(GOALS)}
        sections = {"subjective": rng.choice(SUBJECTIVE), "plan": rng.choice(PLAN)}
        self._write(task, day, author=coach, template="coaching", sections=sections,
                    values=values)  # fmt: skip

    def _write(
        self,
        task: CareTask,
        day: int,
        *,
        author: User,
        template: str,
        sections: dict[str, str],
        values: dict[str, str],
    ) -> None:
        when = date.fromordinal(day)
        with clock.frozen_at(_at(when, time(11))):
            note = note_start(
                actor=author,
                patient=task.care_plan.patient,
                template=self.templates[template],
                care_task=task,
            )
            note_save(actor=author, note=note, sections=sections, values=values)
        with clock.frozen_at(_at(when, time(11, 30))):
            note_sign(actor=author, note=note)


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=clock.clinic_zone())


def _number(value: float, places: int = 1) -> str:
    return f"{value:.{places}f}"
