from django.urls import URLPattern, URLResolver, path

from careloop.web.staff.notes import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("patients/<int:patient_id>/", views.note_list, name="note_list"),
    path("patients/<int:patient_id>/new/", views.note_new, name="note_new"),
    path("<int:note_id>/", views.note_detail, name="note_detail"),
    path("<int:note_id>/edit/", views.note_edit, name="note_edit"),
    path("<int:note_id>/addendum/", views.note_addendum, name="note_addendum"),
]
