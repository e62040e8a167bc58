from django import forms
from django.contrib import admin

from .languages import LANGUAGE_CODES, staff_choices

# Over the Spanish twins of the clinic's own words (clinic/translated.py) on an admin page.
IN_SPANISH = "What patients reading in Spanish see. A box left empty shows them the English text."


class ReadOnlyAdminMixin:
    """Rows the app writes (logs, messages, events): staff may look; nobody adds, edits or deletes them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class LanguageFilter(admin.SimpleListFilter):
    """The admin lists of patients, by the language their messages are written in."""

    title = "messages in"
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return staff_choices()

    def queryset(self, request, queryset):
        return queryset.filter(language=self.value()) if self.value() in LANGUAGE_CODES else queryset


class LanguageField(forms.ChoiceField):
    """The language a patient's messages are written in, as staff choose it: English or Spanish."""

    def __init__(self, **kwargs):
        super().__init__(label="Messages in", choices=staff_choices, **kwargs)
