from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = "Waiting list"

    def ready(self):
        from booking.signals import capacity_freed
        from clinic.queue import task_queue_on_commit

        from . import tasks

        def offer_on_commit(sender, booking, **kwargs):
            task_queue_on_commit(tasks.offer_freed_spots)

        capacity_freed.connect(offer_on_commit, dispatch_uid="waitlist.offer_on_commit", weak=False)
