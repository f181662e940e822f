"""A provider's private iCalendar feed, read by calendar programs without signing in: the
unguessable address is the key (careloop/scheduling/services/feeds.py)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from careloop.scheduling.ics import ICS_CONTENT_TYPE
from careloop.scheduling.services.feeds import calendar_feed_text, feed_provider


@require_GET
def provider_calendar(request: HttpRequest, token: str) -> HttpResponse:
    provider = feed_provider(token)
    if provider is None:
        raise Http404("No such calendar feed; it may have been renewed.")
    response = HttpResponse(calendar_feed_text(provider), content_type=ICS_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response
