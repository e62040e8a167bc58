"""The staff site: Django's admin, where every list filters only by what its admin declares.

Django's change lists apply any `field__lookup=value` left in the query string once the
declared filters have taken theirs. Through those, a screen that shows nothing private can
still be searched for it: `?body__regex=^https://...&booking__id__exact=7` reads a hidden
value one character at a time. Every admin registered here, Django's and other packages'
included, lists with `DeclaredLookupsChangeList`, which answers such a request 400.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.views.main import ChangeList


class DeclaredLookupsChangeList(ChangeList):
    """A change list filtered only by its admin's `list_filter`, `date_hierarchy` and search."""

    def get_filters(self, request):
        specs, has_filters, remaining, may_have_duplicates, has_active_filters = super().get_filters(request)
        # What is left once the list filters took theirs; the date hierarchy's own bounds are declared.
        declared = {f"{self.date_hierarchy}__gte", f"{self.date_hierarchy}__lt"} if self.date_hierarchy else set()
        if undeclared := sorted(set(remaining) - declared):
            raise DisallowedModelAdminLookup(f"Filtering by {undeclared[0]} is not allowed")
        return specs, has_filters, remaining, may_have_duplicates, has_active_filters


class DeclaredLookupsOnly:
    """Mixed into every ModelAdmin the site registers."""

    def get_changelist(self, request, **kwargs):
        return DeclaredLookupsChangeList


class ClinicAdminSite(admin.AdminSite):
    site_header = "Clinic front desk"
    site_title = "Clinic front desk"

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, DeclaredLookupsOnly):
            admin_class = type(
                admin_class.__name__, (DeclaredLookupsOnly, admin_class), {"__module__": admin_class.__module__}
            )
        super().register(model_or_iterable, admin_class, **options)
