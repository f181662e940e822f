"""The project's URLs plus stand-ins for the account pages the staff header links to.

Used only while careloop.web.accounts has no sign-in, sign-out and security pages of its own
(see conftest.py); once it has them, the real URL tree is used and this module is unused.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path

from careloop.urls import urlpatterns as project_urlpatterns


def _stand_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("account page stand-in")


_account_pages = (
    [
        path("login/", _stand_in, name="login"),
        path("logout/", _stand_in, name="logout"),
        path("security/", _stand_in, name="security"),
    ],
    "accounts",
)

urlpatterns: list[URLPattern | URLResolver] = [
    pattern for pattern in project_urlpatterns if getattr(pattern, "namespace", None) != "accounts"
]
urlpatterns.append(path("accounts/", include(_account_pages)))
