from django.urls import path

from careloop.web.feeds import views

app_name = "feeds"
urlpatterns = [path("<str:token>.ics", views.provider_calendar, name="provider_calendar")]
