"""One form per step of the questionnaire. Each saves only its own fields, once they are right; "Save and finish
later" keeps what was typed in a step as it is (`draft_values`), to be checked when the patient sends the step."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .fields import (
    PLAIN_ERRORS,
    ContactPhoneField,
    DateOfBirthField,
    pain_scale,
    plain_number_errors,
    yes_no,
)
from .models import Intake
from .selectors import LiveDocuments

SELECT_PROMPT = _("Choose one")
DRAFT_TEXT_LIMIT = 5000  # characters kept of one box in a draft: more than any box takes


def _django_default(field: forms.Field, code: str) -> bool:
    """Whether the field's message for `code` is still Django's own (or it has none), not one written for it."""
    defaults = {}
    for klass in reversed(type(field).__mro__):
        if klass.__module__.startswith("django."):
            defaults.update(klass.__dict__.get("default_error_messages", {}))
    return code not in field.error_messages or field.error_messages[code] == defaults.get(code)


def _as_typed(value):
    """A value as a browser sent it, safe to keep in a draft: text (without NUL characters, which PostgreSQL
    refuses), a box ticked or not, or a list of those."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "")[:DRAFT_TEXT_LIMIT]
    if isinstance(value, (list, tuple)):
        return [_as_typed(item) for item in value[:20] if item is None or isinstance(item, str)]
    return ""


