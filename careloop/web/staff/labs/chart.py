"""What labs add to a patient's chart: their lab orders with status, and links to order more.

Registered in careloop/web/staff/patients/chart.py. The front desk sees orders and status;
whether an order has an open follow-up shows only to roles that read results.
"""

from typing import Any

from django.http import HttpRequest

from careloop.accounts.policy import Capability, has_capability
from careloop.care.models import FollowUpStatus
from careloop.care.selectors.labs import lab_orders
from careloop.patients.models import Patient
from careloop.web.staff.patients.views.common import acting_user

SHOWN_ORDERS = 10


def labs_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    user = acting_user(request)
    can_read_results = has_capability(user, Capability.LAB_RESULT_VIEW)
    orders = lab_orders().filter(patient=patient)
    if can_read_results:
        orders = orders.select_related("follow_up")
    shown = list(orders[: SHOWN_ORDERS + 1])
    return {
        "orders": shown[:SHOWN_ORDERS],
        "more": len(shown) > SHOWN_ORDERS,
        "can_read_results": can_read_results,
        "open_follow_up": FollowUpStatus.OPEN,
        "can_order": has_capability(user, Capability.LAB_MANAGE),
        "can_see_progress": can_read_results,
    }
