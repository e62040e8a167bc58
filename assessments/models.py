from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from booking.models import Booking
from clinic.translated import Translated, language_of

PAIN_SCALE = [MinValueValidator(0), MaxValueValidator(10)]
MILES = [MinValueValidator(0), MaxValueValidator(300)]


class Intake(models.Model):
    """The pre-visit questionnaire. Health information: only clinicians read it, and every read is logged."""

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        INTERSEX = "intersex", _("Intersex")
        UNSAID = "unsaid", _("Prefer not to say")

    class HeardAbout(models.TextChoices):
        BLOG = "blog", _("The clinic's blog post")
        INSTAGRAM = "instagram", _("Instagram")
        FRIEND = "friend", _("A friend or training partner")
        SEARCH = "search", _("A web search")
        CLUB = "club", _("A running club or race")
        OTHER = "other", _("Somewhere else")

    class PainArea(models.TextChoices):
        LOW_BACK = "low_back", _("Low back")
        HIP = "hip", _("Hip")
        BUTTOCK = "buttock", _("Buttock")
        LEG = "leg", _("Leg")
        OTHER = "other", _("Somewhere else")

    class Side(models.TextChoices):
        LEFT = "left", _("Left")
        RIGHT = "right", _("Right")
        BOTH = "both", _("Both sides")
        MIDDLE = "middle", _("In the middle")

    class Since(models.TextChoices):
        WEEKS_2 = "under_2_weeks", _("Less than 2 weeks")
        WEEKS_6 = "2_6_weeks", _("2 to 6 weeks")
        MONTHS_3 = "6_12_weeks", _("6 to 12 weeks")
        YEAR = "3_12_months", _("3 to 12 months")
        LONGER = "over_a_year", _("More than a year")

    class Phase(models.TextChoices):
        BASE = "base", _("Base")
        BUILD = "build", _("Build")
        PEAK = "peak", _("Peak")
        TAPER = "taper", _("Taper")
        OFF = "off", _("Between plans")

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="intake")
    steps_done = models.JSONField(default=list, help_text="The steps the patient has saved.")
    # "Save and finish later" on a step that is not finished: what the patient typed, as typed, shown again when
    # they come back. Not answers (nothing in it was checked) until the step is saved; health information all the same.
    drafts = models.JSONField(default=dict, blank=True, editable=False, help_text="Steps kept to finish later.")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # About you
    date_of_birth = models.DateField(null=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    heard_about = models.CharField("how you heard of us", max_length=10, choices=HeardAbout.choices, blank=True)

    # Pain
    pain_areas = models.JSONField("where it hurts", default=list)
    pain_area_other = models.CharField("somewhere else", max_length=120, blank=True)
    pain_side = models.CharField("which side", max_length=10, choices=Side.choices, blank=True)
    pain_since = models.CharField("since when", max_length=16, choices=Since.choices, blank=True)
    pain_onset = models.TextField("how it started", max_length=1000, blank=True)
    pain_now = models.PositiveSmallIntegerField("pain now (0–10)", null=True, validators=PAIN_SCALE)
    pain_worst = models.PositiveSmallIntegerField("pain at its worst (0–10)", null=True, validators=PAIN_SCALE)
    worse_with = models.TextField("what makes it worse", max_length=1000, blank=True)
    better_with = models.TextField("what makes it better", max_length=1000, blank=True)
    wakes_at_night = models.BooleanField("wakes you at night", null=True)

    # Running
    years_running = models.PositiveSmallIntegerField(null=True, validators=[MaxValueValidator(80)])
    weekly_miles_now = models.DecimalField(
        _("weekly miles now"), max_digits=4, decimal_places=1, null=True, validators=MILES
    )
    weekly_miles_peak = models.DecimalField(
        _("weekly miles at peak"), max_digits=4, decimal_places=1, null=True, blank=True, validators=MILES
    )
    longest_recent_run = models.DecimalField(
        _("longest recent run (miles)"), max_digits=4, decimal_places=1, null=True, blank=True, validators=MILES
    )
    next_race_name = models.CharField(max_length=120, blank=True)
    next_race_date = models.DateField(null=True, blank=True)
    next_race_distance = models.CharField(max_length=40, blank=True)
    training_phase = models.CharField("where your plan is", max_length=8, choices=Phase.choices, blank=True)
    other_sports = models.TextField(max_length=1000, blank=True)
    strength_work = models.TextField(_("strength work now"), max_length=1000, blank=True)

    # History
    previous_injuries = models.TextField(_("previous injuries and surgeries"), max_length=2000, blank=True)
    medications = models.TextField(max_length=2000, blank=True)
    imaging = models.TextField(_("imaging already done"), max_length=2000, blank=True)
    other_conditions = models.TextField(max_length=2000, blank=True)

    # Red-flag screen: any "yes" means review before the visit
    flag_numbness = models.BooleanField("numbness or tingling in your legs", null=True)
    flag_saddle_numbness = models.BooleanField(
        "numbness or tingling in the saddle area (between your legs, where you would sit on a saddle)", null=True
    )
    flag_weakness = models.BooleanField("major or worsening weakness in your legs", null=True)
    flag_bladder_bowel = models.BooleanField("new changes in how your bladder or bowels work", null=True)
    flag_weight_loss = models.BooleanField("weight loss you cannot explain", null=True)
    flag_fever = models.BooleanField("fever, or feeling generally unwell", null=True)
    flag_cancer = models.BooleanField("a history of cancer", null=True)
    flag_fall = models.BooleanField("a recent fall or accident", null=True)
    flag_constant_pain = models.BooleanField("constant pain that rest does not ease", null=True)

    # Goals, consent and signature
    goals = models.TextField("goals for the visit", max_length=2000, blank=True)
    consent_treatment = models.BooleanField(default=False)
    privacy_acknowledged = models.BooleanField(default=False)
    consent_filming = models.BooleanField("consent to film the stride", null=True)
    signature_name = models.CharField("typed signature", max_length=120, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    # The versions the patient read when they signed: a later version never changes what they agreed to.
    signed_treatment_consent = models.ForeignKey(
        "ConsentDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    signed_privacy_notice = models.ForeignKey(
        "ConsentDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    # The language of the page they signed on ("" if signed before it was kept: English then). With the versions,
    # it tells which wording they read: a version's Spanish, if it has one, on a Spanish page.
    signed_language = models.CharField(max_length=8, blank=True, default="", editable=False)

    # The clinician's latest review of the red flags, while it still holds: a later change to the safety
    # screen's answers clears it. Every review stays in `red_flag_reviews`.
    red_flag_review = models.ForeignKey(
        "RedFlagReview", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        permissions = [("view_intake_answers", "Can read intake answers")]

    def __str__(self):
        return f"Intake for booking {self.booking.reference}"

    RED_FLAGS = [
        "flag_numbness",
        "flag_saddle_numbness",
        "flag_weakness",
        "flag_bladder_bowel",
        "flag_weight_loss",
        "flag_fever",
        "flag_cancer",
        "flag_fall",
        "flag_constant_pain",
    ]
    URGENT_FLAGS = ["flag_saddle_numbness", "flag_bladder_bowel"]
    # What a staff list may read of an intake: whether it is done, and its red-flag review. Never the answers.
    PROGRESS_FIELDS = {"id", "booking", "completed_at", "red_flag_review"}

    @classmethod
    def answers_of(cls, relation: str) -> list[str]:
        """The answer fields through `relation` ("intake" from a booking), for a list to defer: they are never read
        into memory where only the progress shows."""
        return [f"{relation}__{f.name}" for f in cls._meta.concrete_fields if f.name not in cls.PROGRESS_FIELDS]

    @property
    def has_answers(self) -> bool:
        """Whether the patient left anything here: a saved step, or one kept to finish later."""
        return bool(self.steps_done or self.drafts)

    @property
    def has_red_flag(self) -> bool:
        return any(getattr(self, name) for name in self.RED_FLAGS)

    @property
    def needs_urgent_care_advice(self) -> bool:
        return any(getattr(self, name) for name in self.URGENT_FLAGS)

    @property
    def urgent_in_draft(self) -> bool:
        """An urgent flag ticked yes in a safety screen kept to finish later: not an answer (nothing is flagged
        for review until the step is sent), but the urgent-care advice is shown at once."""
        draft = self.drafts.get("screen") or {}
        return any(draft.get(name) == "True" for name in self.URGENT_FLAGS)

    @property
    def flags_raised(self) -> frozenset[str]:
        return frozenset(name for name in self.RED_FLAGS if getattr(self, name))

    @property
    def red_flag_reviewed(self) -> str:
        """ "Flag reviewed by Ana Ruiz, Apr 9, 9:12 AM: called the patient", or "" while no review holds.

        Says who, when (clinic time) and the outcome, never the note: the front desk may read it. Fixed cost in
        a list: `select_related("red_flag_review__reviewed_by", "booking__slot__service__clinic")`.
        """
        review = self.red_flag_review
        if review is None:
            return ""
        at = timezone.localtime(review.reviewed_at, self.booking.slot.service.clinic.tz)
        return f"Flag reviewed by {review.reviewer_name}, {at:%b} {at.day}, {at:%-I:%M %p}: {review.outcome_words}"


class RedFlagReview(models.Model):
    """A clinician's review of an intake's red flags: who, when, and what came of it. Every review is kept (the
    intake points at the latest); the note is health information, for clinicians only."""

    class Outcome(models.TextChoices):
        CALLED = "called", "Called the patient"
        CLEARED = "cleared", "Cleared for the visit"
        REFERRED = "referred", "Referred to a doctor or urgent care"

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="red_flag_reviews")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.CharField(max_length=200, blank=True, help_text="Health information: only clinicians read it.")

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=["called", "cleared", "referred"]), name="red_flag_review_outcome"
            )
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} ({self.reviewer_name})"

    @property
    def reviewer_name(self) -> str:
        return self.reviewed_by.get_full_name() or self.reviewed_by.get_username()

    @property
    def outcome_words(self) -> str:
        """The outcome inside a sentence: "called the patient"."""
        label = self.get_outcome_display()
        return label[:1].lower() + label[1:]


