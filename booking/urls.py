from django.urls import path, register_converter

from . import hold_views, manage_views, resend, views
from .converters import DateConverter

register_converter(DateConverter, "date")

app_name = "booking"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("book/", views.book_days, name="book_days"),
    path("book/<date:day>/", views.book_day, name="book_day"),
    path("book/texted/<str:token>/", views.texted, name="texted"),
    path("book/time/<int:slot_id>/", hold_views.choose_time, name="choose_time"),
    path("book/held/<str:reference>/", hold_views.hold_details, name="hold_details"),
    path("book/held/<str:reference>/review/", hold_views.hold_review, name="hold_review"),
    path("book/held/<str:reference>/confirm/", hold_views.hold_confirm, name="hold_confirm"),
    path("book/held/<str:reference>/release/", hold_views.hold_release, name="hold_release"),
    path("booking/resend-link/", resend.resend_link, name="resend_link"),
    path("booking/resend-link/sent/", resend.resend_link_sent, name="resend_link_sent"),
    path("booking/<str:reference>/", views.booking_detail, name="booking_detail"),
    path("booking/<str:reference>/verify/", views.verify_mobile, name="verify_mobile"),
    path("booking/<str:reference>/verify/new-code/", views.send_mobile_code, name="send_mobile_code"),
    path("booking/<str:reference>/paid/", views.checkout_success, name="checkout_success"),
    path("booking/<str:reference>/payment-cancelled/", views.checkout_cancelled, name="checkout_cancel"),
    path("manage/<str:token>/", manage_views.manage, name="manage"),
    path("manage/<str:token>/calendar.ics", manage_views.manage_calendar, name="manage_calendar"),
    path("manage/<str:token>/cancel/", manage_views.manage_cancel, name="manage_cancel"),
    path("manage/<str:token>/move/", manage_views.move_days, name="move_days"),
    path("manage/<str:token>/move/<date:day>/", manage_views.move_day, name="move_day"),
    path("manage/<str:token>/move/time/<int:slot_id>/", manage_views.move_to, name="move_to"),
]
