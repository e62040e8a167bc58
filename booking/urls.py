from django.urls import path, register_converter

from . import views, webhooks
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
    path("booking/<str:reference>/paid/", views.checkout_success, name="checkout_success"),
    path("booking/<str:reference>/payment-cancelled/", views.checkout_cancelled, name="checkout_cancel"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
]
