"""The front desk's admin site: the clinic's (clinic/admin_site.py), with Today as its home.

Its home, a visit's panel, a time's page, the day's takings and the text inbox are pages of the site itself rather
than of one model's admin: each spans several apps (frontdesk/today.py, frontdesk/visit.py, frontdesk/inbox.py).
"""

from functools import partial

from django.urls import path

from clinic.admin_site import ClinicAdminSite

from . import inbox, today, visit

# What the front desk and clinicians use each day, in this order; the clinic's set-up and the technical
# sections (users, groups, login lockouts, Stripe's events) are listed for managers and superusers.
DAILY = [
    ("booking", "booking"),
    ("waitlist", "waitlistentry"),
    ("notifications", "message"),
    ("booking", "promotion"),
    ("assessments", "intake"),
    ("assessments", "intakeaccess"),
]


def sees_every_section(user) -> bool:
    """Managers and superusers: Stripe's events are theirs alone among the roles (assessments/roles.py)."""
    return user.has_perm("booking.view_stripeevent")


class FrontDeskSite(ClinicAdminSite):
    index_title = "Today"

    def each_context(self, request):
        """Every page's header counts the unread texts, for staff who may read them."""
        return {**super().each_context(request), "texts_unread": inbox.texts_unread(request)}

    def index(self, request, extra_context=None):
        """Today for staff who run or read the calendar; Django's list of sections for anyone else."""
        return today.today(self, request) or super().index(request, extra_context)

    def get_app_list(self, request, app_label=None):
        """Each role's sections: what it uses every day, or everything it may open for a manager."""
        apps = super().get_app_list(request, app_label)
        if sees_every_section(request.user):
            return apps
        order = {key: n for n, key in enumerate(DAILY)}
        kept = []
        for app in apps:
            models = [m for m in app["models"] if (app["app_label"], m["object_name"].lower()) in order]
            if models:
                models.sort(key=lambda m: order[(app["app_label"], m["object_name"].lower())])
                kept.append({**app, "models": models})
        return kept

    def get_urls(self):
        page = self.admin_view
        return [
            path("today/visit/<int:pk>/", page(partial(visit.visit, self)), name="frontdesk_visit"),
            path("today/time/<int:pk>/", page(partial(visit.time_page, self)), name="frontdesk_time"),
            path("today/takings/", page(partial(visit.takings, self)), name="frontdesk_takings"),
            path("texts/", page(partial(inbox.inbox, self)), name="frontdesk_inbox"),
            path("texts/<int:pk>/", page(partial(inbox.conversation, self)), name="frontdesk_conversation"),
            path("sections/", page(partial(super().index)), name="sections"),
            *super().get_urls(),
        ]
