"""The demo clinic's secure messaging: teams, routing rules, reply templates, and a year of
threads between members and the care team.

Every thread, message, internal note, attachment, read mark, claim and close goes through
the messaging services with the clock moved to the moment it happens; the events of all
threads are replayed in time order, so the escalation sweep run just after a late reply's
due time sees exactly the clocks waiting then, and stamps each warning and breach once as
it would in production. Replies come after a share of the plan's target in business hours
(Concierge 4, Active Care 8, Essentials 16); about one in fifteen comes after it, a breach.
A few threads of the last days still wait for their reply. Attachments are small synthetic
PDF and text files.

Only members whose current tier includes messaging write, from the day they joined it, so
the eligibility check each message passes is the one a patient in the portal would pass.
Deterministic (a generator seeded by the demo's seed and each patient's email); idempotent:
nothing is done when the Clinical messaging team exists.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.core import clock
from careloop.core.errors import CareloopError
from careloop.memberships.models import MembershipMember, MembershipStatus
from careloop.messaging.attachments import AttachmentUpload
from careloop.messaging.models import Assignment, MessagingTeam, RoutingTarget, Thread, Topic
from careloop.messaging.selectors.calendar import BusinessCalendar, business_calendar
from careloop.messaging.services.assignment import thread_claim, thread_close
from careloop.messaging.services.escalation import messaging_escalate
from careloop.messaging.services.routing import (
    messaging_team_save,
    reply_template_save,
    routing_rule_save,
)
from careloop.messaging.services.threads import (
    message_send,
    note_add,
    thread_mark_read,
    thread_start,
)
from careloop.patients.models import Patient
from careloop.patients.search import fold

CLINICAL_TEAM = "Clinical"
# Threads a year per member, by the tier's response target (business hours).
THREADS_A_YEAR = {4: 5, 8: 3, 16: 2}
LATE_SHARE = 1 / 15
NOTE_SHARE = 0.3
ATTACHMENT_SHARE = 0.12
CLOSE_SHARE = 0.7
WRITER_SHARE = 0.5  # of the members of tiers other than Concierge
DEMO_PDF = b"%PDF-1.4\n% Synthetic demo file: no patient data.\n%%EOF\n"

# (topic, subject, first message, reply, internal note)
STORIES = (
    (
        Topic.CLINICAL_QUESTION,
        "Dose timing",
        "Is it fine to take my morning dose with breakfast, or should it be on an empty stomach?",
        "With breakfast is fine; keep it at the same time each day.",
        "Reviewed the medication list; no interactions with food.",
    ),
    (
        Topic.CLINICAL_QUESTION,
        "Sleep",
        "I have been waking up at 3 am most nights this month. Anything I should try?",
        "Let's look at it at your next visit; until then keep screens off an hour before bed.",
        "Consider a sleep log at the follow-up.",
    ),
    (
        Topic.REFILL,
        "Refill",
        "I am down to my last week of tablets. Could you send a refill to my usual pharmacy?",
        "Sent to your pharmacy this afternoon.",
        "Refill within protocol; last labs in range.",
    ),
    (
        Topic.LAB_RESULTS,
        "Lab results",
        "My results came in on the portal. Is the cholesterol number something to worry about?",
        "It is a little above target; we will talk diet and recheck in three months.",
        "LDL mildly high; recheck at the quarterly labs.",
    ),
    (
        Topic.SCHEDULING,
        "Moving a visit",
        "Could I move next week's visit to a morning?",
        "Done: you are booked for Tuesday at 9:00.",
        "",
    ),
    (
        Topic.BILLING,
        "Invoice question",
        "I see two charges this month. Is one of them a mistake?",
        "One is the monthly fee and one the lab panel beyond your allowance; both are right.",
        "",
    ),
    (
        Topic.OTHER,
        "Food log",
        "I uploaded my food log for the week. Anything to change before our next session?",
        "Nice work. Try adding a protein at breakfast; we will go over it Thursday.",
        "Good adherence this week.",
    ),
)
TEMPLATES = (
    ("Refill sent", Topic.REFILL, "Your refill has been sent to your pharmacy."),
    ("Results reviewed", Topic.LAB_RESULTS, "Your provider has reviewed your results."),
    ("We will call you", "", "Thank you for your message. We will call you today."),
)


@dataclass(frozen=True)
class MessagingStaff:
    admin: User
    lead: User
    front_desk: User
    billing: User


def _setup(staff: MessagingStaff) -> None:
    """Teams for each staff role and one rule per topic, as the clinic set them up."""
    admin = staff.admin
    clinical = messaging_team_save(
        actor=admin, name=CLINICAL_TEAM, role=Role.PROVIDER, lead=staff.lead
    )
    coaching = messaging_team_save(
        actor=admin, name="Coaching", role=Role.COORDINATOR, assignment=Assignment.ROUND_ROBIN
    )
    desk = messaging_team_save(
        actor=admin,
        name="Front desk",
        role=Role.FRONT_DESK,
        assignment=Assignment.ROUND_ROBIN,
        lead=staff.admin,
    )
    billing = messaging_team_save(
        actor=admin, name="Billing", role=Role.BILLING, assignment=Assignment.ROUND_ROBIN
    )
    rules = (
        (Topic.CLINICAL_QUESTION, RoutingTarget.PRIMARY_PROVIDER, clinical),
        (Topic.REFILL, RoutingTarget.PRIMARY_PROVIDER, clinical),
        (Topic.LAB_RESULTS, RoutingTarget.TEAM, clinical),
        (Topic.SCHEDULING, RoutingTarget.TEAM, desk),
        (Topic.BILLING, RoutingTarget.TEAM, billing),
        (Topic.OTHER, RoutingTarget.COACH, coaching),
    )
    for topic, target, team in rules:
        routing_rule_save(actor=admin, topic=topic, target=target, team=team)
    for name, template_topic, body in TEMPLATES:
        reply_template_save(actor=admin, name=name, body=body, topic=template_topic)


def _business_moment(rng: random.Random, day: date) -> datetime:
    """A moment on `day` when members tend to write: mostly daytime, sometimes the evening."""
    hour = rng.choice((7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 21))
    return datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=clock.clinic_zone())


@dataclass
class Story:
    """One thread's replay: when it starts and how it goes."""

    at: datetime
    patient_user: User
    topic: Topic
    subject: str
    body: str
    reply: str
    note: str
    target_hours: int
    late: bool
    pace: float  # the share of the target the reply takes (past 1 when late)
    attach: bool
    close: bool
    waiting: bool


