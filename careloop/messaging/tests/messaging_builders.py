"""Plans, teams, rules and members for the messaging tests (synthetic data only).

The clinic keeps the default calendar (America/Chicago, Monday to Friday 08:00-17:00).
MONDAY_MORNING is 2 March 2026 at 09:00 there; memberships start the day before.
"""

from datetime import UTC, date, datetime
from typing import Any

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.memberships.models import Membership, Plan
from careloop.memberships.tests.lifecycle_builders import enroll, make_plan
from careloop.messaging.models import (
    Assignment,
    Message,
    MessagingTeam,
    ReadState,
    ResponseClock,
    RoutingRule,
    RoutingTarget,
    Thread,
    ThreadChange,
    ThreadNotice,
    Topic,
)
from careloop.messaging.services.routing import messaging_team_save, routing_rule_save
from careloop.messaging.services.threads import thread_start
from careloop.notifications.models import OutboxMessage
from careloop.patients.models import Patient
from careloop.patients.services.care_team import care_team_assign

MONDAY_MORNING = datetime(2026, 3, 2, 15, tzinfo=UTC)  # 09:00 in Chicago
ENROLLED_ON = date(2026, 3, 1)


def concierge(**fields: Any) -> Plan:
    columns: dict[str, Any] = {
        "messaging_enabled": True,
        "response_target_business_hours": 4,
        "messaging_priority": "urgent",
    }
    return make_plan(code="concierge", rank=3, **(columns | fields))


def essentials() -> Plan:
    return make_plan(code="essentials", rank=1)


def active_care(**fields: Any) -> Plan:
    columns: dict[str, Any] = {"messaging_enabled": True, "response_target_business_hours": 16}
    return make_plan(code="active-care", rank=2, **(columns | fields))


def member(actor: User, plan: Plan, patient: Patient) -> Membership:
    clock.freeze(datetime(2026, 3, 1, 15, tzinfo=UTC))
    membership = enroll(actor, plan, patient, start=ENROLLED_ON)
    clock.freeze(MONDAY_MORNING)
    return membership


def team(
    actor: User,
    name: str,
    role: Role,
    assignment: Assignment = Assignment.CLAIM,
    lead: User | None = None,
) -> MessagingTeam:
    return messaging_team_save(actor=actor, name=name, role=role, assignment=assignment, lead=lead)


def rule(actor: User, topic: Topic, target: RoutingTarget, to: MessagingTeam) -> RoutingRule:
    return routing_rule_save(actor=actor, topic=topic, target=target, team=to)


def care_team_routes(actor: User, lead: User | None = None) -> MessagingTeam:
    """Clinical questions to the patient's primary provider, in the clinical team's inbox."""
    clinical = team(actor, "Clinical", Role.PROVIDER, lead=lead)
    rule(actor, Topic.CLINICAL_QUESTION, RoutingTarget.PRIMARY_PROVIDER, clinical)
    return clinical


def primary_provider(actor: User, patient: Patient, provider: User) -> None:
    care_team_assign(actor=actor, patient=patient, staff=provider, role="primary_provider")


def start(patient: Patient, body: str = "Is it fine to take my dose with food?", **kw) -> Thread:
    assert patient.user is not None
    return thread_start(
        actor=patient.user, topic=kw.pop("topic", Topic.CLINICAL_QUESTION), body=body, **kw
    )


def snapshot() -> dict[str, list[Any]]:
    """Every row messaging writes, to assert that a refused action changed nothing."""
    return {
        "threads": list(Thread.objects.order_by("id").values()),
        "messages": list(Message.objects.order_by("id").values()),
        "changes": list(ThreadChange.objects.order_by("id").values()),
        "read": list(ReadState.objects.order_by("id").values()),
        "clocks": list(ResponseClock.objects.order_by("id").values()),
        "notices": list(ThreadNotice.objects.order_by("id").values()),
        "teams": list(MessagingTeam.objects.order_by("id").values()),
        "rules": list(RoutingRule.objects.order_by("id").values()),
        "outbox": list(OutboxMessage.objects.order_by("created_at").values("id")),
        "audit": list(
            AuditEvent.objects.exclude(outcome="denied").order_by("sequence").values("sequence")
        ),
    }
