from typing import Any

from django import template

from careloop.accounts.policy import Capability
from careloop.web.tabs import section_tabs

register = template.Library()

TABS = (
    ("Assigned to me", "staff:message_inbox", Capability.MESSAGE_VIEW),
    ("My team's", "staff:message_inbox_team", Capability.MESSAGE_VIEW),
    ("Unassigned", "staff:message_inbox_unassigned", Capability.MESSAGE_VIEW),
    ("Overdue", "staff:message_inbox_overdue", Capability.MESSAGE_VIEW),
    ("Response times", "staff:message_dashboard", Capability.MESSAGE_VIEW_ALL),
    ("Routing", "staff:messaging_routing", Capability.MESSAGING_CONFIGURE),
    ("Reply templates", "staff:messaging_templates", Capability.MESSAGING_CONFIGURE),
    ("Out of office", "staff:messaging_out_of_office", Capability.MESSAGE_VIEW),
)


@register.inclusion_tag("staff/_section_tabs.html", takes_context=True)
def messaging_tabs(context: dict[str, Any], current: str) -> dict[str, Any]:
    """Messaging's own tabs, each shown to roles holding its capability."""
    return section_tabs(context["request"].user, "Messages", TABS, current)


@register.filter(name="business_hours")
def business_hours(hours: int | None) -> str:
    """A response target in words: "4 business hours"."""
    if hours is None:
        return "no target"
    return f"{hours} business hour{'' if hours == 1 else 's'}"
