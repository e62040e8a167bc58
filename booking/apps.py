from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self):
        from clinic.models import Clinic, Closure, OpeningHours, Practitioner

        from .models import Booking, Promotion, Service, Slot
        from .page_cache import forget_pages
        from .signals import capacity_freed

        # What the availability pages show changed: every process renders them afresh once it commits.
        for model in (Booking, Slot, Promotion, Service, Clinic, OpeningHours, Closure, Practitioner):
            post_save.connect(forget_pages, sender=model, dispatch_uid=f"forget_pages_on_save_{model.__name__}")
            post_delete.connect(forget_pages, sender=model, dispatch_uid=f"forget_pages_on_delete_{model.__name__}")
        capacity_freed.connect(forget_pages, dispatch_uid="forget_pages_on_capacity_freed")
