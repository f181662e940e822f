from datetime import timedelta
from typing import Any

from django import template

from careloop.accounts.policy import Capability
from careloop.web.tabs import section_tabs

register = template.Library()

TABS = (
    ("Overview", "staff:billing_overview", Capability.BILLING_VIEW),
    ("Invoices", "staff:billing_invoice_list", Capability.BILLING_VIEW),
    ("Discount codes", "staff:billing_discount_list", Capability.BILLING_MANAGE),
    ("Settings", "staff:billing_settings", Capability.BILLING_MANAGE),
)


@register.inclusion_tag("staff/_section_tabs.html", takes_context=True)
def billing_tabs(context: dict[str, Any], current: str) -> dict[str, Any]:
    """Billing's own tabs, each shown to roles holding its capability."""
    return section_tabs(context["request"].user, "Billing", TABS, current)


@register.filter(name="last_day")
def last_day(end: Any) -> Any:
    """An exclusive period end as the last day it covers."""
    return end - timedelta(days=1) if end is not None else None
