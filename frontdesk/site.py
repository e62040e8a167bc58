"""The front desk's admin site: the clinic's (clinic/admin_site.py), with Today as its home.

Its home, a visit's panel, a time's page and the day's takings are pages of the site itself rather than of
one model's admin: each spans several apps (frontdesk/today.py, frontdesk/visit.py).
"""

from functools import partial

from django.urls import path

from clinic.admin_site import ClinicAdminSite

from . import today, visit


class FrontDeskSite(ClinicAdminSite):
    index_title = "Today"

    def index(self, request, extra_context=None):
        """Today for staff who run or read the calendar; Django's list of sections for anyone else."""
        return today.today(self, request) or super().index(request, extra_context)

    def get_urls(self):
        page = self.admin_view
        return [
            path("today/visit/<int:pk>/", page(partial(visit.visit, self)), name="frontdesk_visit"),
            path("today/time/<int:pk>/", page(partial(visit.time_page, self)), name="frontdesk_time"),
            path("today/takings/", page(partial(visit.takings, self)), name="frontdesk_takings"),
            path("sections/", page(partial(super().index)), name="sections"),
            *super().get_urls(),
        ]
