from django.urls import path

from careloop.web.pay import views

app_name = "pay"
urlpatterns = [path("card/<str:token>/", views.card_update, name="card_update")]
