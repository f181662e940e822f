"""The links Careloop sends (a card update, a visit, a calendar feed) are built from their own
URLconf (careloop/link_urls.py): each opens its page on the site, and building one does not
load the rest of the site."""

import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import resolve

from careloop.billing.links import card_update_url
from careloop.scheduling.links import visit_url
from careloop.scheduling.services.feeds import calendar_feed_url
from careloop.testing.processes import careloop_environment


@override_settings(PORTAL_BASE_URL="https://clinic.example/")
@pytest.mark.parametrize(
    ("link", "page"),
    [
        (lambda: card_update_url(42), "pay:card_update"),
        (lambda: visit_url(42), "visit:respond"),
        (lambda: calendar_feed_url("feed-token"), "feeds:provider_calendar"),
    ],
    ids=["card update", "visit", "calendar feed"],
)
def test_a_link_opens_its_page_on_the_site(link, page):
    address = urlsplit(link())

    assert (address.scheme, address.netloc) == ("https", "clinic.example")
    assert resolve(address.path).view_name == page  # the site's own URLconf


@pytest.mark.django_db
def test_building_a_link_does_not_load_the_sites_other_pages_or_its_api():
    # A new process, as a billing run or a worker sending reminders is: this one has loaded
    # the whole site already.
    script = (
        "import sys, django; django.setup()\n"
        "from careloop.billing.links import card_update_url\n"
        "from careloop.scheduling.links import visit_url\n"
        "print(card_update_url(1), visit_url(1))\n"
        "print(sorted(m for m in ('careloop.urls', 'careloop.api.api', 'careloop.web.staff.urls')"
        " if m in sys.modules))\n"
    )
    built = subprocess.run(
        [sys.executable, "-c", script],
        env=careloop_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert built.returncode == 0, built.stderr
    links, loaded = built.stdout.splitlines()
    card, visit = (urlsplit(link).path for link in links.split())
    assert card.startswith("/pay/card/")
    assert visit.startswith("/visit/")
    assert loaded == "[]"
