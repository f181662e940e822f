"""Notices before a charge: annual renewals and cards that expire before they are charged."""

from datetime import date, timedelta

from careloop.billing.links import card_update_url
from careloop.billing.models import BillingAccount, MembershipBilling
from careloop.billing.services.accounts import default_payment_methods
from careloop.billing.services.dunning import billing_settings
from careloop.billing.services.notices import clinic_name, notice_send
from careloop.memberships.models import MembershipStatus
from careloop.memberships.periods import Interval

RENEWING = [MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE]


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _payer(billing: MembershipBilling) -> BillingAccount:
    """The account a membership's notices go to: the member's own when it is sponsored."""
    return billing.member_account or billing.account


def renewal_notices_send(*, as_of: date) -> int:
    """Tell payers of annual memberships before they renew (default 30 and 7 days before),
    and payers whose card expires before their next charge. Each notice is sent once; a day
    missed sends only the latest notice that applies."""
    policy = billing_settings()
    sent = 0
    notice_days = policy.renewal_notices
    horizon = max([*notice_days, policy.card_expiry_notice_days, 0])
    due = list(
        MembershipBilling.objects.filter(
            next_bill_on__gt=as_of,
            next_bill_on__lte=as_of + timedelta(days=horizon),
            membership__status__in=RENEWING,
        ).select_related("membership", "membership__plan", "account", "member_account")
    )
    cards = default_payment_methods(
        {
            _payer(billing).pk
            for billing in due
            if billing.next_bill_on is not None
            and (billing.next_bill_on - as_of).days <= policy.card_expiry_notice_days
        }
    )
    clinic = clinic_name()
    for billing in due:
        renews_on = billing.next_bill_on
        assert renews_on is not None
        days_left = (renews_on - as_of).days
        membership = billing.membership
        account = _payer(billing)
        applicable = [days for days in notice_days if days_left <= days]
        if membership.interval == Interval.ANNUAL and applicable:
            days = min(applicable)
            renews = membership.plan.renews
            if notice_send(
                account=account,
                kind="renewal",
                key=f"renewal:{membership.pk}:{renews_on.isoformat()}:{days}",
                subject=f"{clinic}: your membership {'renews' if renews else 'ends'} soon",
                body=(
                    f"Your annual membership with {clinic} "
                    + (f"renews on {_day(renews_on)}." if renews else f"ends on {_day(renews_on)}.")
                    + " To change your card or your plan, contact the clinic."
                ),
            ):
                sent += 1
        if days_left > policy.card_expiry_notice_days:
            continue
        card = cards.get(account.pk)
        if card is None or (card.exp_year, card.exp_month) >= (renews_on.year, renews_on.month):
            continue
        if notice_send(
            account=account,
            kind="card_expiring",
            key=f"card_expiring:{card.pk}:{renews_on.isoformat()}",
            subject=f"{clinic}: your card expires before your next payment",
            body=(
                f"The card ending {card.last4} expires before your next payment to {clinic} on "
                f"{_day(renews_on)}. To add a new card, open this secure link: "
                f"{card_update_url(account.pk)}"
            ),
        ):
            sent += 1
    return sent
