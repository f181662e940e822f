"""Discount codes and introductory prices: create, redeem, and the lines they give.

A discount applies to membership charges only (not fees or overage). `once` discounts the
first period invoice after redemption, `periods` that many period invoices, `forever` all of
them. A code can be redeemed until its expiry day and up to its limit; an introductory price
is redeemed automatically at enrollment and never again on a plan change.
"""

from datetime import date

from django.db import transaction
from django.db.models import Count

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.billing.compose import DraftLine, discount_lines
from careloop.billing.models import (
    Discount,
    DiscountDuration,
    DiscountKind,
    DiscountRedemption,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from careloop.core import clock
from careloop.core.errors import FieldError, ValidationFailed
from careloop.memberships.models import Membership, Plan
from careloop.memberships.periods import Period


def normalize_code(code: str) -> str:
    return code.strip().upper()


def discount_create(
    *,
    actor: User,
    name: str,
    kind: DiscountKind | str,
    duration: DiscountDuration | str,
    code: str | None = None,
    percent_off: int | None = None,
    amount_off: int | None = None,
    periods: int | None = None,
    expires_on: date | None = None,
    max_redemptions: int | None = None,
    plans: list[Plan] | None = None,
    introductory_for: Plan | None = None,
) -> Discount:
    errors: list[FieldError] = []
    name = name.strip()
    if not name:
        errors.append(
            FieldError("name", "Give the discount a name staff will recognise.", "required")
        )
    normalized = normalize_code(code) if code else None
    if normalized is not None and not normalized.replace("-", "").replace("_", "").isalnum():
        errors.append(
            FieldError("code", "Use letters, digits, dashes and underscores only.", "invalid")
        )
    if normalized is None and introductory_for is None:
        errors.append(
            FieldError(
                "code", "A discount needs a code (or is a plan's introductory price).", "required"
            )
        )
    if normalized and Discount.objects.filter(code=normalized).exists():
        errors.append(FieldError("code", f"The code {normalized} is already in use.", "duplicate"))
    if kind not in DiscountKind.values:
        errors.append(FieldError("kind", "Choose a percentage or an amount.", "invalid"))
    elif kind == DiscountKind.PERCENT:
        if percent_off is None or not 1 <= percent_off <= 100:
            errors.append(
                FieldError("percent_off", "Enter a percentage from 1 to 100.", "out_of_range")
            )
        amount_off = None
    else:
        if amount_off is None or amount_off < 1:
            errors.append(FieldError("amount_off", "Enter an amount above zero.", "out_of_range"))
        percent_off = None
    if duration not in DiscountDuration.values:
        errors.append(
            FieldError("duration", "Choose once, a number of periods, or forever.", "invalid")
        )
    elif duration == DiscountDuration.PERIODS:
        if periods is None or periods < 1:
            errors.append(
                FieldError("periods", "Enter how many periods, at least 1.", "out_of_range")
            )
    else:
        periods = None
    if expires_on is not None and expires_on < clock.today():
        errors.append(FieldError("expires_on", "The expiry day has already passed.", "in_past"))
    if max_redemptions is not None and max_redemptions < 1:
        errors.append(
            FieldError(
                "max_redemptions",
                "Allow at least one redemption, or leave it empty.",
                "out_of_range",
            )
        )
    if (
        introductory_for is not None
        and Discount.objects.filter(introductory_for=introductory_for).exists()
    ):
        errors.append(
            FieldError(
                "introductory_for",
                f"{introductory_for.name} already has an introductory price.",
                "duplicate",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        discount = Discount.objects.create(
            code=normalized,
            name=name,
            kind=kind,
            percent_off=percent_off,
            amount_off=amount_off,
            duration=duration,
            periods=periods,
            expires_on=expires_on,
            max_redemptions=max_redemptions,
            introductory_for=introductory_for,
            created_at=clock.now(),
        )
        if plans:
            discount.plans.set(plans)
        audit_record(
            action="billing.discount_created",
            actor=actor,
            object_type="discount",
            object_id=discount.pk,
            detail={"code": normalized or "", "kind": str(kind)},
        )
    return discount


def discount_deactivate(*, actor: User, discount: Discount) -> Discount:
    """Stop offering a code: it can no longer be redeemed. Memberships that already carry it
    keep it for the periods it was granted for."""
    with transaction.atomic():
        locked = Discount.objects.select_for_update().get(pk=discount.pk)
        if locked.active:
            locked.active = False
            locked.save(update_fields=["active"])
            audit_record(
                action="billing.discount_deactivated",
                actor=actor,
                object_type="discount",
                object_id=locked.pk,
                detail={"code": locked.code or ""},
            )
    discount.refresh_from_db()
    return discount


def _redeemable(discount: Discount, membership: Membership, field: str) -> None:
    label = discount.code or discount.name
    if not discount.active:
        raise ValidationFailed.single(field, f"The code {label} is no longer offered.", "inactive")
    if discount.expires_on is not None and clock.today() > discount.expires_on:
        raise ValidationFailed.single(
            field,
            f"The code {label} expired on {discount.expires_on:%b} {discount.expires_on.day}, "
            f"{discount.expires_on.year}.",
            "expired",
        )
    if (
        discount.max_redemptions is not None
        and discount.redemptions.count() >= discount.max_redemptions
    ):
        raise ValidationFailed.single(field, f"The code {label} has been used up.", "used_up")
    if discount.plans.exists() and not discount.plans.filter(pk=membership.plan_id).exists():
        raise ValidationFailed.single(
            field, f"The code {label} does not apply to {membership.plan.name}.", "wrong_plan"
        )
    if DiscountRedemption.objects.filter(discount=discount, membership=membership).exists():
        raise ValidationFailed.single(
            field, f"The code {label} is already on this membership.", "already_redeemed"
        )


def discount_redeem(*, actor: User | None, membership: Membership, code: str) -> DiscountRedemption:
    """Put a discount code on a membership from its next period invoice."""
    normalized = normalize_code(code)
    if not normalized:
        raise ValidationFailed.single("code", "Enter a discount code.", "required")
    with transaction.atomic():
        discount = Discount.objects.select_for_update().filter(code=normalized).first()
        if discount is None:
            raise ValidationFailed.single(
                "code", f"There is no discount code {normalized}.", "unknown"
            )
        _redeemable(discount, membership, "code")
        redemption = DiscountRedemption.objects.create(
            discount=discount, membership=membership, redeemed_at=clock.now()
        )
        audit_record(
            action="billing.discount_redeemed",
            actor=actor,
            patient_id=membership.payer_patient_id,
            object_type="membership",
            object_id=membership.pk,
            detail={"code": normalized},
        )
    return redemption


def introductory_redeem(*, membership: Membership) -> DiscountRedemption | None:
    """At enrollment only: the plan's introductory price, when it has one on offer."""
    discount = Discount.objects.filter(introductory_for=membership.plan, active=True).first()
    if discount is None:
        return None
    if discount.expires_on is not None and clock.today() > discount.expires_on:
        return None
    redemption, _ = DiscountRedemption.objects.get_or_create(
        discount=discount, membership=membership, defaults={"redeemed_at": clock.now()}
    )
    return redemption


def _periods_used(redemption: DiscountRedemption) -> int:
    return (
        redemption.discount.lines.filter(membership=redemption.membership)
        .exclude(invoice__status=InvoiceStatus.VOID)
        .exclude(invoice__period_start__isnull=True)
        .values("invoice_id")
        .distinct()
        .count()
    )


def _for_plan(discount: Discount, membership: Membership) -> bool:
    """A plan's introductory price, or a code for some plans, discounts only charges for
    those plans: after a plan change it stops (and the new plan's is never granted)."""
    if discount.introductory_for_id is not None:
        return discount.introductory_for_id == membership.plan_id
    plans = discount.plans.all()
    return not plans.exists() or plans.filter(pk=membership.plan_id).exists()


def _discounted_period(redemption: DiscountRedemption, day: date) -> bool:
    """Whether the discount took something off the membership's charges covering `day`."""
    return (
        redemption.discount.lines.filter(
            membership=redemption.membership, service_start__lte=day, service_end__gt=day
        )
        .exclude(invoice__status=InvoiceStatus.VOID)
        .exists()
    )


def discount_lines_for(
    *, membership: Membership, charges: list[DraftLine], period: Period, renewing: bool = True
) -> list[DraftLine]:
    """Discount lines for `charges` from every discount still running on the membership.

    On a period invoice (`renewing`) each running discount counts one period. Mid-period
    charges for a change get a percentage discount too when it discounted the period the
    change falls in, without counting a period; an amount off is taken once per period, so
    not again. A discount for other plans than the membership's now takes nothing off.
    """
    lines: list[DraftLine] = []
    redemptions = DiscountRedemption.objects.filter(
        membership=membership, ended_at__isnull=True
    ).select_related("discount")
    for redemption in redemptions:
        discount = redemption.discount
        if not _for_plan(discount, membership):
            continue
        if renewing:
            limit = {DiscountDuration.ONCE: 1, DiscountDuration.PERIODS: discount.periods}.get(
                DiscountDuration(discount.duration)
            )
            if limit is not None and _periods_used(redemption) >= limit:
                continue
        elif discount.kind != DiscountKind.PERCENT or not _discounted_period(
            redemption, period.start
        ):
            continue
        lines += discount_lines(
            charges=[c for c in charges if c.kind in (LineKind.PERIOD, LineKind.PRORATION_CHARGE)],
            discount_id=discount.pk,
            name=discount.name,
            percent=discount.percent_off,
            amount_off=discount.amount_off,
        )
    return lines


def renewal_discount_lines(
    *, charges: dict[int, list[DraftLine]], plans: dict[int, int]
) -> dict[int, list[DraftLine]]:
    """`discount_lines_for(..., renewing=True)` for many memberships' period invoices at
    once: `charges` and `plans` (the plan each pays) by membership id; three queries
    whatever the number (a billing run's batch), the same lines in the same order."""
    found: dict[int, list[DraftLine]] = {membership_id: [] for membership_id in charges}
    redemptions = list(
        DiscountRedemption.objects.filter(
            membership_id__in=list(charges), ended_at__isnull=True
        ).select_related("discount")
    )
    if not redemptions:
        return found
    discount_ids = {redemption.discount_id for redemption in redemptions}
    discount_plans: dict[int, set[int]] = {discount_id: set() for discount_id in discount_ids}
    for discount_id, plan_id in Discount.plans.through.objects.filter(
        discount_id__in=discount_ids
    ).values_list("discount_id", "plan_id"):
        discount_plans[discount_id].add(plan_id)
    used = {
        (row["discount_id"], row["membership_id"]): row["invoices"]
        for row in InvoiceLine.objects.filter(
            discount_id__in=discount_ids, membership_id__in=list(charges)
        )
        .exclude(invoice__status=InvoiceStatus.VOID)
        .exclude(invoice__period_start__isnull=True)
        .values("discount_id", "membership_id")
        .annotate(invoices=Count("invoice_id", distinct=True))
        .order_by()
    }
    for redemption in redemptions:
        discount = redemption.discount
        membership_id = redemption.membership_id
        plan_id = plans[membership_id]
        if discount.introductory_for_id is not None:
            if discount.introductory_for_id != plan_id:
                continue
        elif discount_plans[discount.pk] and plan_id not in discount_plans[discount.pk]:
            continue
        limit = {DiscountDuration.ONCE: 1, DiscountDuration.PERIODS: discount.periods}.get(
            DiscountDuration(discount.duration)
        )
        if limit is not None and used.get((discount.pk, membership_id), 0) >= limit:
            continue
        found[membership_id] += discount_lines(
            charges=[
                charge
                for charge in charges[membership_id]
                if charge.kind in (LineKind.PERIOD, LineKind.PRORATION_CHARGE)
            ],
            discount_id=discount.pk,
            name=discount.name,
            percent=discount.percent_off,
            amount_off=discount.amount_off,
        )
    return found
