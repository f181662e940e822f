from typing import Any

from django import template
from django.urls import reverse

from careloop.accounts.policy import Capability, has_capability

register = template.Library()

TABS = (
    ("Plans", "staff:catalog_plan_list", Capability.CATALOG_VIEW),
    ("Services", "staff:catalog_service_list", Capability.CATALOG_VIEW),
    ("Sponsors", "staff:catalog_sponsor_list", Capability.CATALOG_VIEW),
    ("Settings", "staff:catalog_settings", Capability.CATALOG_MANAGE),
)


@register.inclusion_tag("staff/catalog/_tabs.html", takes_context=True)
def catalog_tabs(context: dict[str, Any], current: str) -> dict[str, Any]:
    """The catalog's own tabs, each shown to roles holding its capability."""
    user = context["request"].user
    return {
        "tabs": [
            {"label": label, "url": reverse(name), "current": label == current}
            for label, name, capability in TABS
            if has_capability(user, capability)
        ]
    }
