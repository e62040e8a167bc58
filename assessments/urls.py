from django.contrib import admin
from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("intake/<str:token>/", views.intake_start, name="intake"),
    path("intake/<str:token>/done/", views.intake_done, name="intake_done"),
    path("intake/<str:token>/code/", views.enter_code, name="intake_code"),
    path("intake/<str:token>/code/send/", views.send_code, name="intake_code_send"),
    path("intake/<str:token>/<slug:step>/", views.intake_step, name="intake_step"),
    # The wording patients agree to, public: the latest version, and each earlier one as it was.
    path("privacy-practices/", views.consent_document, {"kind": "privacy"}, name="privacy_practices"),
    path(
        "privacy-practices/<int:version>/",
        views.consent_document,
        {"kind": "privacy"},
        name="privacy_practices_version",
    ),
    path("consent-to-treatment/", views.consent_document, {"kind": "treatment"}, name="treatment_consent"),
    path(
        "consent-to-treatment/<int:version>/",
        views.consent_document,
        {"kind": "treatment"},
        name="treatment_consent_version",
    ),
    # Behind the staff site's sign-in, with its two factors.
    path("staff/intakes/<int:booking_id>/print/", admin.site.admin_view(views.intake_print), name="intake_print"),
]
