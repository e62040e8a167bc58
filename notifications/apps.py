from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Messages"

    def ready(self):
        """Connect the notices to what the apps below announce: they never import this app (README, "Layers")."""
        from assessments import signals as intake
        from booking import signals as booking
        from waitlist import signals as waitlist

        from . import notices

        receivers = {
            "notifications.new_link": (booking.links_replaced, notices.on_links_replaced),
            "notifications.link_resent": (booking.links_requested, notices.on_links_requested),
            "notifications.contact_changed": (booking.contact_changed, notices.on_contact_changed),
            "notifications.mobile_code": (booking.mobile_code_issued, notices.on_mobile_code_issued),
            "notifications.payment_refused": (booking.payment_refused, notices.on_payment_refused),
            "notifications.booking_confirmed": (booking.booking_confirmed, notices.on_booking_confirmed),
            "notifications.booking_cancelled": (booking.booking_cancelled, notices.on_booking_cancelled),
            "notifications.booking_rescheduled": (booking.booking_rescheduled, notices.on_booking_rescheduled),
            "notifications.refund_requested": (booking.refund_requested, notices.on_refund_requested),
            "notifications.late_payment_refunded": (booking.late_payment_refunded, notices.on_late_payment_refunded),
            "notifications.waitlist_offer": (waitlist.offer_made, notices.on_offer_made),
            "notifications.waitlist_joined": (waitlist.entry_joined, notices.on_entry_joined),
            "notifications.intake_flagged": (intake.intake_flagged, notices.on_intake_flagged),
            "notifications.intake_code": (intake.intake_code_issued, notices.on_intake_code_issued),
        }
        for dispatch_uid, (signal, receiver) in receivers.items():
            signal.connect(receiver, dispatch_uid=dispatch_uid, weak=False)
