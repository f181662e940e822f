"""The pages that links in email and SMS open without signing in: a payer's card update, a
patient's visit, a provider's calendar feed.

The site's URLconf (careloop/urls.py) includes these same patterns. Links are reversed against
this URLconf alone (`careloop.core.links.link_url`), so a process that only sends links, such
as a billing run or a worker sending reminders, builds its first one without importing every
view and API schema of the site: about 20 ms instead of 1.5 s.
"""

from django.urls import include, path

urlpatterns = [
    path("pay/", include("careloop.web.pay.urls")),
    path("visit/", include("careloop.web.visit.urls")),
    path("calendar/", include("careloop.web.feeds.urls")),
]
