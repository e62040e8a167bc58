from django.utils.translation import gettext_lazy as _

from booking.forms import PatientDetailsForm


class JoinForm(PatientDetailsForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sms_consent"].label = _("Text me when a place opens up (and about a booking it leads to)")
        self.fields["sms_consent"].help_text = _(
            "A text is the fastest way to hear of a place: offers are held for a short time. Reply STOP to opt out."
        )


class EntryDetailsForm(PatientDetailsForm):
    """The name and email of someone who joined the waiting list by text: their mobile is the one they texted from."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["phone"], self.fields["sms_consent"]
