from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from booking.models import REFERENCE_LENGTH, Booking, Promotion, Service, new_reference
from clinic.contact import CanonicalEmail
from clinic.privacy import validate_person_name


class WaitlistEntry(CanonicalEmail, models.Model):
    """A patient waiting for a discounted spot (the offer sold out) or for a time on a full day.

    When capacity frees, the first entry waiting is offered it: a hold on a
    slot, for WAITLIST_OFFER_MINUTES, claimed from a private link.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a spot"
        BOOKED = "booked", "Booked"
        LAPSED = "lapsed", "Offer lapsed"
        DECLINED = "declined", "Declined"
        REMOVED = "removed", "Removed"  # by the front desk, or because a discounted visit is booked already
        LEFT = "left", "Left the list"  # by the patient, from the link in the email that confirmed the join

        @classmethod
        def live(cls) -> list[str]:
            return [cls.WAITING, cls.OFFERED]

    # In the patient's "leave the list" link, signed (waitlist/links.py): the link carries no database id.
    reference = models.CharField(max_length=REFERENCE_LENGTH, unique=True, default=new_reference, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="waitlist")
    promotion = models.ForeignKey(
        Promotion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist",
        help_text="Waiting for a discounted spot of this offer.",
    )
    day = models.DateField(null=True, blank=True, help_text="Waiting for any time on this day (clinic time).")
    # Blank for someone who joined by texting WAIT, until they add them from the link the reply carries.
    name = models.CharField(max_length=120, blank=True, validators=[validate_person_name])
    email = models.EmailField(blank=True)
    email_canonical = models.CharField(max_length=254, default="", editable=False)  # clinic/contact.py; kept by save()
    phone = models.CharField("mobile phone", max_length=20)
    sms_consent = models.BooleanField("agreed to texts", default=False)
    # The patient's language, from the page they joined on: offers and notices are written in it.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    # Typed by staff, not by the patient: a booking made from this entry keeps that (booking/models.py).
    email_by_staff = models.BooleanField(default=False, editable=False)
    phone_by_staff = models.BooleanField(default=False, editable=False)
    position = models.PositiveIntegerField(default=0, db_index=True, help_text="Lower numbers are offered first.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True)
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_entry", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "waiting-list entry"
        verbose_name_plural = "waiting list"
        ordering = ["position", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promotion__isnull=False, day__isnull=True) | Q(promotion__isnull=True, day__isnull=False),
                name="waitlist_for_an_offer_or_a_day",
            ),
            models.UniqueConstraint(
                "email_canonical",
                "promotion",
                condition=Q(status__in=["waiting", "offered"], promotion__isnull=False) & ~Q(email_canonical=""),
                name="waitlist_offer_one_per_email",
            ),
            models.UniqueConstraint(
                "phone",
                "promotion",
                condition=Q(status__in=["waiting", "offered"], promotion__isnull=False),
                name="waitlist_offer_one_per_phone",
            ),
            models.UniqueConstraint(
                "email_canonical",
                "service",
                "day",
                condition=Q(status__in=["waiting", "offered"], day__isnull=False) & ~Q(email_canonical=""),
                name="waitlist_day_one_per_email",
            ),
            models.UniqueConstraint(
                "phone",
                "service",
                "day",
                condition=Q(status__in=["waiting", "offered"], day__isnull=False),
                name="waitlist_day_one_per_phone",
            ),
        ]

    def __str__(self):
        return f"{self.name or self.phone} · {self.waiting_for}"

    @property
    def waiting_for(self) -> str:
        if self.promotion_id:
            return gettext("a %(price)s spot (%(offer)s)") % {
                "price": self.promotion.price,
                "offer": self.promotion.translated.name,
            }
        return gettext("a time on %(day)s") % {
            "day": date_format(self.day, pgettext("date format: a waiting list's day", "D M j"))
        }

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    @property
    def has_booked(self) -> bool:
        """Booked from the list: settled so, or offered a place whose hold was confirmed (the code typed, or paid)
        before the sweep settled it."""
        if self.status == self.Status.BOOKED:
            return True
        held = self.booking if self.status == self.Status.OFFERED and self.booking_id else None
        return held is not None and held.status in Booking.Status.consuming()

    @property
    def offer_expires_at(self):
        """Until when an open offer holds: its booking's hold, which a claim extends while the patient pays."""
        return self.booking.hold_expires_at if self.status == self.Status.OFFERED and self.booking_id else None

    def list_filter(self) -> dict:
        """The lookups that select this entry's list."""
        if self.promotion_id:
            return {"promotion_id": self.promotion_id}
        return {"service_id": self.service_id, "day": self.day}
