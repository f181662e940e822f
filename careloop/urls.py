from django.urls import include, path

from careloop.api.api import api

urlpatterns = [
    path("", include("careloop.web.urls")),
    path("accounts/", include("careloop.web.accounts.urls")),
    path("staff/", include("careloop.web.staff.urls")),
    path("portal/", include("careloop.web.portal.urls")),
    path("pay/", include("careloop.web.pay.urls")),
    path("visit/", include("careloop.web.visit.urls")),
    path("calendar/", include("careloop.web.feeds.urls")),
    path("api/v1/", api.urls),
]
