import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clinic.contact import sms_allowed, sms_countries_named
from clinic.models import Clinic
from clinic.privacy import validate_person_name

from .rules import Patient


class PhoneNumberField(forms.CharField):
    """A phone number as typed by a patient, cleaned to E.164 (US numbers need no country code)."""

    default_region = "US"

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            number = phonenumbers.parse(value, self.default_region)
        except phonenumbers.NumberParseException:
            raise ValidationError(_("Enter a mobile number such as (619) 555-0123."), code="invalid") from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(_("That number does not look right. Check it and try again."), code="invalid")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class MobileNumberField(PhoneNumberField):
    """A patient's own mobile, for texts: only in the countries the clinic texts (SMS_ALLOWED_COUNTRIES)."""

    def validate(self, value):
        super().validate(value)
        if value and not sms_allowed(value):
            clinic = Clinic.current()
            if clinic:
                message = _(
                    "We can text only mobiles in %(countries)s. Give one of those, or call us at %(phone)s and we will "
                    "book you by phone."
                )
            else:
                message = _(
                    "We can text only mobiles in %(countries)s. Give one of those, or call us and we will book you by "
                    "phone."
                )
            raise ValidationError(
                message,
                code="country",
                params={"countries": sms_countries_named(), "phone": clinic.phone_display if clinic else ""},
            )


class PatientDetailsForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"),
        max_length=120,
        validators=[validate_person_name],
        error_messages={
            "required": _("Enter your full name."),
            "max_length": _("That name is too long for our records: 120 characters at most."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address like name@example.com."),
            "max_length": _("That email address is too long: 254 characters at most."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = MobileNumberField(
        label=_("Mobile phone"),
        error_messages={"required": _("Enter your mobile number.")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "inputmode": "tel"}),
    )
    sms_consent = forms.BooleanField(
        label=_("Text me my booking confirmation and visit reminders"),
        required=False,
        help_text=_("Only about this booking. Reply STOP to any text to opt out. Message and data rates may apply."),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter your full name."), code="required")
        return name

    def clean_email(self):
        return self.cleaned_data["email"].strip()

    def patient(self) -> Patient:
        data = self.cleaned_data
        return Patient(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            sms_consent=data["sms_consent"],
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )


class ConfirmForm(forms.Form):
    """Confirming a held time posts back the price the patient was shown."""

    quoted_price_cents = forms.IntegerField(min_value=0, max_value=10_000_00, widget=forms.HiddenInput)


class MoveForm(forms.Form):
    """Moving a visit posts back the price the patient was shown for the new time."""

    quoted_price_cents = forms.IntegerField(min_value=0, max_value=10_000_00, widget=forms.HiddenInput)
