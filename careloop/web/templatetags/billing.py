from datetime import timedelta
from typing import Any

from django import template
from django.urls import reverse

from careloop.accounts.policy import Capability, has_capability

register = template.Library()

TABS = (
    ("Overview", "staff:billing_overview", Capability.BILLING_VIEW),
    ("Invoices", "staff:billing_invoice_list", Capability.BILLING_VIEW),
    ("Discount codes", "staff:billing_discount_list", Capability.BILLING_MANAGE),
    ("Settings", "staff:billing_settings", Capability.BILLING_MANAGE),
)


@register.inclusion_tag("staff/billing/_tabs.html", takes_context=True)
def billing_tabs(context: dict[str, Any], current: str) -> dict[str, Any]:
    """Billing's own tabs, each shown to roles holding its capability."""
    user = context["request"].user
    return {
        "tabs": [
            {"label": label, "url": reverse(name), "current": label == current}
            for label, name, capability in TABS
            if has_capability(user, capability)
        ]
    }


@register.filter(name="last_day")
def last_day(end: Any) -> Any:
    """An exclusive period end as the last day it covers."""
    return end - timedelta(days=1) if end is not None else None
