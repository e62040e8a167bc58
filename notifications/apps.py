from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Messages"

    def ready(self):
        from booking.signals import contact_changed, links_replaced, mobile_code_issued, payment_refused

        from . import services

        links_replaced.connect(services.on_links_replaced, dispatch_uid="notifications.new_link", weak=False)
        contact_changed.connect(services.on_contact_changed, dispatch_uid="notifications.contact_changed", weak=False)
        mobile_code_issued.connect(services.on_mobile_code_issued, dispatch_uid="notifications.mobile_code", weak=False)
        payment_refused.connect(services.on_payment_refused, dispatch_uid="notifications.payment_refused", weak=False)
