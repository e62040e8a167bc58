import zoneinfo
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .time_zones import time_zone_label
from .translated import Translated

# The days the calendar takes anywhere (forms, Today, URLs): far-off years would overflow date arithmetic.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def display_phone(e164: str) -> str:
    """A stored E.164 number the way people write it: (619) 268-1397 for US numbers."""
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return e164
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(number, style.NATIONAL if number.country_code == 1 else style.INTERNATIONAL)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as America/Los_Angeles.")


class Clinic(Translated, models.Model):
    """The clinic's public profile: what patients see on every page."""

    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=20, help_text="E.164, for example +16192681397. Takes calls and texts.")
    email = models.EmailField()
    street = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    region = models.CharField("state", max_length=50)
    postal_code = models.CharField(max_length=20)
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone])
    map_url = models.URLField(
        "map link",
        max_length=500,
        blank=True,
        help_text="The clinic on a map site, for the offer page. Empty: a link to its address on Google Maps.",
    )
    parking_note = models.TextField(
        "parking and transit",
        max_length=500,
        blank=True,
        help_text="Where to park and how to come by bus or trolley, in a sentence or two, for the offer page.",
    )
    parking_note_es = models.TextField(
        "parking and transit, in Spanish",
        max_length=500,
        blank=True,
        default="",
        help_text="Where to park and how to come by bus or trolley, in Spanish. Empty: the English text is shown.",
    )

    translated_fields = ("parking_note",)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "Clinic | None":
        """The clinic this site serves (the first profile)."""
        return cls.objects.order_by("pk").first()

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def address_line(self) -> str:
        return f"{self.street}, {self.city}, {self.region} {self.postal_code}"

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def map_link(self) -> str:
        """The link staff gave, or the address searched on a map site: a plain link, nothing loads from it."""
        return self.map_url or "https://maps.google.com/?q=" + quote(self.address_line, safe="/")

    @property
    def time_zone_label(self) -> str:
        """How pages name the clinic's time zone: "Pacific time"."""
        return time_zone_label(self.time_zone)

    def closed_days(self, first: date, last: date) -> set[date]:
        """The days from `first` to `last` (inclusive) on which a closure falls."""
        closed = set()
        for closure in self.closures.filter(starts_on__lte=last, ends_on__gte=first):
            day = max(closure.starts_on, first)
            while day <= min(closure.ends_on, last):
                closed.add(day)
                day += timedelta(days=1)
        return closed

    def local_datetime(self, day: date, at: time) -> datetime:
        """The aware instant of a wall-clock time on a day in the clinic's zone."""
        return datetime.combine(day, at, tzinfo=self.tz)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """One opening period on a weekday; a day with no rows is closed."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="opening_hours_close_after_open"),
            models.UniqueConstraint(fields=["clinic", "weekday", "opens_at"], name="opening_hours_unique_period"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Closure(models.Model):
    """Days the clinic is closed (holidays, training); inclusive of both dates."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="closure_ends_after_start"),
        ]

    def __str__(self):
        if self.starts_on == self.ends_on:
            return f"Closed {self.starts_on:%b %-d, %Y}"
        return f"Closed {self.starts_on:%b %-d} – {self.ends_on:%b %-d, %Y}"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The closure must end on or after the day it starts."})
        for name in ("starts_on", "ends_on"):
            day = getattr(self, name)
            if day and not EARLIEST_DAY <= day <= LATEST_DAY:
                raise ValidationError({name: f"Choose a day between {EARLIEST_DAY.year} and {LATEST_DAY.year}."})


class Practitioner(Translated, models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="practitioners")
    name = models.CharField(max_length=120)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="practitioner"
    )
    credentials = models.CharField(
        max_length=60, blank=True, help_text="The letters after the name, for example “PT, DPT, OCS”."
    )
    bio = models.TextField(
        "short bio",
        max_length=600,
        blank=True,
        help_text="Two or three sentences for new patients, on the offer page.",
    )
    bio_es = models.TextField(
        "short bio in Spanish",
        max_length=600,
        blank=True,
        default="",
        help_text="Two or three sentences for new patients, in Spanish. Empty: the English bio is shown.",
    )
    featured = models.BooleanField(
        "on the offer page",
        default=False,
        help_text="Shown to patients on the offer page, with the photo, credentials and bio.",
    )
    # The photo's variants are PractitionerPhoto rows; this names the current upload (and is in their URLs).
    photo_digest = models.CharField(max_length=16, blank=True, editable=False)

    translated_fields = ("bio",)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def photo_url(self, width: int) -> str:
        return reverse("practitioner_photo", args=[self.pk, self.photo_digest, width])

    @property
    def photo_src(self) -> str:
        """The smallest size, for browsers that read no `srcset`."""
        return self.photo_url(PractitionerPhoto.WIDTHS[0]) if self.photo_digest else ""

    @property
    def photo_srcset(self) -> str:
        return ", ".join(f"{self.photo_url(width)} {width}w" for width in PractitionerPhoto.WIDTHS)


class PractitionerPhoto(models.Model):
    """One size of a practitioner's photo, as served (clinic/photos.py makes them from the upload).

    Kept in the database, not on a disk: the site runs as several processes, possibly on several machines,
    and only its static files are on disk (WhiteNoise serves them). A few kilobytes each.
    """

    WIDTHS = (160, 320)  # square: shown at about 100 CSS pixels, the larger one for sharp screens

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="photos")
    digest = models.CharField(max_length=16, help_text="Of the upload: a new photo gets new URLs.")
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()

    class Meta:
        ordering = ["practitioner", "width"]
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "digest", "width"], name="practitioner_photo_unique_size")
        ]

    def __str__(self):
        return f"{self.practitioner} · {self.width}×{self.height}"


class OneTimeCode(models.Model):
    """A 6-digit code sent to an email or a phone, to show that whoever types it back reads that one.

    Kept as a keyed hash: neither a database dump nor a staff screen holds the code itself.
    """

    purpose = models.CharField(max_length=40)
    subject = models.CharField(max_length=100, help_text="What the code opens, for example intake:<reference>.")
    digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Wrong codes typed against it.")
    used_at = models.DateTimeField(null=True, blank=True, help_text="Accepted, or replaced by a newer code.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["purpose", "subject", "created_at"])]

    def __str__(self):
        return f"Code for {self.purpose} ({self.created_at:%Y-%m-%d %H:%M})"
