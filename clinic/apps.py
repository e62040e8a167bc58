from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic profile"


class ClinicAdminConfig(admin_apps.AdminConfig):
    """Django's admin, served by the clinic's own site (clinic/admin_site.py) as `admin.site`."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin
    default_site = "clinic.admin_site.ClinicAdminSite"
