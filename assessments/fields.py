"""The questionnaire's own kinds of question, each made to be answered with a thumb on a phone, and each with
its mistakes explained in the clinic's words rather than Django's."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from booking.forms import PhoneNumberField

# The plain words for the mistakes any field can have; each field adds its own for being left empty.
PLAIN_ERRORS = {
    "required": _("Answer this question."),
    "max_length": _("Keep this to %(limit_value)d characters or fewer (it has %(show_value)d)."),
    "invalid_choice": _("Choose one of the answers shown."),
    "null_characters_not_allowed": _("Take out the unusual characters (they cannot be saved)."),
}


def plain_number_errors(message: str) -> dict[str, str]:
    """A number's mistakes, in one sentence whatever the mistake: "Enter miles from 0 to 300, like 32.5"."""
    return dict.fromkeys(
        ["invalid", "min_value", "max_value", "max_digits", "max_whole_digits", "max_decimal_places"], message
    )


YES_NO = [(True, _("Yes")), (False, _("No"))]


def yes_no(label: str, *, help_text: str = "") -> forms.TypedChoiceField:
    """A yes-or-no question: two large options side by side (static/css/site.css, `.q-yesno`)."""
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda value: value == "True",
        widget=forms.RadioSelect(attrs={"class": "q-yesno"}),
        error_messages={"required": _("Choose yes or no."), "invalid_choice": _("Choose yes or no.")},
    )


PAIN_HINT = _("0 = no pain, 10 = worst imaginable")


def pain_scale(label: str, *, message: str) -> forms.TypedChoiceField:
    """Pain from 0 to 10 as a row of eleven boxes to tap (`.q-scale`), which wraps on a narrow phone."""
    return forms.TypedChoiceField(
        label=label,
        help_text=PAIN_HINT,
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "q-scale"}),
        error_messages={"required": message, "invalid_choice": message},
    )


class ContactPhoneField(PhoneNumberField):
    """Someone else's phone (an emergency contact): any US number, landline or mobile, from the phone keypad.

    Not autofilled: a browser offers the patient's own number for autocomplete="tel", which is the one number
    an emergency contact must not be.
    """

    message = _("Enter a phone number for them, like (619) 555-0123.")

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}))
        kwargs.setdefault("error_messages", {"required": self.message})
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            raise ValidationError(self.message, code="invalid") from None


class DatePartsWidget(forms.MultiWidget):
    """A date to remember (a birthday) as three boxes, month, day and year, each labelled, from the number keypad:
    quicker than scrolling a calendar back forty years."""

    template_name = "assessments/widgets/date_parts.html"
    parts = [("month", _("Month"), "bday-month"), ("day", _("Day"), "bday-day"), ("year", _("Year"), "bday-year")]

    def __init__(self, attrs=None):
        widgets = {
            name: forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": autocomplete, "maxlength": 4 if name == "year" else 2}
            )
            for name, _, autocomplete in self.parts
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, date):
            return [str(value.month), str(value.day), str(value.year)]
        return [None, None, None]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, (part, label, _autocomplete) in zip(context["widget"]["subwidgets"], self.parts, strict=True):
            subwidget.update(part=part, part_label=label)
        return context


class DateOfBirthField(forms.Field):
    """A date of birth typed as month, day and year ("3", "14", "1985")."""

    widget = DatePartsWidget
    message = _("Enter your date of birth, like 3 14 1985.")
    default_error_messages = {
        "required": message,
        "invalid": message,
        "impossible": _("Enter a real date of birth, like 3 14 1985: that day does not exist."),
    }

    def to_python(self, value):
        parts = value if isinstance(value, (list, tuple)) else [value]
        parts = [str(part).strip() if part is not None else "" for part in parts]
        if not any(parts):
            return None
        if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts) or len(parts[2]) != 4:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        month, day, year = (int(part) for part in parts)
        try:
            return date(year, month, day)
        except ValueError:
            raise ValidationError(self.error_messages["impossible"], code="impossible") from None
