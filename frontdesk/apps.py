from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class FrontdeskConfig(AppConfig):
    """Admin screens that span apps (README, "Layers"). No models: it registers other apps' models."""

    name = "frontdesk"
    verbose_name = "Front desk"


class FrontDeskAdminConfig(admin_apps.AdminConfig):
    """Django's admin, served by the front desk's site (frontdesk/site.py) as `admin.site`."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin
    default_site = "frontdesk.site.FrontDeskSite"
