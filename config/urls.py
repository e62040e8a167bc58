from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from clinic import views

handler500 = views.server_error

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path(
        "photos/practitioners/<int:pk>/<str:digest>-<int:width>.webp",
        views.practitioner_photo,
        name="practitioner_photo",
    ),
    path("admin/", admin.site.urls),
    path("", include("booking.webhook_urls")),
    path("", include("notifications.urls")),
]
# What patients read: English at these addresses, Spanish under /es/.
urlpatterns += i18n_patterns(
    path("", include("booking.urls")),
    path("", include("assessments.urls")),
    path("", include("waitlist.urls")),
    prefix_default_language=False,
)
