from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("intake/<str:token>/", views.intake_start, name="intake"),
    path("intake/<str:token>/done/", views.intake_done, name="intake_done"),
    path("intake/<str:token>/<slug:step>/", views.intake_step, name="intake_step"),
    path("staff/intakes/<int:booking_id>/print/", views.intake_print, name="intake_print"),
]
