from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WRONG_CODE = _("That code is not right, or it has expired. Check the latest code we sent, or ask for a new one.")


class CodeForm(forms.Form):
    """A one-time code (clinic/codes.py) as a patient types it: six digits, spaces allowed."""

    code = forms.CharField(
        label=_("The 6-digit code"),
        max_length=12,
        error_messages={"required": _("Type the code we sent you.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise ValidationError(_("A code is 6 digits, such as 123456. Check the latest one we sent."), code="format")
        return code

    def wrong(self) -> None:
        """The code was well formed but not the live one: say so on the field."""
        self.add_error("code", WRONG_CODE)
