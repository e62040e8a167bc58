"""Stripe's webhook, at one address: it is no page, so it has no Spanish twin under /es/."""

from django.urls import path

from . import webhooks

app_name = "payments"
urlpatterns = [
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
]