class StepForm(forms.ModelForm):
    title = ""
    # field name -> {error code: message}, in the clinic's words; anything not named here gets PLAIN_ERRORS.
    messages: dict[str, dict[str, str]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = str(self.title)  # in the page's language
        for name, field in self.fields.items():
            field.label = field.label[:1].upper() + field.label[1:]
            plain = {code: message for code, message in PLAIN_ERRORS.items() if _django_default(field, code)}
            field.error_messages = {**field.error_messages, **plain, **self.messages.get(name, {})}
            choices = getattr(field, "choices", None)
            if choices and isinstance(field.widget, forms.RadioSelect):
                field.choices = [(value, label) for value, label in choices if value != ""]  # no "---------" option
            elif choices and type(field.widget) is forms.Select and choices[0][0] == "":
                field.choices = [("", SELECT_PROMPT), *choices[1:]]

    def full_clean(self):
        super().full_clean()
        # One sentence per mistake: a number too large breaks two rules (digits and the maximum) with one message.
        for errors in self._errors.values():
            seen = set()
            errors.data = [e for e in errors.data if not (str(e.message) in seen or seen.add(str(e.message)))]

    def draft_values(self) -> dict:
        """What the patient typed in this step, as typed and unchecked, to show again when they come back."""
        return {
            bound.name: _as_typed(bound.field.widget.value_from_datadict(self.data, self.files, bound.html_name))
            for bound in self.visible_fields()
        }


def typed_anything(values: dict) -> bool:
    """Whether a draft holds anything at all: a box typed in, ticked or chosen."""

    def filled(value) -> bool:
        if isinstance(value, list):
            return any(filled(item) for item in value)
        return bool(value.strip()) if isinstance(value, str) else bool(value)

    return any(filled(value) for value in values.values())


class AboutForm(StepForm):
    title = _("About you")
    date_of_birth = DateOfBirthField(label=_("Date of birth"), help_text=_("For example, 3 14 1985"))
    emergency_contact_phone = ContactPhoneField(label=_("Emergency contact's phone"))
    messages = {"emergency_contact_name": {"required": _("Tell us who we should call in an emergency.")}}

    class Meta:
        model = Intake
        fields = ["date_of_birth", "sex", "emergency_contact_name", "emergency_contact_phone", "heard_about"]
        labels = {
            "sex": _("Sex (optional)"),
            "emergency_contact_name": _("Emergency contact's name"),
            "heard_about": _("How did you hear of us? (optional)"),
        }
        # Someone else's name: the browser's autofill would offer the patient's own.
        widgets = {"emergency_contact_name": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["emergency_contact_name"].required = True

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if not 12 <= age <= 110:
            raise ValidationError(_("Check your date of birth: you need to be between 12 and 110 years old."))
        return born


class PainForm(StepForm):
    title = _("Your pain")
    pain_areas = forms.MultipleChoiceField(
        label=_("Where does it hurt?"),
        choices=Intake.PainArea.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tell us where it hurts: choose at least one place.")},
    )
    pain_now = pain_scale(_("How much does it hurt now?"), message=_("Tell us how much it hurts now, from 0 to 10."))
    pain_worst = pain_scale(
        _("How much does it hurt at its worst?"), message=_("Tell us how much it hurts at its worst, from 0 to 10.")
    )
    wakes_at_night = yes_no(_("Does it wake you at night?"))
    messages = {"pain_since": {"required": _("Tell us how long it has been hurting.")}}

    class Meta:
        model = Intake
        fields = [
            "pain_areas",
            "pain_area_other",
            "pain_side",
            "pain_since",
            "pain_onset",
            "pain_now",
            "pain_worst",
            "worse_with",
            "better_with",
            "wakes_at_night",
        ]
        labels = {
            "pain_area_other": _("If somewhere else, where?"),
            "pain_side": _("Which side? (optional)"),
            "pain_since": _("How long has it been hurting?"),
            "pain_onset": _("How did it start?"),
            "worse_with": _("What makes it worse?"),
            "better_with": _("What makes it better?"),
        }
        widgets = {
            "pain_side": forms.RadioSelect,
            "pain_since": forms.RadioSelect,
            "pain_onset": forms.Textarea(attrs={"rows": 3}),
            "worse_with": forms.Textarea(attrs={"rows": 2}),
            "better_with": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pain_since"].required = True

    def clean(self):
        data = super().clean()
        if "other" in data.get("pain_areas", []) and not data.get("pain_area_other"):
            self.add_error("pain_area_other", _("Tell us where else it hurts."))
        now, worst = data.get("pain_now"), data.get("pain_worst")
        if now is not None and worst is not None and worst < now:
            self.add_error("pain_worst", _("Your pain at its worst cannot be lower than your pain now."))
        return data


MILES = plain_number_errors(_("Enter miles from 0 to 300, like 32.5."))


class RunningForm(StepForm):
    title = _("Your running")
    messages = {
        "years_running": {
            "required": _("Tell us how many years you have been running (0 if you are just starting)."),
            **plain_number_errors(_("Enter years from 0 to 80, like 9.")),
        },
        "weekly_miles_now": {"required": _("Tell us how many miles a week you run now, like 25."), **MILES},
        "weekly_miles_peak": MILES,
        "longest_recent_run": MILES,
        "next_race_date": {"invalid": _("Enter the race date, like 5/3/2026.")},
    }

    class Meta:
        model = Intake
        fields = [
            "years_running",
            "weekly_miles_now",
            "weekly_miles_peak",
            "longest_recent_run",
            "training_phase",
            "next_race_name",
            "next_race_date",
            "next_race_distance",
            "other_sports",
            "strength_work",
        ]
        labels = {
            "training_phase": _("Where is your training plan? (optional)"),
            "next_race_name": _("Your next race (if any)"),
            "next_race_distance": _("Its distance"),
            "years_running": _("Years running"),
            "next_race_date": _("Next race date"),
            "other_sports": _("Other sports"),
        }
        widgets = {
            "years_running": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "weekly_miles_now": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
            "weekly_miles_peak": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
            "longest_recent_run": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
            "next_race_date": forms.DateInput(attrs={"type": "date"}),
            "other_sports": forms.Textarea(attrs={"rows": 2}),
            "strength_work": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["years_running"].required = True
        self.fields["weekly_miles_now"].required = True

    def clean_next_race_date(self):
        race = self.cleaned_data["next_race_date"]
        today = timezone.localdate()
        if race and race < today:
            raise ValidationError(_("That date has passed: enter the date of your next race."))
        if race and race > today + timedelta(days=3 * 365):
            raise ValidationError(_("Enter a race in the next three years."))
        return race

    def clean(self):
        data = super().clean()
        if data.get("next_race_name") and not data.get("next_race_date") and "next_race_date" not in self.errors:
            self.add_error("next_race_date", _("When is your race? Enter its date, or leave the race's name empty."))
        return data


class HistoryForm(StepForm):
    title = _("Your history")

    class Meta:
        model = Intake
        fields = ["previous_injuries", "medications", "imaging", "other_conditions"]
        labels = {"medications": _("Medications"), "other_conditions": _("Other conditions")}
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}


class ScreenForm(StepForm):
    """The red-flag screen: any "yes" and a clinician reviews the answers before the visit."""

    title = _("A few safety questions")

    class Meta:
        model = Intake
        fields = Intake.RED_FLAGS

    # Each question whole, so that it reads naturally in every language.
    questions = {
        "flag_numbness": _("Do you have numbness or tingling in your legs?"),
        "flag_saddle_numbness": _(
            "Do you have numbness or tingling in the saddle area (between your legs, where you would sit on a saddle)?"
        ),
        "flag_weakness": _("Do you have major or worsening weakness in your legs?"),
        "flag_bladder_bowel": _("Do you have new changes in how your bladder or bowels work?"),
        "flag_weight_loss": _("Do you have weight loss you cannot explain?"),
        "flag_fever": _("Do you have fever, or feeling generally unwell?"),
        "flag_cancer": _("Do you have a history of cancer?"),
        "flag_fall": _("Do you have a recent fall or accident?"),
        "flag_constant_pain": _("Do you have constant pain that rest does not ease?"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in Intake.RED_FLAGS:
            self.fields[name] = yes_no(self.questions[name])


WORDING_CHANGED = _("We updated this wording while you had the page open. Read it again, then check the box.")


class ConsentForm(StepForm):
    """Goals, the consent to treatment and the privacy notice (the versions shown, `documents`), and the signature.

    The page posts back the version of each document it showed (`<kind>_version`): the box is checked against the
    wording the patient read, and a version published in between asks them to read it again.
    """

    title = _("Goals and consent")
    consent_treatment = forms.BooleanField(
        label=_("I consent to evaluation and treatment."),
        error_messages={"required": _("We need your consent to assess and treat you. Check the box to give it.")},
    )
    privacy_acknowledged = forms.BooleanField(
        label=_("I have read the Notice of Privacy Practices."),
        error_messages={"required": _("Check the box to confirm you have read the Notice of Privacy Practices.")},
    )
    consent_filming = yes_no(
        _("May we film your stride for the assessment?"), help_text=_("The video stays at the clinic.")
    )
    signature_name = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Type your full name to sign.")},
    )

    class Meta:
        model = Intake
        fields = ["goals", "consent_treatment", "privacy_acknowledged", "consent_filming", "signature_name"]
        labels = {"goals": _("What would you like from the visit?")}
        widgets = {"goals": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, documents: LiveDocuments | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = documents or LiveDocuments()
        treatment, privacy = self.documents.treatment, self.documents.privacy
        if treatment:
            self.fields["consent_treatment"].help_text = gettext("The wording above, version %(version)s.") % {
                "version": treatment.version
            }
        if privacy:
            self.fields["privacy_acknowledged"].help_text = format_html(
                gettext(
                    '<a href="{link}" target="_blank">Read the Notice of Privacy Practices</a> (version {version}, '
                    "opens in a new tab)."
                ),
                link=reverse("assessments:privacy_practices_version", args=[privacy.version]),
                version=privacy.version,
            )
        # Agreed to an earlier version: the box starts empty, to be checked for the wording shown now.
        for name, document, signed in (
            ("consent_treatment", treatment, self.instance.signed_treatment_consent_id),
            ("privacy_acknowledged", privacy, self.instance.signed_privacy_notice_id),
        ):
            if document and signed and signed != document.pk:
                self.initial[name] = False

    def clean_signature_name(self):
        name = " ".join(self.cleaned_data["signature_name"].split())
        if len(name) < 3:
            raise ValidationError(_("Type your full name to sign."))
        return name

    def clean(self):
        data = super().clean()
        for name, document in (
            ("consent_treatment", self.documents.treatment),
            ("privacy_acknowledged", self.documents.privacy),
        ):
            if document and data.get(name) and self.data.get(f"{document.kind}_version") != str(document.version):
                self.add_error(name, WORDING_CHANGED)
        data["signed_treatment_consent"] = self.documents.treatment
        data["signed_privacy_notice"] = self.documents.privacy
        data["signed_language"] = translation.get_language()  # the page's: each version's wording read in it
        return data


STEPS: dict[str, type[StepForm]] = {
    "about": AboutForm,
    "pain": PainForm,
    "running": RunningForm,
    "history": HistoryForm,
    "screen": ScreenForm,
    "consent": ConsentForm,
}
