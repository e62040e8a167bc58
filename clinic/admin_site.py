"""The staff site: Django's admin, where every list filters only by what its admin declares, and every box has a
name.

Django's change lists apply any `field__lookup=value` left in the query string once the
declared filters have taken theirs. Through those, a screen that shows nothing private can
still be searched for it: `?body__regex=^https://...&booking__id__exact=7` reads a hidden
value one character at a time. Every admin registered here, Django's and other packages'
included, lists with `DeclaredLookupsChangeList`, which answers such a request 400.

Django's admin leaves some boxes without a label: the date and the time of a date-time field (the "Date:" and
"Time:" beside them are plain text) and a list's editable column. Every admin registered here names them
(`LabelledControls`), so a screen reader says what each box is for.

Staff who must sign in with two factors (two_factor.py) get in only once their session is verified;
until then every admin page sends them to set it up at /admin/two-factor/.
"""

from functools import partial, update_wrapper

from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.decorators import login_not_required
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from . import two_factor


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


class LabelledSplitDateTime(widgets.AdminSplitDateTime):
    """The admin's date and time boxes, each named; the field's label is the legend around both."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets[0].attrs["aria-label"] = _("Date")
        self.widgets[1].attrs["aria-label"] = _("Time")


class LabelledControls:
    """Mixed into every ModelAdmin the site registers: a name for each box the admin shows without a label."""

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        date_time = self.formfield_overrides.get(models.DateTimeField, {})
        if date_time.get("widget") is widgets.AdminSplitDateTime:
            date_time["widget"] = LabelledSplitDateTime

    def get_changelist_formset(self, request, **kwargs):
        """A list's editable columns: a column's header is no label for the box in each row."""
        formset = super().get_changelist_formset(request, **kwargs)
        for field in formset.form.base_fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))
        return formset


MIXED_INTO_EVERY_ADMIN = (DeclaredLookupsOnly, LabelledControls)


class ClinicAdminSite(admin.AdminSite):
    site_header = "Clinic front desk"
    site_title = "Clinic front desk"
    login_form = two_factor.StaffLoginForm
    login_template = "admin/two_factor_login.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if missing := tuple(mixin for mixin in MIXED_INTO_EVERY_ADMIN if not issubclass(admin_class, mixin)):
            admin_class = type(admin_class.__name__, (*missing, admin_class), {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request):
        user = request.user
        return super().has_permission(request) and (
            not two_factor.two_factor_required(user) or two_factor.is_verified(user)
        )

    def admin_view(self, view, cacheable=False):
        checked = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            # Set up two factors first, rather than a login page saying "not authorized".
            if two_factor.setup_pending(request.user):
                return HttpResponseRedirect(two_factor.setup_url(self, request.get_full_path()))
            return checked(request, *args, **kwargs)

        return update_wrapper(never_cache(inner), checked)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        if request.method == "GET" and two_factor.setup_pending(request.user):
            return HttpResponseRedirect(two_factor.setup_url(self, request.GET.get("next", "")))
        return super().login(request, extra_context)

    def get_urls(self):
        # Not behind admin_view: whoever it serves is not let into the rest of the admin yet.
        page = never_cache(partial(two_factor.two_factor_page, self))
        return [path("two-factor/", page, name="two_factor"), *super().get_urls()]
