"""One form per step of the questionnaire. Each saves only its own fields."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from booking.forms import PhoneNumberField

from .models import Intake

YES_NO = [(True, "Yes"), (False, "No")]


def yes_no(label: str, *, help_text: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda value: value == "True",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose yes or no."},
    )


class StepForm(forms.ModelForm):
    title = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.label = field.label[:1].upper() + field.label[1:]


class AboutForm(StepForm):
    title = "About you"
    emergency_contact_phone = PhoneNumberField(label="Emergency contact's phone")

    class Meta:
        model = Intake
        fields = ["date_of_birth", "sex", "emergency_contact_name", "emergency_contact_phone", "heard_about"]
        labels = {"sex": "Sex (optional)", "emergency_contact_name": "Emergency contact's name"}
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].required = True
        self.fields["emergency_contact_name"].required = True

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if not 12 <= age <= 110:
            raise ValidationError("Enter your date of birth: you need to be between 12 and 110 years old.")
        return born


class PainForm(StepForm):
    title = "Your pain"
    pain_areas = forms.MultipleChoiceField(
        label="Where does it hurt?",
        choices=Intake.PainArea.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one place."},
    )
    wakes_at_night = yes_no("Does it wake you at night?")

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
        labels = {"pain_area_other": "If somewhere else, where?"}
        widgets = {
            "pain_now": forms.NumberInput(attrs={"min": 0, "max": 10, "inputmode": "numeric"}),
            "pain_worst": forms.NumberInput(attrs={"min": 0, "max": 10, "inputmode": "numeric"}),
            "pain_onset": forms.Textarea(attrs={"rows": 3}),
            "worse_with": forms.Textarea(attrs={"rows": 2}),
            "better_with": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("pain_now", "pain_worst", "pain_since"):
            self.fields[name].required = True

    def clean(self):
        data = super().clean()
        if "other" in data.get("pain_areas", []) and not data.get("pain_area_other"):
            self.add_error("pain_area_other", "Tell us where else it hurts.")
        now, worst = data.get("pain_now"), data.get("pain_worst")
        if now is not None and worst is not None and worst < now:
            self.add_error("pain_worst", "Pain at its worst cannot be lower than your pain now.")
        return data


class RunningForm(StepForm):
    title = "Your running"

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
        labels = {"next_race_name": "Your next race (if any)", "next_race_distance": "Its distance"}
        widgets = {
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
            raise ValidationError("That date has passed: enter your next race.")
        if race and race > today + timedelta(days=3 * 365):
            raise ValidationError("Enter a race in the next three years.")
        return race

    def clean(self):
        data = super().clean()
        if data.get("next_race_name") and not data.get("next_race_date") and "next_race_date" not in self.errors:
            self.add_error("next_race_date", "When is it?")
        return data


class HistoryForm(StepForm):
    title = "Your history"

    class Meta:
        model = Intake
        fields = ["previous_injuries", "medications", "imaging", "other_conditions"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}


class ScreenForm(StepForm):
    """The red-flag screen: any "yes" and a clinician reviews the answers before the visit."""

    title = "A few safety questions"

    class Meta:
        model = Intake
        fields = Intake.RED_FLAGS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in Intake.RED_FLAGS:
            label = Intake._meta.get_field(name).verbose_name
            self.fields[name] = yes_no(f"Do you have {label}?")


class ConsentForm(StepForm):
    title = "Goals and consent"
    consent_treatment = forms.BooleanField(
        label="I consent to a physical-therapy assessment and treatment.",
        error_messages={"required": "We need your consent to assess and treat you."},
    )
    privacy_acknowledged = forms.BooleanField(
        label="I have read how the clinic keeps my health information private.",
        error_messages={"required": "Please confirm you have read the privacy notice."},
    )
    consent_filming = yes_no("May we film your stride for the assessment?", help_text="The video stays at the clinic.")
    signature_name = forms.CharField(
        label="Type your full name to sign",
        max_length=120,
        error_messages={"required": "Type your full name to sign."},
    )

    class Meta:
        model = Intake
        fields = ["goals", "consent_treatment", "privacy_acknowledged", "consent_filming", "signature_name"]
        labels = {"goals": "What would you like from the visit?"}
        widgets = {"goals": forms.Textarea(attrs={"rows": 3})}

    def clean_signature_name(self):
        name = " ".join(self.cleaned_data["signature_name"].split())
        if len(name) < 3:
            raise ValidationError("Type your full name to sign.")
        return name


STEPS: dict[str, type[StepForm]] = {
    "about": AboutForm,
    "pain": PainForm,
    "running": RunningForm,
    "history": HistoryForm,
    "screen": ScreenForm,
    "consent": ConsentForm,
}
