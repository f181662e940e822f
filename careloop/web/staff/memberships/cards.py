"""The membership card as the chart and the membership page show it.

The card itself comes from careloop.memberships.selectors.memberships; this module only lays
it out: one row per member under each benefit, the warning's tone, the period's last day.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.memberships.models import MembershipStatus
from careloop.memberships.selectors.memberships import (
    CardBenefit,
    MembershipCard,
    membership_card_for_patient,
)
from careloop.patients.models import Patient


@dataclass(frozen=True)
class BalanceRow:
    member_name: str
    used: int
    held: int
    left: str
    rolled_over: int


@dataclass(frozen=True)
class BenefitRows:
    benefit: CardBenefit
    rows: tuple[BalanceRow, ...]


def benefit_rows(card: MembershipCard) -> list[BenefitRows]:
    names = {member.patient_id: member.name for member in card.members}
    return [
        BenefitRows(
            benefit=benefit,
            rows=tuple(
                BalanceRow(
                    member_name=names.get(balance.patient_id, "A former member"),
                    used=balance.used,
                    held=balance.held,
                    left="Unlimited" if balance.available is None else str(balance.available),
                    rolled_over=balance.rolled_over,
                )
                for balance in benefit.balances
            ),
        )
        for benefit in card.benefits
    ]


def warning_tone(card: MembershipCard) -> str:
    """Danger when the card's warning means nothing is covered now; caution otherwise."""
    if card.status in (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE) and card.covering:
        return "warning"
    return "danger"


def period_last_day(card: MembershipCard) -> date | None:
    if card.current_period is None:
        return None
    return card.current_period.end - timedelta(days=1)


def card_context(user: User, card: MembershipCard | None) -> dict[str, Any]:
    return {
        "card": card,
        "benefit_rows": benefit_rows(card) if card is not None else [],
        "warning_tone": warning_tone(card) if card is not None else "",
        "period_last_day": period_last_day(card) if card is not None else None,
        "can_enroll": has_capability(user, Capability.MEMBERSHIP_ENROLL),
        "can_change": has_capability(user, Capability.MEMBERSHIP_CHANGE),
    }


_CACHE = "_careloop_membership_card"


def patient_card(request: HttpRequest, patient: Patient) -> MembershipCard | None:
    """The patient's card, read once per request (the banner badge and the section share it)."""
    cached: dict[int, MembershipCard | None] = getattr(request, _CACHE, {})
    if patient.id not in cached:
        cached[patient.id] = membership_card_for_patient(patient=patient)
        setattr(request, _CACHE, cached)
    return cached[patient.id]
