from django.urls import path

from . import webhooks

app_name = "notifications"
urlpatterns = [
    path("webhooks/twilio/status/", webhooks.twilio_status, name="twilio_status"),
    path("webhooks/twilio/sms/", webhooks.twilio_inbound, name="twilio_inbound"),
]
