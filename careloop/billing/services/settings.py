"""The clinic's billing policy: retries, the final-failure rule, notices, overage billing."""

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.billing.models import AfterFinalFailure, BillingSettings, OverageBilling
from careloop.billing.services.dunning import billing_settings
from careloop.core.errors import FieldError, ValidationFailed

MAX_RETRIES = 8
MAX_RETRY_GAP_DAYS = 30
MAX_RENEWAL_NOTICES = 5
MAX_NOTICE_DAYS = 365
MAX_CARD_EXPIRY_NOTICE_DAYS = 90


def _retry_problems(retry_days: list[int]) -> list[FieldError]:
    if not retry_days:
        return [FieldError("retry_days", "Enter at least one retry, such as 1, 1, 5.", "required")]
    if len(retry_days) > MAX_RETRIES:
        return [
            FieldError(
                "retry_days", f"Retry at most {MAX_RETRIES} times after a failure.", "too_many"
            )
        ]
    if any(not 1 <= days <= MAX_RETRY_GAP_DAYS for days in retry_days):
        return [
            FieldError(
                "retry_days",
                f"Each retry comes 1 to {MAX_RETRY_GAP_DAYS} days after the previous try.",
                "out_of_range",
            )
        ]
    return []


def _renewal_problems(renewal_notice_days: list[int]) -> list[FieldError]:
    if not renewal_notice_days:
        return [
            FieldError(
                "renewal_notice_days", "Enter at least one notice day, such as 30, 7.", "required"
            )
        ]
    if len(renewal_notice_days) > MAX_RENEWAL_NOTICES:
        return [
            FieldError(
                "renewal_notice_days",
                f"Send at most {MAX_RENEWAL_NOTICES} renewal notices.",
                "too_many",
            )
        ]
    if any(not 1 <= days <= MAX_NOTICE_DAYS for days in renewal_notice_days):
        return [
            FieldError(
                "renewal_notice_days",
                f"Each notice goes 1 to {MAX_NOTICE_DAYS} days before the renewal.",
                "out_of_range",
            )
        ]
    if len(set(renewal_notice_days)) != len(renewal_notice_days):
        return [FieldError("renewal_notice_days", "A notice day is listed twice.", "duplicate")]
    return []


def billing_settings_update(
    *,
    actor: User,
    retry_days: list[int],
    after_final_failure: AfterFinalFailure | str,
    renewal_notice_days: list[int],
    overage_billing: OverageBilling | str,
    card_expiry_notice_days: int | None,
) -> BillingSettings:
    """Change the billing policy; every rule is checked before anything is saved."""
    errors = _retry_problems(retry_days) + _renewal_problems(renewal_notice_days)
    if after_final_failure not in AfterFinalFailure.values:
        errors.append(
            FieldError(
                "after_final_failure",
                "Choose whether to cancel the membership or keep it past due.",
                "invalid",
            )
        )
    if overage_billing not in OverageBilling.values:
        errors.append(
            FieldError("overage_billing", "Choose on the next invoice or at once.", "invalid")
        )
    if card_expiry_notice_days is None or not (
        1 <= card_expiry_notice_days <= MAX_CARD_EXPIRY_NOTICE_DAYS
    ):
        errors.append(
            FieldError(
                "card_expiry_notice_days",
                f"Enter a number of days from 1 to {MAX_CARD_EXPIRY_NOTICE_DAYS}.",
                "out_of_range",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    assert card_expiry_notice_days is not None
    with transaction.atomic():
        current = billing_settings()
        locked = BillingSettings.objects.select_for_update().get(pk=current.pk)
        values = {
            "retry_days": ",".join(str(days) for days in retry_days),
            "after_final_failure": str(after_final_failure),
            "renewal_notice_days": ",".join(
                str(days) for days in sorted(renewal_notice_days, reverse=True)
            ),
            "overage_billing": str(overage_billing),
            "card_expiry_notice_days": card_expiry_notice_days,
        }
        changed = sorted(name for name, value in values.items() if getattr(locked, name) != value)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
        audit_record(
            action="billing.settings_updated",
            actor=actor,
            object_type="billing_settings",
            object_id=locked.pk,
            detail={"fields": changed},
        )
    return locked
