from django.urls import include, path

from careloop import link_urls
from careloop.api.api import api

urlpatterns = [
    path("", include("careloop.web.urls")),
    path("accounts/", include("careloop.web.accounts.urls")),
    path("staff/", include("careloop.web.staff.urls")),
    path("portal/", include("careloop.web.portal.urls")),
    *link_urls.urlpatterns,
    path("api/v1/", api.urls),
]
