"""Reminders: queued by the every-minute job exactly when due, once per visit time, kept out of quiet hours.

The clinic is in San Diego (America/Los_Angeles). Times below are wall-clock
times there unless they are written in UTC. The job is run as Celery beat runs
it: once a minute, with the clock (time_machine) at that minute and the send
task run when the job's transaction commits.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Booking
from booking.rules import Patient
from booking.services import booking_cancel, booking_create
from booking.tests.factories import SlotFactory, local
from clinic.quiet_hours import after_quiet_hours, before_quiet_hours, in_quiet_hours
from notifications.models import Message
from notifications.outbox import messages_send_due
from notifications.reminders import reminder_send_at, reminders_queue

pytestmark = pytest.mark.django_db

PACIFIC = ZoneInfo("America/Los_Angeles")
ONE_MINUTE = timedelta(minutes=1)
Kind, Channel, Status = Message.Kind, Message.Channel, Message.Status
REMINDER_KINDS = [Kind.REMINDER_24H, Kind.REMINDER_2H]
SMS_24H = (Kind.REMINDER_24H, Channel.SMS)
EMAIL_24H = (Kind.REMINDER_24H, Channel.EMAIL)
SMS_2H = (Kind.REMINDER_2H, Channel.SMS)

DANA = Patient(name="Dana Cruz", email="dana@example.com", phone="+18585550199", sms_consent=False)


def book(service, patient: Patient, *, visit: datetime, at: datetime) -> Booking:
    """A pay-at-visit booking made through the booking service, with the clock at `at`.

    Its confirmation is queued but not sent (no on-commit callbacks run), so the texts and
    emails a test sees afterwards are the reminders.
    """
    slot = SlotFactory(service=service, starts_at=visit)
    with time_machine.travel(at, tick=False):
        return booking_create(slot_id=slot.pk, patient=patient, quoted_price_cents=service.regular_price_cents)


def run_every_minute(capture, start: datetime, end: datetime, *, around: tuple[datetime, ...] = ()) -> None:
    """The beat schedule: the reminder job once a minute from `start` to `end` inclusive, sending on commit.

    With `around`, only the hour either side of those moments is run minute by minute, and the rest
    every ten minutes to keep the test quick: a reminder due out there would still be queued, at a
    time the test sees is wrong.
    """
    moment = start
    while moment <= end:
        with time_machine.travel(moment, tick=False), capture(execute=True):
            reminders_queue()
        near = not around or any(abs(moment - busy) <= timedelta(hours=1) for busy in around)
        moment += ONE_MINUTE if near else 10 * ONE_MINUTE


def queue_at(moment: datetime) -> int:
    """One run of the reminder job at `moment` (the task is left unsent)."""
    with time_machine.travel(moment, tick=False):
        return reminders_queue(now=moment)


def reminders(booking: Booking) -> list[tuple[str, str, datetime]]:
    """Every reminder row for the booking: (kind, channel, when it was queued), in order."""
    rows = Message.objects.filter(booking=booking, kind__in=REMINDER_KINDS)
    return sorted((m.kind, m.channel, m.created_at) for m in rows)


def reminder_keys(booking: Booking) -> set[tuple[str, str]]:
    return set(Message.objects.filter(booking=booking, kind__in=REMINDER_KINDS).values_list("kind", "channel"))


def expected(**at: datetime) -> list[tuple[str, str, datetime]]:
    names = {"sms_24h": SMS_24H, "email_24h": EMAIL_24H, "sms_2h": SMS_2H}
    return sorted((*names[name], moment) for name, moment in at.items())


# When: on time, once each ------------------------------------------------------------------------


def test_run_every_minute_queues_each_reminder_once_exactly_at_its_time(
    service, patient, twilio_recorder, django_capture_on_commit_callbacks
):
    visit = local(date(2026, 4, 8), 11)  # Wednesday 11:00 AM
    booking = book(service, patient, visit=visit, at=local(date(2026, 4, 6), 9))

    run_every_minute(django_capture_on_commit_callbacks, visit - timedelta(hours=48), visit)

    day_before, two_hours_before = local(date(2026, 4, 7), 11), local(date(2026, 4, 8), 9)
    assert reminders(booking) == expected(sms_24h=day_before, email_24h=day_before, sms_2h=two_hours_before)
    rows = Message.objects.filter(booking=booking, kind__in=REMINDER_KINDS)
    assert {(m.kind, m.channel): (m.status, m.sent_at) for m in rows} == {
        SMS_24H: (Status.SENT, day_before),
        EMAIL_24H: (Status.SENT, day_before),
        SMS_2H: (Status.SENT, two_hours_before),
    }
    # Each went out once: two texts and one email, to the patient.
    texts = [t.data["Body"] for t in twilio_recorder.texts]
    assert len(texts) == 2
    assert "see you Wed Apr 8 at 11:00 AM" in texts[0]
    assert "see you today at 11:00 AM" in texts[1]
    [email] = mail.outbox
    assert email.to == [patient.email]
    assert email.subject == "See you tomorrow: Wed Apr 8, 11:00 AM"


def test_nothing_is_queued_a_minute_before_its_time_and_a_second_run_queues_nothing_more(service, patient):
    visit = local(date(2026, 4, 8), 11)
    booking = book(service, patient, visit=visit, at=local(date(2026, 4, 6), 9))
    day_before = visit - timedelta(hours=24)

    assert queue_at(day_before - ONE_MINUTE) == 0
    assert reminder_keys(booking) == set()
    assert queue_at(day_before) == 2
    assert reminder_keys(booking) == {SMS_24H, EMAIL_24H}
    assert queue_at(day_before) == 0
    assert queue_at(day_before + ONE_MINUTE) == 0

    two_hours_before = visit - timedelta(hours=2)
    assert queue_at(two_hours_before - ONE_MINUTE) == 0
    assert reminder_keys(booking) == {SMS_24H, EMAIL_24H}
    assert queue_at(two_hours_before) == 1
    assert queue_at(two_hours_before + ONE_MINUTE) == 0
    assert Message.objects.filter(booking=booking, kind__in=REMINDER_KINDS).count() == 3


def test_a_run_inserts_every_due_reminder_in_one_statement(service, patient):
    visit = local(date(2026, 4, 8), 11)
    later = visit + timedelta(hours=1)
    bookings = [book(service, patient, visit=when, at=local(date(2026, 4, 6), 9)) for when in (visit, later)]

    with CaptureQueriesContext(connection) as queries:
        assert queue_at(later - timedelta(hours=24)) == 4  # a text and an email for each visit

    inserts = [q for q in queries.captured_queries if 'INTO "notifications_message"' in q["sql"]]
    assert len(inserts) == 1
    opt_out_checks = [q for q in queries.captured_queries if 'FROM "notifications_optout"' in q["sql"]]
    assert len(opt_out_checks) == 1  # one look at the opt-out list for both texts
    assert all(reminder_keys(booking) == {SMS_24H, EMAIL_24H} for booking in bookings)


def test_without_sms_consent_only_the_day_before_email_is_queued(
    service, twilio_recorder, django_capture_on_commit_callbacks
):
    visit = local(date(2026, 4, 8), 11)
    booking = book(service, DANA, visit=visit, at=local(date(2026, 4, 6), 9))

    day_before = local(date(2026, 4, 7), 11)
    run_every_minute(django_capture_on_commit_callbacks, visit - timedelta(hours=48), visit, around=(day_before,))

    assert reminders(booking) == expected(email_24h=day_before)
    assert twilio_recorder.texts == []
    [email] = mail.outbox
    assert email.to == [DANA.email]


# Quiet hours: no texts from 21:00 to 08:00, clinic time --------------------------------------------


@pytest.mark.parametrize(
    ("moment", "quiet", "after", "before"),
    [
        ((20, 44), False, (20, 44), (20, 44)),
        ((20, 59), False, (20, 59), (20, 59)),
        ((21, 0), True, "next 8:00", "same 20:45"),
        ((23, 30), True, "next 8:00", "same 20:45"),
        ((0, 0), True, "same 8:00", "previous 20:45"),
        ((7, 59), True, "same 8:00", "previous 20:45"),
        ((8, 0), False, (8, 0), (8, 0)),
    ],
)
def test_quiet_hours_run_from_nine_at_night_to_eight_in_the_morning(moment, quiet, after, before):
    day = date(2026, 4, 7)
    at = local(day, *moment)
    where = {
        "next 8:00": local(day + timedelta(days=1), 8),
        "same 8:00": local(day, 8),
        "same 20:45": local(day, 20, 45),
        "previous 20:45": local(day - timedelta(days=1), 20, 45),
    }
    assert in_quiet_hours(at, PACIFIC) is quiet
    assert after_quiet_hours(at, PACIFIC) == (where[after] if quiet else at)
    assert before_quiet_hours(at, PACIFIC) == (where[before] if quiet else at)


@pytest.mark.parametrize(
    ("hour", "sms_24h", "email_24h", "sms_2h"),
    [
        # 24h before is 7:00 AM Monday, in quiet hours: the text goes at 20:45 on Sunday instead.
        (7, local(date(2026, 4, 5), 20, 45), local(date(2026, 4, 6), 7), None),
        # 2h before is 6:00 AM; 8:00 AM would be less than 30 minutes before the visit.
        (8, local(date(2026, 4, 6), 8), local(date(2026, 4, 6), 8), None),
        # 2h before is 7:00 AM: it waits to 8:00 AM, still an hour before the visit.
        (9, local(date(2026, 4, 6), 9), local(date(2026, 4, 6), 9), local(date(2026, 4, 7), 8)),
    ],
)
def test_reminder_send_at_keeps_texts_out_of_quiet_hours_but_not_emails(hour, sms_24h, email_24h, sms_2h):
    visit = local(date(2026, 4, 7), hour).astimezone(UTC)  # as the database gives it
    assert reminder_send_at(Kind.REMINDER_24H, Channel.SMS, visit, PACIFIC) == sms_24h
    assert reminder_send_at(Kind.REMINDER_24H, Channel.EMAIL, visit, PACIFIC) == email_24h
    assert reminder_send_at(Kind.REMINDER_2H, Channel.SMS, visit, PACIFIC) == sms_2h


def test_early_morning_visits_get_their_texts_outside_quiet_hours(
    service, twilio_recorder, django_capture_on_commit_callbacks
):
    tuesday = date(2026, 4, 7)
    bookings = {
        hour: book(
            service,
            Patient(name=f"Runner {hour}", email=f"r{hour}@example.com", phone=f"+1619555010{hour}", sms_consent=True),
            visit=local(tuesday, hour),
            at=local(date(2026, 4, 3), 12),  # booked the Friday before
        )
        for hour in (7, 8, 9)
    }

    monday = date(2026, 4, 6)
    busy = (local(date(2026, 4, 5), 20, 45), local(monday, 7), local(monday, 8), local(monday, 9), local(tuesday, 8))
    run_every_minute(
        django_capture_on_commit_callbacks, local(tuesday, 7) - timedelta(hours=48), local(tuesday, 9), around=busy
    )

    assert reminders(bookings[7]) == expected(
        sms_24h=local(date(2026, 4, 5), 20, 45), email_24h=local(date(2026, 4, 6), 7)
    )
    assert reminders(bookings[8]) == expected(sms_24h=local(date(2026, 4, 6), 8), email_24h=local(date(2026, 4, 6), 8))
    assert reminders(bookings[9]) == expected(
        sms_24h=local(date(2026, 4, 6), 9), email_24h=local(date(2026, 4, 6), 9), sms_2h=local(tuesday, 8)
    )
    texts = Message.objects.filter(channel=Channel.SMS, kind__in=REMINDER_KINDS)
    assert texts.count() == 4
    assert all(t.status == Status.SENT and not in_quiet_hours(t.sent_at, PACIFIC) for t in texts)
    # The 7:00 AM visit's text goes two evenings before, so it names the day rather than saying "tomorrow".
    early = Message.objects.get(booking=bookings[7], kind=Kind.REMINDER_24H, channel=Channel.SMS)
    assert "see you Tue Apr 7 at 7:00 AM" in early.body
    assert "tomorrow" not in early.body.lower()


def test_reminders_queue_sends_the_moved_text_at_20_45_and_the_email_at_24_hours(service, patient):
    visit = local(date(2026, 4, 7), 7)
    booking = book(service, patient, visit=visit, at=local(date(2026, 4, 3), 12))
    last_call = local(date(2026, 4, 5), 20, 45)

    assert queue_at(last_call - ONE_MINUTE) == 0
    assert queue_at(last_call) == 1
    assert reminder_keys(booking) == {SMS_24H}
    assert queue_at(visit - timedelta(hours=24) - ONE_MINUTE) == 0
    assert queue_at(visit - timedelta(hours=24)) == 1
    assert reminder_keys(booking) == {SMS_24H, EMAIL_24H}
    for moment in (local(date(2026, 4, 7), 5), local(date(2026, 4, 7), 6), local(date(2026, 4, 7), 8)):
        assert queue_at(moment) == 0  # no two-hour text, neither in quiet hours nor after them
    assert reminder_keys(booking) == {SMS_24H, EMAIL_24H}


# The November daylight-saving change: Sunday 2026-11-01, 2:00 AM PDT becomes 1:00 AM PST ----------


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("visit", "kind", "channel", "send_at"),
    [
        # Monday Nov 2, 10:00 AM PST (18:00 UTC): 24 real hours before is Sunday 10:00 AM PST.
        (local(date(2026, 11, 2), 10), Kind.REMINDER_24H, Channel.SMS, utc(11, 1, 18)),
        (local(date(2026, 11, 2), 10), Kind.REMINDER_24H, Channel.EMAIL, utc(11, 1, 18)),
        (local(date(2026, 11, 2), 10), Kind.REMINDER_2H, Channel.SMS, utc(11, 2, 16)),
        # Sunday Nov 1, 9:00 AM PST (17:00 UTC): 24 real hours before is Saturday 10:00 AM PDT, not 9:00.
        (local(date(2026, 11, 1), 9), Kind.REMINDER_24H, Channel.SMS, utc(10, 31, 17)),
        (local(date(2026, 11, 1), 9), Kind.REMINDER_24H, Channel.EMAIL, utc(10, 31, 17)),
        # ... and its two-hour text (7:00 AM PST, quiet) waits to 8:00 AM PST, which is 16:00 UTC.
        (local(date(2026, 11, 1), 9), Kind.REMINDER_2H, Channel.SMS, utc(11, 1, 16)),
        # Saturday Oct 31, 10:00 AM PDT (17:00 UTC): all on daylight time.
        (local(date(2026, 10, 31), 10), Kind.REMINDER_24H, Channel.SMS, utc(10, 30, 17)),
        (local(date(2026, 10, 31), 10), Kind.REMINDER_2H, Channel.SMS, utc(10, 31, 15)),
        # Sunday Nov 1, 7:00 AM PST: 24 real hours before is Saturday 8:00 AM PDT, outside quiet hours.
        (local(date(2026, 11, 1), 7), Kind.REMINDER_24H, Channel.SMS, utc(10, 31, 15)),
        # Monday Nov 2, 7:00 AM PST: due Sunday 7:00 AM PST, so the text goes Saturday at 20:45 PDT.
        (local(date(2026, 11, 2), 7), Kind.REMINDER_24H, Channel.SMS, utc(11, 1, 3, 45)),
        # Tuesday Nov 3, 7:00 AM PST: due Monday 7:00 AM PST, so the text goes Sunday at 20:45 PST.
        (local(date(2026, 11, 3), 7), Kind.REMINDER_24H, Channel.SMS, utc(11, 2, 4, 45)),
    ],
)
def test_send_times_are_right_in_utc_on_both_sides_of_the_november_change(visit, kind, channel, send_at):
    assert reminder_send_at(kind, channel, visit.astimezone(UTC), PACIFIC) == send_at


def test_quiet_hours_are_local_time_on_both_sides_of_the_change():
    assert before_quiet_hours(utc(11, 1, 15), PACIFIC) == utc(11, 1, 3, 45)  # Sun 7:00 PST -> Sat 20:45 PDT
    assert before_quiet_hours(utc(11, 2, 15), PACIFIC) == utc(11, 2, 4, 45)  # Mon 7:00 PST -> Sun 20:45 PST
    assert after_quiet_hours(utc(10, 31, 13), PACIFIC) == utc(10, 31, 15)  # Sat 6:00 PDT -> 8:00 PDT
    assert after_quiet_hours(utc(11, 1, 14), PACIFIC) == utc(11, 1, 16)  # Sun 6:00 PST -> 8:00 PST
    # 20:30 PDT on Saturday is 03:30 UTC; 20:30 PST on Sunday is 04:30 UTC: both evenings, neither quiet.
    assert not in_quiet_hours(utc(11, 1, 3, 30), PACIFIC)
    assert not in_quiet_hours(utc(11, 2, 4, 30), PACIFIC)
    # 21:00 PDT and 21:00 PST: both quiet.
    assert in_quiet_hours(utc(11, 1, 4), PACIFIC)
    assert in_quiet_hours(utc(11, 2, 5), PACIFIC)
    # 07:30 PST on Sunday (15:30 UTC) is quiet though 15:30 UTC on Saturday was 08:30 PDT.
    assert in_quiet_hours(utc(11, 1, 15, 30), PACIFIC)
    assert not in_quiet_hours(utc(10, 31, 15, 30), PACIFIC)


def test_day_before_reminder_across_the_change_goes_24_real_hours_before_and_names_the_visit_in_pst(
    service, patient, twilio_recorder, django_capture_on_commit_callbacks
):
    visit = local(date(2026, 11, 2), 10)  # Monday 10:00 AM PST
    assert visit.astimezone(UTC) == utc(11, 2, 18)
    booking = book(service, patient, visit=visit, at=local(date(2026, 10, 28), 12))

    due = utc(11, 1, 18)  # Sunday 10:00 AM PST
    assert visit - due == timedelta(hours=24)
    assert queue_at(due - ONE_MINUTE) == 0
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminders_queue() == 2

    assert reminders(booking) == expected(sms_24h=due, email_24h=due)
    [text] = twilio_recorder.texts
    assert "see you Mon Nov 2 at 10:00 AM" in text.data["Body"]
    [email] = mail.outbox
    assert email.subject == "See you tomorrow: Mon Nov 2, 10:00 AM"
    assert "Monday, November 2, 2026 at 10:00 AM (PST)" in email.body


def test_reminders_queue_at_the_utc_instants_on_both_sides_of_the_change(service, patient):
    saturday = book(service, patient, visit=local(date(2026, 10, 31), 10), at=local(date(2026, 10, 28), 12))
    sunday = book(
        service,
        Patient(name="Sam Sunday", email="sam@example.com", phone="+16195550177", sms_consent=True),
        visit=local(date(2026, 11, 1), 9),  # the clinic is closed on Sundays; the slot is made by hand
        at=local(date(2026, 10, 28), 12),
    )
    early = book(
        service,
        Patient(name="Eve Early", email="eve@example.com", phone="+16195550166", sms_consent=True),
        visit=local(date(2026, 11, 2), 7),
        at=local(date(2026, 10, 28), 12),
    )
    schedule = sorted(
        [
            (utc(10, 30, 17), saturday, {SMS_24H, EMAIL_24H}),  # Fri 10:00 PDT
            (utc(10, 31, 15), saturday, {SMS_2H}),  # Sat 8:00 PDT
            (utc(10, 31, 17), sunday, {SMS_24H, EMAIL_24H}),  # Sat 10:00 PDT
            (utc(11, 1, 3, 45), early, {SMS_24H}),  # Sat 20:45 PDT
            (utc(11, 1, 15), early, {EMAIL_24H}),  # Sun 7:00 PST
            (utc(11, 1, 16), sunday, {SMS_2H}),  # Sun 8:00 PST
        ],
        key=lambda step: step[0],
    )
    for moment, booking, keys in schedule:
        before = reminder_keys(booking)
        queue_at(moment - ONE_MINUTE)
        assert reminder_keys(booking) == before, f"queued before {moment}"
        queue_at(moment)
        assert reminder_keys(booking) == before | keys, f"not queued at {moment}"
    queue_at(utc(11, 2, 14, 59))  # the minute before the last visit
    assert reminder_keys(saturday) == {SMS_24H, EMAIL_24H, SMS_2H}
    assert reminder_keys(sunday) == {SMS_24H, EMAIL_24H, SMS_2H}
    assert reminder_keys(early) == {SMS_24H, EMAIL_24H}  # no two-hour text before 7:00 AM


# Cancelled, booked late, moved ---------------------------------------------------------------------


def test_a_booking_cancelled_before_its_reminders_gets_none(service, patient, django_capture_on_commit_callbacks):
    visit = local(date(2026, 4, 8), 11)
    booking = book(service, patient, visit=visit, at=local(date(2026, 4, 6), 9))
    with time_machine.travel(local(date(2026, 4, 7), 10, 59), tick=False):
        booking_cancel(booking=booking, reason="Patient called to cancel")

    run_every_minute(
        django_capture_on_commit_callbacks,
        local(date(2026, 4, 7), 10, 59),
        visit,
        around=(visit - timedelta(hours=24), visit - timedelta(hours=2)),
    )

    assert reminders(booking) == []
    assert set(Message.objects.filter(booking=booking).values_list("kind", flat=True)) == {
        Kind.CONFIRMATION,
        Kind.CLINIC_NEW_BOOKING,
        Kind.CANCELLATION,
    }


def test_a_reminder_due_before_the_booking_was_made_is_not_sent_late_but_the_two_hour_one_is(
    service, patient, twilio_recorder, django_capture_on_commit_callbacks
):
    visit = local(date(2026, 4, 8), 15)
    booked_at = visit - timedelta(hours=5)  # 10:00 AM the same day; the day-before reminder was due yesterday
    booking = book(service, patient, visit=visit, at=booked_at)

    run_every_minute(django_capture_on_commit_callbacks, booked_at, visit)

    assert reminders(booking) == expected(sms_2h=local(date(2026, 4, 8), 13))
    [text] = twilio_recorder.texts
    assert "see you today at 3:00 PM" in text.data["Body"]
    assert mail.outbox == []


def test_a_moved_visit_gets_reminders_for_its_new_time_though_the_old_ones_were_sent(
    service, patient, twilio_recorder, django_capture_on_commit_callbacks
):
    old_visit, new_visit = local(date(2026, 4, 8), 11), local(date(2026, 4, 9), 15)
    booking = book(service, patient, visit=old_visit, at=local(date(2026, 4, 6), 9))
    run_every_minute(django_capture_on_commit_callbacks, local(date(2026, 4, 7), 10, 58), local(date(2026, 4, 7), 12))
    old_keys = set(
        Message.objects.filter(booking=booking, kind__in=REMINDER_KINDS).values_list("dedupe_key", flat=True)
    )
    assert len(old_keys) == 2
    assert all("20260408T1800Z" in key for key in old_keys)  # Wed 11:00 AM PDT

    # Rescheduling is not built yet: the front desk moves the booking to another slot.
    with time_machine.travel(local(date(2026, 4, 7), 12, 30), tick=False):
        booking.slot = SlotFactory(service=service, starts_at=new_visit)
        booking.save(update_fields=["slot", "updated_at"])
    run_every_minute(
        django_capture_on_commit_callbacks,
        local(date(2026, 4, 7), 12, 30),
        new_visit,
        around=(local(date(2026, 4, 8), 9), new_visit - timedelta(hours=24), new_visit - timedelta(hours=2)),
    )

    day_before_old = local(date(2026, 4, 7), 11)
    day_before_new, two_hours_before_new = local(date(2026, 4, 8), 15), local(date(2026, 4, 9), 13)
    rows = list(Message.objects.filter(booking=booking, kind__in=REMINDER_KINDS).order_by("created_at", "channel"))
    assert [(m.kind, m.channel, m.created_at, m.status) for m in rows] == [
        (Kind.REMINDER_24H, Channel.EMAIL, day_before_old, Status.SENT),
        (Kind.REMINDER_24H, Channel.SMS, day_before_old, Status.SENT),
        (Kind.REMINDER_24H, Channel.EMAIL, day_before_new, Status.SENT),
        (Kind.REMINDER_24H, Channel.SMS, day_before_new, Status.SENT),
        (Kind.REMINDER_2H, Channel.SMS, two_hours_before_new, Status.SENT),
    ]
    new_keys = {m.dedupe_key for m in rows} - old_keys
    assert len(new_keys) == 3
    assert all("20260409T2200Z" in key for key in new_keys)  # Thu 3:00 PM PDT
    # No text for the old time's two hours before (Wed 9:00 AM): the visit had moved by then.
    texts = [t.data["Body"] for t in twilio_recorder.texts]
    assert len(texts) == 3
    assert "see you Wed Apr 8 at 11:00 AM" in texts[0]
    assert "see you Thu Apr 9 at 3:00 PM" in texts[1]
    assert "see you today at 3:00 PM" in texts[2]


# The job was down: late, but only until the last chance ---------------------------------------------


@pytest.mark.parametrize(
    ("first_run", "keys"),
    [
        ((7, 59), {SMS_24H, EMAIL_24H}),  # 3 h 1 min before the visit: the day-before reminder still goes
        ((8, 0), set()),  # 3 h before: too late for it, too early for the two-hour one
        ((10, 29), {SMS_2H}),  # 31 min before: the two-hour text still goes
        ((10, 30), set()),  # 30 min before: too late for anything
    ],
)
def test_a_reminder_missed_while_the_job_was_down_goes_out_late_only_until_its_last_chance(
    service, patient, first_run, keys
):
    visit = local(date(2026, 4, 8), 11)
    booking = book(service, patient, visit=visit, at=local(date(2026, 4, 6), 9))

    queue_at(local(date(2026, 4, 8), *first_run))  # the first run since before the reminders were due

    assert reminder_keys(booking) == keys
    queue_at(visit - ONE_MINUTE)
    assert reminder_keys(booking) == keys  # and none of the missed ones later either


def test_a_day_before_email_caught_up_on_the_day_of_the_visit_does_not_say_tomorrow(
    service, patient, django_capture_on_commit_callbacks
):
    visit = local(date(2026, 4, 8), 14)  # Wednesday 2:00 PM
    booking = book(service, patient, visit=visit, at=local(date(2026, 4, 6), 9))
    back = local(date(2026, 4, 8), 10)  # the job was down from Tuesday lunchtime to Wednesday 10:00 AM

    with time_machine.travel(back, tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_queue()

    [email] = [e for e in mail.outbox if e.to == [booking.email]]
    assert "Wed Apr 8" in email.subject  # sent on Wednesday, about Wednesday
    assert "tomorrow" not in email.subject.lower()
    assert "tomorrow" not in email.body.lower()


# Lost tasks ----------------------------------------------------------------------------------------


def test_a_reminder_whose_send_task_was_lost_is_sent_by_the_sweep_a_minute_later(
    service, patient, twilio_recorder, django_capture_on_commit_callbacks
):
    visit = local(date(2026, 4, 8), 11)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(service, patient, visit=visit, at=local(date(2026, 4, 6), 9))
    texts_before, emails_before = len(twilio_recorder.texts), len(mail.outbox)
    due = visit - timedelta(hours=24)

    # The job queues the rows, then the worker restarts before the on-commit send tasks run.
    assert queue_at(due) == 2
    lost = Message.objects.filter(booking=booking, kind=Kind.REMINDER_24H)
    assert set(lost.values_list("status", flat=True)) == {Status.QUEUED}
    assert (len(twilio_recorder.texts), len(mail.outbox)) == (texts_before, emails_before)

    # Within 30 seconds the sweep leaves them to their own tasks.
    with time_machine.travel(due + timedelta(seconds=10), tick=False):
        assert messages_send_due() == 0
    with time_machine.travel(due + ONE_MINUTE, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert messages_send_due() == 2
    with time_machine.travel(due + 2 * ONE_MINUTE, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert messages_send_due() == 0

    assert {(m.channel, m.status, m.sent_at, m.attempts) for m in lost} == {
        (Channel.SMS, Status.SENT, due + ONE_MINUTE, 1),
        (Channel.EMAIL, Status.SENT, due + ONE_MINUTE, 1),
    }
    [text] = twilio_recorder.texts[texts_before:]
    assert text.data["To"] == patient.phone
    assert "see you Wed Apr 8 at 11:00 AM" in text.data["Body"]
    [email] = mail.outbox[emails_before:]
    assert email.subject == "See you tomorrow: Wed Apr 8, 11:00 AM"


@pytest.mark.parametrize("change", ["cancel", "move"])
def test_a_reminder_waiting_for_a_retry_is_not_sent_once_the_visit_is_cancelled_or_moved(
    service, patient, twilio_recorder, django_capture_on_commit_callbacks, change
):
    visit = local(date(2026, 4, 8), 11)
    booking = book(service, patient, visit=visit, at=local(date(2026, 4, 6), 9))
    due = visit - timedelta(hours=24)
    twilio_recorder.fail_next(503, 20500, times=1)
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_queue()
    text = Message.objects.get(booking=booking, kind=Kind.REMINDER_24H, channel=Channel.SMS)
    assert text.status == Status.QUEUED  # waiting for its retry

    if change == "cancel":
        booking_cancel(booking=booking, reason="Called to cancel", notify=False)
    else:
        Booking.objects.filter(pk=booking.pk).update(
            slot=SlotFactory(service=service, starts_at=visit + timedelta(days=2))
        )
    with time_machine.travel(due + timedelta(minutes=10), tick=False), django_capture_on_commit_callbacks(execute=True):
        messages_send_due()

    text.refresh_from_db()
    assert text.status == Status.SUPPRESSED
    assert text.last_error == "The visit was cancelled or moved."
    reminder_texts = [t for t in twilio_recorder.texts if "Reply YES to confirm" in t.data["Body"]]
    assert len(reminder_texts) == 1  # only the attempt that failed
