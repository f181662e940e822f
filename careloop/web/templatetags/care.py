from typing import Any

from django import template

from careloop.accounts.policy import Capability
from careloop.web.tabs import section_tabs

register = template.Library()

TABS = (
    ("My tasks", "staff:care_my_tasks", Capability.CARE_VIEW),
    ("Team", "staff:care_team_tasks", Capability.CARE_VIEW),
    ("Overdue", "staff:care_overdue", Capability.CARE_VIEW),
    ("Care gaps", "staff:care_gaps", Capability.CARE_VIEW),
    ("Protocols", "staff:care_protocol_list", Capability.CARE_VIEW),
)


@register.inclusion_tag("staff/_section_tabs.html", takes_context=True)
def care_tabs(context: dict[str, Any], current: str) -> dict[str, Any]:
    """Care's own tabs, each shown to roles holding its capability."""
    return section_tabs(context["request"].user, "Care", TABS, current)


@register.filter(name="allowed_actions")
def allowed_actions(controls: Any, task: Any) -> list[str]:
    """The task actions the viewer may take on this task now (none for the front desk)."""
    return list(controls.allowed(task))