class Replay:
    def __init__(self, *, staff: MessagingStaff, calendar: BusinessCalendar, today: date):
        self.staff = staff
        self.calendar = calendar
        self.now = datetime.combine(today, time(12), tzinfo=clock.clinic_zone())
        self.events: list[tuple[datetime, int, Callable[[], object]]] = []
        self.order = 0

    def at(self, moment: datetime, action: Callable[[], object]) -> None:
        self.order += 1
        self.events.append((moment, self.order, action))

    def plan(self, story: Story) -> None:
        due = self.calendar.due(story.at, story.target_hours)
        reply_at = self.calendar.due(story.at, story.target_hours * story.pace)
        holder: dict[str, Thread] = {}

        def start() -> None:
            uploads = []
            if story.attach:
                uploads.append(
                    AttachmentUpload(
                        file_name="home-readings.pdf", content_type="application/pdf", data=DEMO_PDF
                    )
                )
            holder["thread"] = thread_start(
                actor=story.patient_user,
                topic=story.topic,
                subject=story.subject,
                body=story.body,
                attachments=uploads,
            )

        self.at(story.at, start)
        if story.waiting:
            return
        if story.late:
            self.at(due + timedelta(minutes=5), lambda: messaging_escalate(now=clock.now()))

        def answer() -> None:
            thread = holder["thread"]
            thread.refresh_from_db()
            replier = thread.assignee
            if replier is None:
                replier = self.staff.lead if thread.team.role == Role.PROVIDER else None
                if replier is None:
                    return
                thread_claim(actor=replier, thread=thread)
            if story.note:
                note_add(actor=replier, thread=thread, body=story.note)
            message_send(actor=replier, thread=thread, body=story.reply)

        self.at(reply_at, answer)

        def read() -> None:
            thread_mark_read(actor=story.patient_user, thread=holder["thread"])

        self.at(reply_at + timedelta(hours=3), read)
        if story.close:

            def close() -> None:
                thread = holder["thread"]
                thread.refresh_from_db()
                closer = thread.assignee or self.staff.admin
                thread_close(actor=closer, thread=thread, reason="Answered.")

            self.at(reply_at + timedelta(days=2), close)

    def run(self) -> int:
        done = 0
        for moment, _order, action in sorted(self.events, key=lambda event: event[:2]):
            if moment >= self.now:
                continue
            try:
                with clock.frozen_at(moment), transaction.atomic():
                    action()
            except (CareloopError, KeyError):
                # A refusal the member would have seen (a daily limit reached): the story
                # stops there, and its later steps find no thread (KeyError).
                continue
            done += 1
        return done


