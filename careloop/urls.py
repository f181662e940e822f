from django.urls import include, path

from careloop.api.api import api

urlpatterns = [
    path("", include("careloop.web.urls")),
    path("api/v1/", api.urls),
]
