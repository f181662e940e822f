from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.policy import Capability, has_capability
from careloop.audit.services import audit_record
from careloop.memberships.access import access_membership
from careloop.memberships.models import ChangeStatus, MembershipStatus, Plan, StatusChange
from careloop.memberships.selectors.history import (
    membership_history,
    membership_ledger_now,
    memberships_filtered,
)
from careloop.memberships.selectors.memberships import change_summary, membership_card
from careloop.web.decorators import staff_view
from careloop.web.staff.memberships.cards import card_context
from careloop.web.staff.memberships.views.actions import action_links
from careloop.web.staff.patients.views.common import acting_user

PAGE_SIZE = 50
INVOICES_SHOWN = 12


@staff_view(Capability.MEMBERSHIP_VIEW)
def membership_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    plan_text = request.GET.get("plan", "")
    plan_id = int(plan_text) if plan_text.isdigit() else None
    rows = memberships_filtered(status=status, plan_id=plan_id)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    memberships = list(page.object_list)
    if memberships:
        audit_record(
            action="membership.list",
            actor=acting_user(request),
            object_type="membership",
            detail={
                "membership_ids": [membership.pk for membership in memberships],
                "patient_ids": [
                    membership.payer_patient_id
                    for membership in memberships
                    if membership.payer_patient_id is not None
                ],
            },
        )
    return render(
        request,
        "staff/memberships/list.html",
        {
            "page": page,
            "memberships": memberships,
            "status": status if status in MembershipStatus.values else "",
            "plan_id": plan_id,
            "statuses": MembershipStatus.choices,
            "plans": Plan.objects.order_by("kind", "rank", "name"),
            "can_enroll": has_capability(acting_user(request), Capability.MEMBERSHIP_ENROLL),
            "filtered": bool(status or plan_id),
        },
    )


@staff_view(Capability.MEMBERSHIP_VIEW)
def membership_detail(request: HttpRequest, membership_id: int) -> HttpResponse:
    user = acting_user(request)
    membership = access_membership(user, membership_id)
    card = membership_card(membership=membership)
    history: list[StatusChange] = membership_history(membership=membership)
    changes = list(
        membership.scheduled_changes.exclude(status=ChangeStatus.SCHEDULED)
        .select_related("created_by", "revoked_by")
        .order_by("-effective_on", "-id")
    )
    return render(
        request,
        "staff/memberships/detail.html",
        card_context(user, card)
        | {
            "membership": membership,
            "history": [
                (change, change.action.replace("_", " ").capitalize()) for change in history
            ],
            "past_changes": [(change, change_summary(change)) for change in changes],
            "ledger": membership_ledger_now(membership=membership),
            "actions": action_links(user, membership),
            "show_links": False,
            "invoices": list(membership.invoices.order_by("-issued_on", "-id")[:INVOICES_SHOWN])
            if has_capability(user, Capability.BILLING_VIEW)
            else None,
        },
    )
