"""Whether a patient may write secure messages now, and if not, why and what to do instead.

The plan's messaging policy and the membership's status decide. Paused, pending, cancelled and
ended memberships do not write; past due follows the clinic's policy (MessagingSettings:
write with a warning, or not at all), as booking follows scheduling's. A refusal names a
higher tier that includes messaging when there is one, so the portal can offer it.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from careloop.core.selectors import clinic_settings
from careloop.memberships.models import Membership, MembershipStatus, Plan, PlanKind, PlanStatus
from careloop.memberships.selectors.memberships import membership_for_patient
from careloop.messaging.models import LapsedMembershipMessaging, MessagingSettings
from careloop.patients.models import Patient


class EligibilityOutcome(StrEnum):
    ALLOWED = "allowed"
    NO_MEMBERSHIP = "no_membership"
    PLAN_WITHOUT_MESSAGING = "plan_without_messaging"
    MEMBERSHIP_PENDING = "membership_pending"
    MEMBERSHIP_PAUSED = "membership_paused"
    MEMBERSHIP_PAST_DUE = "membership_past_due"
    MEMBERSHIP_ENDED = "membership_ended"


@dataclass(frozen=True)
class Eligibility:
    """The answer the portal shows: `reason` (why), `instead` (what to do instead), and a
    `warning` when the patient may write despite a past-due payment. `target_business_hours`
    and `daily_limit` come from the plan when the patient may write."""

    outcome: EligibilityOutcome
    reason: str
    instead: str = ""
    warning: str = ""
    plan_name: str = ""
    target_business_hours: int | None = None
    daily_limit: int | None = None
    higher_tier: Plan | None = None
    membership: Membership | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome == EligibilityOutcome.ALLOWED


def past_due_messaging() -> LapsedMembershipMessaging:
    row = MessagingSettings.objects.order_by("id").first()
    if row is None:
        return LapsedMembershipMessaging.WARN
    return LapsedMembershipMessaging(row.past_due_messaging)


def higher_tier_with_messaging(current: Plan | None) -> Plan | None:
    """The next tier on sale that includes messaging and ranks above `current` (any tier
    when there is none)."""
    tiers = Plan.objects.filter(
        kind=PlanKind.TIER, status=PlanStatus.ACTIVE, messaging_enabled=True
    )
    if current is not None:
        tiers = tiers.filter(rank__gt=current.rank)
    return tiers.order_by("rank", "id").first()


def _refusal(
    outcome: EligibilityOutcome,
    reason: str,
    instead: str,
    *,
    membership: Membership | None,
    offer_upgrade: bool,
) -> Eligibility:
    plan = membership.plan if membership is not None else None
    higher = higher_tier_with_messaging(plan) if offer_upgrade else None
    if higher is not None:
        instead += f" The {higher.name} plan includes secure messaging."
    return Eligibility(
        outcome=outcome,
        reason=reason,
        instead=instead,
        plan_name=plan.name if plan is not None else "",
        higher_tier=higher,
        membership=membership,
    )


def messaging_eligibility(*, patient: Patient, on: date | None = None) -> Eligibility:
    """May `patient` write secure messages on `on` (today)?"""
    clinic = clinic_settings().name
    call = f"For anything urgent, call {clinic}."
    membership = membership_for_patient(patient=patient, on=on)
    if membership is None:
        return _refusal(
            EligibilityOutcome.NO_MEMBERSHIP,
            "Secure messaging is part of a membership, and you have none.",
            f"{call} You can join a plan that includes messaging.",
            membership=None,
            offer_upgrade=True,
        )
    plan = membership.plan
    status = MembershipStatus(membership.status)
    if status in (MembershipStatus.CANCELLED, MembershipStatus.ENDED):
        return _refusal(
            EligibilityOutcome.MEMBERSHIP_ENDED,
            f"Your {plan.name} membership has ended, and secure messaging with it.",
            f"{call} You can join a plan again to message the care team.",
            membership=membership,
            offer_upgrade=not plan.messaging_enabled,
        )
    if not plan.messaging_enabled:
        return _refusal(
            EligibilityOutcome.PLAN_WITHOUT_MESSAGING,
            f"Your {plan.name} plan does not include secure messaging.",
            call,
            membership=membership,
            offer_upgrade=True,
        )
    if status == MembershipStatus.PENDING:
        return _refusal(
            EligibilityOutcome.MEMBERSHIP_PENDING,
            f"Your {plan.name} membership starts once a payment method is on file.",
            f"Add a card in the portal. {call}",
            membership=membership,
            offer_upgrade=False,
        )
    if status == MembershipStatus.PAUSED:
        return _refusal(
            EligibilityOutcome.MEMBERSHIP_PAUSED,
            f"Your {plan.name} membership is paused, so secure messaging is off until it resumes.",
            f"{call} You can resume your membership to message the care team again.",
            membership=membership,
            offer_upgrade=False,
        )
    warning = ""
    if status == MembershipStatus.PAST_DUE:
        if past_due_messaging() == LapsedMembershipMessaging.BLOCK:
            return _refusal(
                EligibilityOutcome.MEMBERSHIP_PAST_DUE,
                f"Your {plan.name} membership has a payment past due, so secure messaging "
                "is off until it is paid.",
                f"Update your card in the portal to pay it. {call}",
                membership=membership,
                offer_upgrade=False,
            )
        warning = (
            f"Your {plan.name} membership has a payment past due. Please update your card "
            "in the portal."
        )
    return Eligibility(
        outcome=EligibilityOutcome.ALLOWED,
        reason=f"Your {plan.name} plan includes secure messaging.",
        warning=warning,
        plan_name=plan.name,
        target_business_hours=plan.response_target_business_hours,
        daily_limit=plan.messaging_daily_limit,
        membership=membership,
    )
