import pytest
from django.urls import NoReverseMatch, reverse


@pytest.fixture(autouse=True)
def _account_links(settings):
    """The staff header links to account pages; stand them in until the accounts app has them."""
    try:
        for name in ("accounts:login", "accounts:logout", "accounts:security"):
            reverse(name)
    except NoReverseMatch:
        settings.ROOT_URLCONF = "careloop.web.staff.audit.tests.urls_with_account_links"