def _portal_user(patient: Patient) -> User:
    """The member's portal account; one without a password when the demo made none (only
    the three demo portal accounts sign in)."""
    if patient.user is not None:
        return patient.user
    user = User.objects.create_user(
        username=f"{fold(patient.legal_given_name)}.{fold(patient.legal_family_name)}.{patient.pk}",
        password=None,
        email=patient.email,
        first_name=patient.legal_given_name,
        last_name=patient.legal_family_name,
        role=Role.PATIENT,
    )
    patient.user = user
    patient.save(update_fields=["user"])
    return user


def _writers(today: date, rng: random.Random) -> list[tuple[User, date, int]]:
    """Members whose current tier includes messaging and who write: every Concierge member
    and about half of the others. (portal user, joined, target hours)."""
    rows = (
        MembershipMember.objects.filter(
            plan_kind="tier",
            left_on__isnull=True,
            membership__status=MembershipStatus.ACTIVE,
            membership__plan__messaging_enabled=True,
            joined_on__lt=today,
        )
        .select_related("patient__user", "membership__plan")
        .order_by("patient__email")
    )
    writers = []
    for row in rows:
        target = row.membership.plan.response_target_business_hours or 16
        if target > min(THREADS_A_YEAR) and rng.random() < 1 - WRITER_SHARE:
            continue
        writers.append((_portal_user(row.patient), row.joined_on, target))
    return writers


def demo_messaging_seed(*, staff: MessagingStaff, opened: date, today: date, seed: int) -> int:
    """Seed the clinic's messaging; the number of replayed events (0 when already seeded)."""
    if MessagingTeam.objects.filter(name=CLINICAL_TEAM).exists():
        return 0
    with clock.frozen_at(datetime.combine(opened, time(9), tzinfo=clock.clinic_zone())):
        _setup(staff)
        calendar = business_calendar()
    replay = Replay(staff=staff, calendar=calendar, today=today)
    for user, joined, target in _writers(today, random.Random(seed)):  # noqa: S311
        rng = random.Random(f"{seed}:{user.email}")  # noqa: S311 (synthetic data)
        days = (today - joined).days
        count = max(1, round(THREADS_A_YEAR.get(target, 2) * days / 365 * rng.uniform(0.5, 1.5)))
        for _ in range(count):
            day = joined + timedelta(days=rng.randrange(max(1, days)))
            topic, subject, body, reply, note = rng.choice(STORIES)
            recent = (today - day).days <= 2
            late = rng.random() < LATE_SHARE
            replay.plan(
                Story(
                    at=_business_moment(rng, day),
                    patient_user=user,
                    topic=topic,
                    subject=subject,
                    body=body,
                    reply=reply,
                    note=note if rng.random() < NOTE_SHARE * 2 else "",
                    target_hours=target,
                    late=late,
                    pace=rng.uniform(1.1, 2.0) if late else rng.uniform(0.1, 0.9),
                    attach=rng.random() < ATTACHMENT_SHARE,
                    close=not recent and rng.random() < CLOSE_SHARE,
                    waiting=recent and rng.random() < 0.5,
                )
            )
    return replay.run()
