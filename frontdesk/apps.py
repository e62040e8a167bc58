from django.apps import AppConfig


class FrontdeskConfig(AppConfig):
    """Admin screens that span apps (README, "Layers"). No models: it registers other apps' models."""

    name = "frontdesk"
    verbose_name = "Front desk"