class IntakeAccess(models.Model):
    """Who read, changed or searched intake answers, when, from where, and how the patient's link let them in.

    Written by the app; nobody edits it. A clinician's list or search of intakes has no booking.
    """

    class Action(models.TextChoices):
        VIEW = "view", "Viewed in the admin"
        PRINT = "print", "Opened the printable summary"
        LIST = "list", "Listed or searched intakes in the admin"
        PATIENT_SAVE = "patient_save", "Patient saved a step"
        PATIENT_DRAFT = "patient_draft", "Patient kept an unfinished step to finish later"
        PATIENT_VIEW = "patient_view", "Opened saved answers through the patient's link"
        CODE_SENT = "code_sent", "Code sent to the patient, to open saved answers"
        CODE_ACCEPTED = "code_accepted", "Code accepted: this browser may open saved answers"
        CODE_REFUSED = "code_refused", "Wrong code typed"
        FLAG_REVIEW = "flag_review", "Recorded a red-flag review"

    class GrantedBy(models.TextChoices):
        BROWSER = "browser", "The browser that filled in the answers"
        CODE = "code", "A code sent to the patient's email or mobile"
        STAFF = "staff", "Staff sign-in"

    booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="intake_accesses"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    action = models.CharField(max_length=14, choices=Action.choices)
    granted_by = models.CharField("let in by", max_length=8, choices=GrantedBy.choices, blank=True)
    detail = models.CharField(
        max_length=200, blank=True, help_text="The step a patient saved; the query of a list or search."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "intake access log"

    def __str__(self):
        who = self.user.get_username() if self.user else "the patient's link"
        about = f" ({self.booking.reference})" if self.booking_id else ""
        return f"{who}: {self.get_action_display()}{about}"


class ConsentDocument(Translated, models.Model):
    """The wording a patient agrees to on the consent step: the Notice of Privacy Practices, and the consent to
    evaluation and treatment. A draft until a manager publishes it; a published version never changes, in English
    or in Spanish (new wording is a new version), so an intake points at exactly what its patient read."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("Notice of Privacy Practices")
        TREATMENT = "treatment", _("Consent to evaluation and treatment")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.PositiveIntegerField(null=True, blank=True, editable=False, help_text="Numbered when published.")
    body = models.TextField(
        "wording",
        max_length=20_000,
        help_text="Plain text. Leave a blank line between paragraphs. A line starting with “## ” is a heading; "
        "lines starting with “- ” make a list.",
    )
    body_es = models.TextField(
        "wording in Spanish",
        max_length=20_000,
        blank=True,
        default="",
        help_text="The same wording in Spanish, written the same way. Empty: patients reading in Spanish are "
        "shown the English wording.",
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    translated_fields = ("body",)

    class Meta:
        ordering = ["kind", models.F("version").desc(nulls_first=True), "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="consent_document_one_per_version"),
            models.CheckConstraint(
                condition=models.Q(version__isnull=True, published_at__isnull=True)
                | models.Q(version__isnull=False, published_at__isnull=False),
                name="consent_document_numbered_when_published",
            ),
            models.CheckConstraint(condition=models.Q(kind__in=["privacy", "treatment"]), name="consent_document_kind"),
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display()}, version {self.version}"
            if self.version
            else f"{self.get_kind_display()} (draft)"
        )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def public_path(self) -> str:
        """This version's public page, in the active language ("" for a draft)."""
        if not self.is_published:
            return ""
        name = "privacy_practices_version" if self.kind == self.Kind.PRIVACY else "treatment_consent_version"
        return reverse(f"assessments:{name}", args=[self.version])

    @property
    def body_language(self) -> str:
        """The language of `translated.body`, the wording read now: for a `lang` where it is not the page's."""
        return language_of(self, "body")

    def read_in(self, page_language: str) -> str:
        """The language of the wording a patient read on a page in `page_language`."""
        with translation.override(page_language or settings.LANGUAGE_CODE):
            return self.body_language

    def public_path_in(self, language: str) -> str:
        """This version's public page in `language`."""
        with translation.override(language):
            return self.public_path
