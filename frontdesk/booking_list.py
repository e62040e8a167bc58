"""The bookings list: which visits it shows (from today on unless staff choose), in what order, and its CSV.

Days and weeks are the clinic's (its time zone; weeks Monday to Sunday), so a week that changes the clocks
still runs from Monday midnight to Monday midnight on the clinic's wall.
"""

import csv
from datetime import date, datetime, time, timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone

from booking.models import Booking, Payment
from clinic.models import Clinic

UPCOMING, PAST, ALL = "upcoming", "past", "all"
VISIT_CHOICES = [
    (UPCOMING, "From today on"),
    ("today", "Today"),
    ("tomorrow", "Tomorrow"),
    ("this_week", "This week"),
    ("next_week", "Next week"),
    (PAST, "Past"),
    (ALL, "All"),
]
NEWEST_FIRST = {PAST, ALL}


def visit_choice(request) -> str:
    """The visits the list shows: the one chosen; else, for a search, every visit (a caller's past ones too);
    else from today on."""
    chosen = request.GET.get(VisitFilter.parameter_name)
    if chosen:
        return chosen
    return ALL if request.GET.get(SEARCH_VAR, "").strip() else UPCOMING


def visit_ordering(request) -> list[str]:
    """Soonest first, but the past and everything newest first."""
    return ["-slot__starts_at"] if visit_choice(request) in NEWEST_FIRST else ["slot__starts_at"]


def _midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def visit_window(choice: str, today: date, tz) -> tuple[datetime | None, datetime | None]:
    """The instants [start, end) of a choice, for the clinic's `today`; None where it is open-ended."""
    monday = today - timedelta(days=today.weekday())
    days = {
        UPCOMING: (today, None),
        "today": (today, today + timedelta(days=1)),
        "tomorrow": (today + timedelta(days=1), today + timedelta(days=2)),
        "this_week": (monday, monday + timedelta(weeks=1)),
        "next_week": (monday + timedelta(weeks=1), monday + timedelta(weeks=2)),
        PAST: (None, today),
        ALL: (None, None),
    }
    first, last = days[choice]
    return (first and _midnight(first, tz)), (last and _midnight(last, tz))


class VisitFilter(admin.SimpleListFilter):
    title = "visit"
    parameter_name = "visit"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.chosen = visit_choice(request)
        self.status_chosen = bool(request.GET.get("status__exact"))

    def lookups(self, request, model_admin):
        return VISIT_CHOICES

    def queryset(self, request, queryset):
        choice = self.chosen
        if choice not in dict(VISIT_CHOICES):
            raise IncorrectLookupParameters(f"No such visit choice: {choice}")
        clinic = Clinic.current()
        tz = clinic.tz if clinic else timezone.get_default_timezone()
        start, end = visit_window(choice, timezone.localdate(timezone=tz), tz)
        if start:
            queryset = queryset.filter(slot__starts_at__gte=start)
        if end:
            queryset = queryset.filter(slot__starts_at__lt=end)
        if not self.status_chosen:
            # Lapsed holds, and waiting-list offers that lapsed or were declined, never were visits: listed only
            # when Status: Expired is chosen.
            queryset = queryset.exclude(status=Booking.Status.EXPIRED)
        return queryset

    def choices(self, changelist):
        # Every choice is a value of its own: none chosen means "from today on", or "all" for a search.
        for value, label in self.lookup_choices:
            yield {
                "selected": value == self.chosen,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


# The CSV --------------------------------------------------------------------------------------------------

CSV_COLUMNS = ["reference", "patient", "email", "mobile", "visit", "status", "price", "discounted", "paid", "intake"]


def spreadsheet_cell(value: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


class _Echo:
    def write(self, value):
        return value


def export_csv(model_admin, request):
    """The list as it stands (its filters, search and order, every page of it) as CSV: no intake answers,
    only whether the intake is done. For staff who may see bookings."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        return HttpResponseBadRequest("These filters do not fit the bookings list: go back to it and choose again.")
    paid = Payment.objects.filter(booking=OuterRef("pk"), status=Payment.Status.PAID)
    bookings = (
        changelist.get_queryset(request)
        .select_related("slot__service__clinic", "promotion", "intake")
        .annotate(paid_online=Exists(paid))
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for booking in bookings.iterator(chunk_size=2000):
            local = timezone.localtime(booking.slot.starts_at, booking.slot.service.clinic.tz)
            intake = getattr(booking, "intake", None)
            yield writer.writerow(
                [
                    booking.reference,
                    spreadsheet_cell(booking.patient_name),
                    spreadsheet_cell(booking.email),
                    booking.phone,
                    local.strftime("%Y-%m-%d %H:%M"),
                    booking.get_status_display(),
                    f"{booking.price_cents / 100:.2f}",
                    "yes" if booking.promotion_id else "no",
                    "yes" if booking.paid_online else "no",
                    "done" if intake and intake.completed_at else "not done",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bookings-{timezone.localdate():%Y-%m-%d}.csv"'
    return response
