from typing import Any

from django import template

from careloop.accounts.policy import Capability
from careloop.web.tabs import section_tabs

register = template.Library()

TABS = (
    ("Plans", "staff:catalog_plan_list", Capability.CATALOG_VIEW),
    ("Services", "staff:catalog_service_list", Capability.CATALOG_VIEW),
    ("Sponsors", "staff:catalog_sponsor_list", Capability.CATALOG_VIEW),
    ("Settings", "staff:catalog_settings", Capability.CATALOG_MANAGE),
)


@register.inclusion_tag("staff/_section_tabs.html", takes_context=True)
def catalog_tabs(context: dict[str, Any], current: str) -> dict[str, Any]:
    """The catalog's own tabs, each shown to roles holding its capability."""
    return section_tabs(context["request"].user, "Catalog", TABS, current)
