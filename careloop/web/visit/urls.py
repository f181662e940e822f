from django.urls import path

from careloop.web.visit import views

app_name = "visit"
urlpatterns = [path("<str:token>/", views.respond, name="respond")]
