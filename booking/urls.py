from django.urls import path, register_converter

from . import views
from .converters import DateConverter

register_converter(DateConverter, "date")

app_name = "booking"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("book/", views.book_days, name="book_days"),
    path("book/<date:day>/", views.book_day, name="book_day"),
    path("book/time/<int:slot_id>/", views.book_details, name="book_details"),
    path("book/time/<int:slot_id>/confirm/", views.book_confirm, name="book_confirm"),
    path("booking/<str:reference>/", views.booking_detail, name="booking_detail"),
]
