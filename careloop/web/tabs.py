"""Tabs across the top of a staff section (catalog, billing, ...): each shown to roles that
hold its capability, the current one marked for screen readers and styling."""

from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability

Tab = tuple[str, str, Capability]  # label, URL name, capability that shows it


def section_tabs(user: User, section: str, tabs: Iterable[Tab], current: str) -> dict[str, Any]:
    return {
        "section": section,
        "tabs": [
            {"label": label, "url": reverse(name), "current": label == current}
            for label, name, capability in tabs
            if has_capability(user, capability)
        ],
    }
