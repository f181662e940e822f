"""A provider's private iCalendar feed: the address, its renewal and its contents.

The address holds a random token; Careloop keeps only the token's SHA-256, so the address is
shown once, when made or renewed, and renewing it ends the old one. The feed lists the
provider's visits from 30 days back to 180 days ahead (cancelled ones as cancelled, so calendar
programs remove them). It leaves the clinic for whatever calendar service the provider
subscribes with, so it carries no patient names: the visit type and the place only.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, require_capability
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.links import link_url
from careloop.core.selectors import clinic_settings
from careloop.scheduling.ics import calendar_text, visit_event
from careloop.scheduling.models import Appointment, CalendarFeed

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_url(token: str) -> str:
    return link_url("feeds:provider_calendar", token=token)


def calendar_feed_renew(*, actor: User) -> str:
    """Make (or renew) the signed-in provider's feed; return its address, shown only now."""
    require_capability(actor, Capability.CALENDAR_FEED)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.update_or_create(
            provider=actor,
            defaults={
                "token_hash": _digest(token),
                "created_at": clock.now(),
                "last_read_at": None,
            },
        )
        audit_record(
            action="calendar_feed.renew",
            actor=actor,
            object_type="user",
            object_id=actor.pk,
            detail={},
        )
    return calendar_feed_url(token)


def calendar_feed_stop(*, actor: User) -> bool:
    """End the signed-in provider's feed; False when there was none."""
    require_capability(actor, Capability.CALENDAR_FEED)
    with transaction.atomic():
        deleted, _ = CalendarFeed.objects.filter(provider=actor).delete()
        if deleted:
            audit_record(
                action="calendar_feed.stop",
                actor=actor,
                object_type="user",
                object_id=actor.pk,
                detail={},
            )
    return bool(deleted)


def feed_provider(token: str) -> User | None:
    """The active provider whose feed `token` opens, or None."""
    feed = (
        CalendarFeed.objects.select_related("provider")
        .filter(token_hash=_digest(token), provider__is_active=True)
        .first()
    )
    if feed is None:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=clock.now())
    return feed.provider


def calendar_feed_text(provider: User) -> str:
    now = clock.now()
    visits = (
        Appointment.objects.filter(
            provider=provider,
            start_at__gte=now - timedelta(days=FEED_DAYS_BACK),
            start_at__lt=now + timedelta(days=FEED_DAYS_AHEAD),
        )
        .select_related("location", "appointment_type")
        .order_by("start_at", "id")
    )
    return calendar_text(
        [visit_event(visit, summary=visit.appointment_type.name) for visit in visits],
        name=f"{clinic_settings().name}: {provider.display_name}",
        stamp=now,
    )
