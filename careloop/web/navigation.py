"""The staff app's main navigation: each entry shows only to roles holding its capability."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.messaging.selectors.inbox import staff_unread_count


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    capability: Capability
    # A number shown beside the label (unread threads), or None for entries without one.
    count: Callable[[User], int] | None = None


STAFF_NAV = (
    NavEntry("Patients", "staff:patient_search", Capability.PATIENT_VIEW),
    NavEntry("Households", "staff:household_list", Capability.PATIENT_VIEW),
    NavEntry("Schedule", "staff:schedule_day", Capability.SCHEDULE_VIEW),
    NavEntry("Care", "staff:care_my_tasks", Capability.CARE_VIEW),
    NavEntry(
        "Messages",
        "staff:message_inbox",
        Capability.MESSAGE_VIEW,
        lambda user: staff_unread_count(user=user),
    ),
    NavEntry("Memberships", "staff:membership_list", Capability.MEMBERSHIP_VIEW),
    NavEntry("Billing", "staff:billing_overview", Capability.BILLING_VIEW),
    NavEntry("Plans", "staff:catalog_plan_list", Capability.CATALOG_VIEW),
    NavEntry("Audit log", "staff:audit_log", Capability.AUDIT_VIEW),
    NavEntry("Team", "staff:staff_list", Capability.STAFF_MANAGE),
    NavEntry("Clinic", "staff:clinic_settings", Capability.CLINIC_CONFIGURE),
)


def staff_nav(request: HttpRequest) -> list[dict[str, object]]:
    user = request.user
    if not user.is_authenticated or not user.is_clinic_staff:
        return []
    entries = []
    for entry in STAFF_NAV:
        if not has_capability(user, entry.capability):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        entries.append(
            {
                "label": entry.label,
                "url": url,
                "active": request.path.startswith(url),
                "count": entry.count(user) if entry.count is not None else None,
            }
        )
    return entries
