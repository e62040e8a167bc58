"""The outbox over years of messages: searched by where a message went or by its booking, filtered by day,
in as many queries for a handful of messages as for many, and never counting them all."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.tests.factories import BookingFactory, SlotFactory, local
from clinic.tests.html import html
from notifications.models import Message

pytestmark = pytest.mark.django_db

OUTBOX = "/admin/notifications/message/"
NOW = local(date(2026, 4, 6), 8)
Kind, Channel, Status = Message.Kind, Message.Channel, Message.Status


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def sent(booking, kind=Kind.CONFIRMATION, channel=Channel.EMAIL, recipient=None, n=0) -> Message:
    if recipient is None:
        recipient = booking.email if channel == Channel.EMAIL else booking.phone
    return Message.objects.create(
        booking=booking,
        kind=kind,
        channel=channel,
        recipient=recipient,
        body="See you soon.",
        dedupe_key=f"test:{booking.pk if booking else 'clinic'}:{kind}:{channel}:{n}",
        status=Status.SENT,
    )


def listed(response) -> set[int]:
    assert response.status_code == 200, response.status_code
    return {message.pk for message in response.context["cl"].result_list}


@pytest.fixture
def outbox(service):
    """Dana's messages (one to the email she had before), Lee's, and one to the clinic."""
    slot = SlotFactory(service=service, starts_at=local(date(2026, 4, 9), 10))
    dana = BookingFactory(slot=slot, patient_name="Dana Cruz", email="Dana.Cruz@Example.com", phone="+16195550123")
    lee = BookingFactory(
        slot=SlotFactory(service=service, starts_at=local(date(2026, 4, 9), 11)),
        patient_name="Lee Ortiz",
        email="lee@example.com",
        phone="+18585550199",
    )
    return {
        "dana_email": sent(dana),
        "dana_text": sent(dana, channel=Channel.SMS),
        "dana_old_email": sent(dana, Kind.CONTACT_CHANGED, recipient="dana.old@example.com"),
        "lee_email": sent(lee),
        "lee_text": sent(lee, channel=Channel.SMS),
        "clinic": sent(None, Kind.CLINIC_NEW_BOOKING, recipient="frontdesk@clinic.example"),
        "dana": dana,
        "lee": lee,
    }


def pks(outbox, *names) -> set[int]:
    return {outbox[name].pk for name in names}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("dana.cruz@example.com", ["dana_email", "dana_text", "dana_old_email"]),  # her booking, in any case
        ("DANA.OLD@example.com", ["dana_old_email"]),  # where it went, though the booking has moved on
        ("frontdesk@clinic.example", ["clinic"]),  # the clinic's own alerts have no booking
        ("(619) 555-0123", ["dana_email", "dana_text", "dana_old_email"]),
        ("+18585550199", ["lee_email", "lee_text"]),
        ("ortiz", ["lee_email", "lee_text"]),
        ("cruz dana", ["dana_email", "dana_text", "dana_old_email"]),
        ("nobody@example.com", []),
        ("0123", []),
        ("%", []),
    ],
)
def test_the_outbox_is_searched_by_address_or_by_booking(desk, outbox, typed, expected):
    assert listed(desk.get(OUTBOX, {"q": typed})) == pks(outbox, *expected)


def test_the_outbox_is_searched_by_reference_whole_or_its_beginning(desk, outbox):
    reference = outbox["lee"].reference
    assert listed(desk.get(OUTBOX, {"q": reference})) == pks(outbox, "lee_email", "lee_text")
    assert listed(desk.get(OUTBOX, {"q": reference[:8].lower()})) >= pks(outbox, "lee_email", "lee_text")


def test_the_search_box_says_what_it_finds(desk, outbox):
    help_text = html(desk.get(OUTBOX)).by_id("search-help").text
    assert "email address" in help_text and "mobile" in help_text and "reference" in help_text


def test_a_message_body_is_never_searched(desk, outbox):
    Message.objects.filter(pk=outbox["lee_text"].pk).update(body="Your code is 123456")
    assert listed(desk.get(OUTBOX, {"q": "123456"})) == set()
    assert listed(desk.get(OUTBOX, {"q": "code"})) == set()


def test_the_outbox_filters_by_the_day_it_was_written(desk, outbox, clock):
    clock.move_to(NOW - timedelta(days=40))
    old = sent(outbox["lee"], Kind.REMINDER_24H)
    clock.move_to(NOW)
    page = html(desk.get(OUTBOX))
    [details] = [d for d in page.find_all("details") if d.attrs.get("data-filter-title") == "created at"]
    links = {li.text: li.find("a").attrs["href"] for li in details.find_all("li")}
    assert set(links) >= {"Any date", "Today", "Past 7 days", "This month", "This year"}
    today = listed(desk.get(OUTBOX + links["Today"]))
    assert old.pk not in today and outbox["clinic"].pk in today
    assert old.pk in listed(desk.get(OUTBOX + links["This year"]))
    assert desk.get(OUTBOX, {"created_at__year": "2026"}).status_code == 400  # no date hierarchy any more


def test_the_outbox_takes_as_many_queries_for_5_messages_as_for_50(desk, service):
    def add(count: int, start: int):
        for n in range(start, start + count):
            booking = BookingFactory(slot=SlotFactory(service=service, starts_at=local(date(2026, 4, 7), 7, n)))
            sent(booking, n=n)

    add(5, 0)
    queries = [{}, {"q": "runner"}, {"q": "patient3@example.org"}, {"status__exact": "sent"}]
    few = []
    for query in queries:
        with CaptureQueriesContext(connection) as captured:
            assert desk.get(OUTBOX, query).status_code == 200
        few.append(len(captured))
    add(45, 5)
    many = []
    for query in queries:
        with CaptureQueriesContext(connection) as captured:
            response = desk.get(OUTBOX, query)
        many.append(len(captured))
        counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
        assert len(counts) == 1, counts  # the listed rows only, never a second count of every message
    assert len(listed(desk.get(OUTBOX))) == 50
    assert many == few
    assert "Show counts" not in response.content.decode()


@pytest.mark.postgres
def test_the_outbox_list_and_its_address_search_are_answered_by_indexes(desk, outbox):
    """A page of the newest-first list among thousands of messages, and a search by address: each through
    the index meant for it, never a scan of every message."""
    dana = outbox["dana"]
    Message.objects.bulk_create(
        Message(
            booking=dana,
            kind=Kind.REMINDER_24H,
            channel=Channel.EMAIL,
            recipient=f"r{n}@example.com",
            body=".",
            dedupe_key=f"bulk:{n}",
            status=Status.SENT,
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_message")
    cl = desk.get(OUTBOX).context["cl"]
    newest_first = cl.result_list.explain()
    assert "message_created_idx" in newest_first and "Seq Scan" not in newest_first, newest_first
    by_address = desk.get(OUTBOX, {"q": "dana.old@example.com"}).context["cl"].result_list.explain()
    assert "message_recipient_upper_idx" in by_address and "Seq Scan on notifications_message" not in by_address
