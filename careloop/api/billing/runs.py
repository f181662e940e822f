"""Billing runs: start one as of a day, and read what runs did."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, Schema, Status

from careloop.accounts.policy import Capability
from careloop.api.billing.common import Limit, Offset, runs_router
from careloop.api.billing.output import RunOut, RunPage, run_out
from careloop.api.memberships.common import staff_user
from careloop.api.patients import needs
from careloop.billing.models import BillingRun
from careloop.billing.services.runs import billing_run
from careloop.core import clock
from careloop.core.errors import NotFound, ValidationFailed


class RunIn(Schema):
    as_of: date | None = Field(
        None, description="Bill every period started by this day; today when empty, never later"
    )


@runs_router.post(
    "",
    response={201: RunOut},
    summary="Run billing as of a day, and answer what it did",
    description=(
        "For now the run happens inside this request, synchronously, and the answer is the "
        "finished run: invoices issued and charged, failures, retries due and notices. A run "
        "is idempotent: running again for the same day issues nothing and charges nothing "
        "twice. 422 names `as_of` when it is after today (that would bill periods that have "
        "not started)."
    ),
    openapi_extra=needs(Capability.BILLING_MANAGE),
)
def run_start(request: HttpRequest, payload: RunIn) -> Status[RunOut]:
    user = staff_user(request, Capability.BILLING_MANAGE)
    today = clock.today()
    if payload.as_of is not None and payload.as_of > today:
        raise ValidationFailed.single(
            "as_of",
            f"A run cannot bill ahead: choose today ({today.isoformat()}) or an earlier day.",
            "in_future",
        )
    return Status(201, run_out(billing_run(as_of=payload.as_of, actor=user)))


@runs_router.get(
    "",
    response=RunPage,
    summary="List billing runs",
    description="Newest first.",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def run_list(request: HttpRequest, limit: Limit = 25, offset: Offset = 0) -> RunPage:
    staff_user(request, Capability.BILLING_VIEW)
    runs = BillingRun.objects.order_by("-started_at", "-id")
    return RunPage(
        items=[run_out(run) for run in runs[offset : offset + limit]],
        total=runs.count(),
        limit=limit,
        offset=offset,
    )


@runs_router.get(
    "/{run_id}",
    response=RunOut,
    summary="One billing run: its counts and totals",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def run_get(request: HttpRequest, run_id: int) -> RunOut:
    staff_user(request, Capability.BILLING_VIEW)
    run = BillingRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound("No such billing run.")
    return run_out(run)
