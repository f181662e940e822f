"""Stand-ins for the sign-in pages the page header links to, while they are not yet routed.

Once careloop.web.accounts routes `logout` and `security`, the fixture leaves the real URL
tree alone and this module has no effect.
"""

from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, clear_url_caches, include, path, reverse

from careloop.urls import urlpatterns as careloop_urlpatterns


def _absent(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=404)


_sign_in = (
    [
        path("logout/", _absent, name="logout"),
        path("security/", _absent, name="security"),
        path("login/", _absent, name="login"),
    ],
    "accounts",
)
urlpatterns = [path("accounts/", include(_sign_in)), *careloop_urlpatterns]


@pytest.fixture(autouse=True)
def sign_in_pages(settings: pytest.FixtureRequest) -> Iterator[None]:
    try:
        reverse("accounts:logout")
        reverse("accounts:security")
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__  # type: ignore[attr-defined]
        clear_url_caches()
    yield
    clear_url_caches()
