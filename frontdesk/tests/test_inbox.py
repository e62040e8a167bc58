"""The text inbox and a conversation's page: who may open them, what they show, and what staff do there (reply,
fill in a ready-made reply, mark done, reopen, assign), with bad input answered 4xx.

The clock is stopped at Monday 2026-04-06, 8:00 AM in San Diego; the conftest offer is $99 for visits April 7
to 16 (8 spots). Texts arrive through Twilio's signed webhook, replies leave through the recorded Twilio client.
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.roles import CLINICIAN, FRONT_DESK, MANAGER
from booking.rules import Patient
from booking.services import booking_create
from booking.tests.factories import BookingFactory, SlotFactory, local
from booking.tests.pages import page
from clinic.tests.html import html
from clinic.tests.staff import staff_user
from notifications.models import Conversation, ConversationAccess, InboundText, Message
from notifications.notices import text_from_staff
from notifications.tests.test_webhooks import INBOUND, STATUS, inbound_params, post, status_params
from waitlist.services import waitlist_join, waitlist_join_by_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "clinic", "twilio_recorder", "public_base_url")]

DANA = "+16195550142"
STRANGER = "+17605550142"
INBOX = "/admin/texts/"
KEY = "0123456789abcdef0123456789abcdef"
CLINIC = "Project Performance Physical Therapy"


@pytest.fixture
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://book.example.com"


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def text_in(client, body: str, sender: str = DANA, **extra) -> Conversation:
    assert post(client, INBOUND, inbound_params(body, sender=sender, **extra)).status_code == 200
    return Conversation.objects.get(phone=sender)


def url(conversation: Conversation) -> str:
    return f"/admin/texts/{conversation.pk}/"


def shown(response, status: int = 200) -> str:
    assert response.status_code == status, response.content.decode()[:3000]
    return page(response).text


def thread(response) -> list[str]:
    return [
        " ".join(item.visible_text.split()) for item in html(response).find_all("li") if item.has_class("thread-entry")
    ]


def dana_booked(service, **fields):
    slot = SlotFactory(service=service, starts_at=local(date(2026, 4, 8), 10))
    return BookingFactory(slot=slot, patient_name="Dana Cruz", phone=DANA, **fields)


# Who may open the inbox ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [FRONT_DESK, CLINICIAN, MANAGER])
def test_the_front_desk_clinicians_and_the_manager_may_read_texts(role, django_user_model):
    user = staff_user(django_user_model, "reader", role)
    assert user.has_perm("notifications.read_texts")
    assert user.has_perm("notifications.view_conversationaccess") == (role == MANAGER)


def test_staff_who_may_not_read_texts_get_403_and_see_no_link(client, django_user_model, service):
    """A member of staff who runs the calendar but may not read texts: Today has no link, and nothing opens."""
    conversation = text_in(client, "My back hurts")
    user = staff_user(django_user_model, "temp")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_slot", "view_booking"]))
    client.force_login(user)

    today = client.get("/admin/")
    assert today.status_code == 200
    assert INBOX not in today.content.decode()
    assert not [text for _, text in page(today).links if text.startswith("Texts")]
    assert client.get(INBOX).status_code == 403
    assert client.get(url(conversation)).status_code == 403
    reply = {"action": "reply", "text": "Hello", "key": KEY}
    assert client.post(url(conversation), reply).status_code == 403
    assert client.post(url(conversation), {"action": "done"}).status_code == 403
    assert not ConversationAccess.objects.exists()
    assert not Message.objects.filter(kind=Message.Kind.STAFF_TEXT).exists()
    assert Conversation.objects.get().status == Conversation.Status.OPEN


def test_signed_out_visitors_are_sent_to_the_login(client):
    conversation = text_in(client, "Hello")
    assert client.get(INBOX)["Location"].startswith("/admin/login/")
    assert client.get(url(conversation))["Location"].startswith("/admin/login/")


# The inbox -----------------------------------------------------------------------------------------------


def test_the_unread_count_is_on_today_and_every_admin_page_and_the_inbox_lists_the_newest_first(
    client, front_desk, service, clock
):
    dana_booked(service)
    text_in(client, "Running late")
    text_in(client, "Sorry, 10 minutes")
    clock.shift(timedelta(minutes=3))
    text_in(client, "Hi, is the $99 offer still on?", sender=STRANGER)
    client.force_login(front_desk)

    today = client.get("/admin/")
    assert [href for href, text in page(today).links if text == "Texts (3 unread)"] == [INBOX, INBOX]  # header, Today
    assert "Texts (3 unread)" in shown(client.get("/admin/booking/booking/"))  # the header, on any admin page

    inbox = client.get(INBOX)
    rows = [" ".join(row.visible_text.split()) for row in html(inbox).find("tbody").find_all("tr")]
    assert rows == [
        f"{STRANGER} 1 unread Open No one Mon Apr 6, 8:03 AM",
        f"Dana Cruz · {DANA} 2 unread Open No one Mon Apr 6, 8:00 AM",
    ]
    assert "Times are Pacific time." in shown(inbox)


def test_a_place_on_a_waiting_list_taken_by_text_keeps_the_name_the_number_booked_with(
    client, front_desk, service, promotion, clock
):
    dana_booked(service)
    clock.shift(timedelta(minutes=1))
    waitlist_join_by_text(promotion=promotion, phone=DANA, language="en")  # no name given yet, and newer
    conversation = text_in(client, "WAIT")
    client.force_login(front_desk)

    rows = [" ".join(row.visible_text.split()) for row in html(client.get(INBOX)).find("tbody").find_all("tr")]
    assert rows[0].startswith(f"Dana Cruz · {DANA}")
    assert client.get(url(conversation)).context["title"] == "Texts with Dana Cruz"


def test_the_inbox_lists_open_mine_done_or_all(client, front_desk, manager):
    mine = text_in(client, "Mine")
    theirs = text_in(client, "Theirs", sender=STRANGER)
    finished = text_in(client, "Finished", sender="+16195550188")
    Conversation.objects.filter(pk=mine.pk).update(assigned_to=front_desk)
    Conversation.objects.filter(pk=theirs.pk).update(assigned_to=manager)
    Conversation.objects.filter(pk=finished.pk).update(status=Conversation.Status.DONE)
    client.force_login(front_desk)

    def listed(show: str) -> set[int]:
        response = client.get(INBOX, {"show": show})
        assert response.status_code == 200
        return {row.conversation.pk for row in response.context["rows"]}

    assert listed("open") == {mine.pk, theirs.pk}
    assert listed("mine") == {mine.pk}
    assert listed("done") == {finished.pk}
    assert listed("all") == {mine.pk, theirs.pk, finished.pk}
    unknown = client.get(INBOX, {"show": "<b>everything</b>"})
    assert "is not a list we know (open, mine, done or all). Showing the open ones." in shown(unknown)
    assert {row.conversation.pk for row in unknown.context["rows"]} == {mine.pk, theirs.pk}
    assert client.get(INBOX, {"page": "999"}).status_code == 200  # the last page
    assert client.get(INBOX, {"page": "x"}).status_code == 200  # the first


def test_the_inbox_takes_the_same_queries_for_one_conversation_or_many(client, front_desk, service):
    dana_booked(service)
    text_in(client, "One")
    client.force_login(front_desk)
    with CaptureQueriesContext(connection) as one:
        assert client.get(INBOX).status_code == 200
    for n in range(10):
        phone = f"+1619555{n:04d}"
        slot = SlotFactory(service=service, starts_at=local(date(2026, 4, 9), 8 + n))
        BookingFactory(slot=slot, patient_name=f"Runner {n}", phone=phone)
        text_in(client, f"Text {n}", sender=phone)
    client.force_login(front_desk)
    with CaptureQueriesContext(connection) as many:
        response = client.get(INBOX)
    assert len(response.context["rows"]) == 11
    assert len(many) == len(one), "\n".join(q["sql"] for q in many.captured_queries)


# A conversation ------------------------------------------------------------------------------------------


def test_a_conversation_shows_the_thread_who_has_the_number_and_links_to_their_bookings(
    client, front_desk, service, django_capture_on_commit_callbacks, clock
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(
            slot_id=SlotFactory(service=service, starts_at=local(date(2026, 4, 8), 10)).pk,
            patient=Patient(name="Dana Cruz", email="dana@example.com", phone=DANA, sms_consent=True),
            quoted_price_cents=175_00,
        )
    entry = waitlist_join(
        service=service,
        patient=Patient(name="Dana Cruz", email="dana@example.com", phone=DANA),
        day=date(2026, 4, 9),
    )
    clock.shift(timedelta(minutes=2))
    conversation = text_in(client, "Is there parking?")
    client.force_login(front_desk)

    response = client.get(url(conversation))

    text = shown(response)
    assert response.context["title"] == "Texts with Dana Cruz"
    entries = thread(response)
    assert entries[0].startswith("Mon Apr 6, 8:00 AM · Automatic: Booking confirmation · Sent")
    assert "Mon Apr 6, 8:02 AM · Patient Is there parking?" in entries
    assert "Messages in English" in text
    markup = response.content.decode()
    assert f'href="/admin/today/visit/{booking.pk}/"' in markup
    assert f'href="/admin/booking/booking/{booking.pk}/change/"' in markup
    assert f'href="/admin/waitlist/waitlistentry/{entry.pk}/change/"' in markup
    assert f'href="tel:{DANA}"' in markup


def test_a_photo_sent_by_text_shows_as_received_and_not_kept_with_the_answer_asking_to_bring_it(desk, client):
    conversation = text_in(client, "Here is my MRI", NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1")
    text_in(client, "", NumMedia="2", MediaUrl0="https://api.twilio.com/media/ME2")

    entries = thread(desk.get(url(conversation)))

    received = [entry for entry in entries if "AM · Patient" in entry or "PM · Patient" in entry]
    assert "Photo received (not kept)" in received[0] and "Here is my MRI" in received[0]
    assert "2 photos received (not kept)" in received[1]
    answers = [entry for entry in entries if "Automatic: Answer to a text" in entry or "Automatic" in entry]
    assert any("please bring it to your visit" in entry for entry in answers), entries
    assert "api.twilio.com/media" not in desk.get(url(conversation)).content.decode()


def test_opening_a_conversation_reads_its_texts_and_each_opening_is_logged(client, front_desk, clinician):
    conversation = text_in(client, "My knee is swollen")
    text_in(client, "Another thing")
    client.force_login(front_desk)

    response = client.get(url(conversation), HTTP_USER_AGENT="Desk Firefox", REMOTE_ADDR="192.0.2.44")
    assert "My knee is swollen" in shown(response)
    conversation.refresh_from_db()
    assert conversation.unread == 0
    assert "unread" not in shown(client.get(INBOX))
    client.force_login(clinician)
    assert client.get(url(conversation), HTTP_USER_AGENT="Clinic Chrome").status_code == 200

    log = list(
        ConversationAccess.objects.order_by("pk").values_list(
            "conversation", "user__username", "ip_address", "user_agent"
        )
    )
    assert log == [
        (conversation.pk, "frontdesk", "192.0.2.44", "Desk Firefox"),
        (conversation.pk, "clinician", "127.0.0.1", "Clinic Chrome"),
    ]


def test_an_unknown_conversation_is_404_and_an_unknown_action_400(desk, client):
    conversation = text_in(client, "Hello")
    assert desk.get("/admin/texts/999999/").status_code == 404
    assert desk.post("/admin/texts/999999/", {"action": "done"}).status_code == 404
    assert desk.get("/admin/texts/abc/").status_code == 404
    response = desk.post(url(conversation), {"action": "delete"})
    assert "That is not something this page can do." in shown(response, 400)


def test_a_conversation_is_marked_done_reopened_and_assigned(client, front_desk, clinician, django_user_model):
    conversation = text_in(client, "Hello")
    client.force_login(front_desk)

    done = client.post(url(conversation), {"action": "done"}, follow=True)
    assert "Marked done. A new text from the number opens it again." in shown(done)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.DONE
    assert "Reopen" in shown(client.get(url(conversation)))

    client.post(url(conversation), {"action": "reopen"})
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN

    choices = client.get(url(conversation)).context["assign_form"].fields["assigned_to"].queryset
    assert set(choices) == {front_desk, clinician}  # staff who may read texts, no one else
    assigned = client.post(url(conversation), {"action": "assign", "assigned_to": clinician.pk}, follow=True)
    assert "Handled by clinician." in shown(assigned)
    conversation.refresh_from_db()
    assert conversation.assigned_to == clinician
    client.post(url(conversation), {"action": "assign", "assigned_to": ""})
    conversation.refresh_from_db()
    assert conversation.assigned_to is None


@pytest.mark.parametrize("value", ["abc", "999999", "outsider"])
def test_assigning_to_someone_who_may_not_read_texts_or_to_nobody_known_is_refused(
    client, front_desk, django_user_model, value
):
    conversation = text_in(client, "Hello")
    if value == "outsider":
        value = str(staff_user(django_user_model, "outsider").pk)
    client.force_login(front_desk)

    response = client.post(url(conversation), {"action": "assign", "assigned_to": value})

    assert "Choose a member of staff who can read texts, or no one." in shown(response, 400)
    conversation.refresh_from_db()
    assert conversation.assigned_to is None


# Replying ------------------------------------------------------------------------------------------------


def reply_form(response) -> dict:
    form = response.context["reply_form"]
    return {"canned": "", "text": "", "key": form["key"].value()}


def test_a_reply_sent_twice_from_the_same_form_reaches_twilio_once_and_shows_delivered(
    client, front_desk, twilio_recorder, django_capture_on_commit_callbacks
):
    conversation = text_in(client, "Do you have parking?", sender=STRANGER)
    client.force_login(front_desk)
    fields = {**reply_form(client.get(url(conversation))), "action": "reply", "text": "Yes, free in the lot."}

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url(conversation), fields, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url(conversation), fields, follow=True)

    assert "The reply is on its way." in shown(first)
    assert "That reply was sent already." in shown(second)
    bodies = [r.data["Body"] for r in twilio_recorder.texts if r.data["To"] == STRANGER]
    assert bodies == [f"{CLINIC}: Yes, free in the lot."]
    reply = Message.objects.get(kind=Message.Kind.STAFF_TEXT)
    assert reply.sent_by == front_desk

    assert post(client, STATUS, {**status_params(reply.provider_id, "delivered"), "To": STRANGER}).status_code == 200
    entries = thread(client.get(url(conversation)))
    assert entries[-1].endswith(f"· Staff: frontdesk · Delivered {CLINIC}: Yes, free in the lot.")


def test_a_ready_made_booking_link_is_filled_in_the_persons_language_with_the_spots_left(
    client, front_desk, service, offer
):
    dana_booked(service, language="es", promotion=offer, price_cents=offer.price_cents)
    conversation = text_in(client, "¿Todavía hay lugares?")
    client.force_login(front_desk)
    fields = {**reply_form(client.get(url(conversation))), "action": "fill", "canned": "book"}

    filled = client.post(url(conversation), fields)

    assert filled.status_code == 200
    assert filled.context["reply_form"]["text"].value() == (
        "Quedan 7 de 8 lugares a $99. Reserve en línea: https://book.example.com/es/book/"
    )
    assert not Message.objects.filter(kind=Message.Kind.STAFF_TEXT).exists()  # filling in sends nothing
    assert "characters · 1 text message" in shown(filled)
    hours = client.post(url(conversation), {**fields, "canned": "hours"})
    assert hours.context["reply_form"]["text"].value() == (
        "Llámenos al (619) 268-1397. Nuestro horario, con cita previa: lun 7 a. m.-7 p. m.; mar 7 a. m.-7 p. m.; "
        "mié 7 a. m.-7 p. m.; jue 7 a. m.-7 p. m.; vie 7 a. m.-7 p. m.; sáb 7 a. m.-3 p. m."
    )


def test_ready_made_replies_to_a_stranger_are_in_english(client, front_desk, offer):
    conversation = text_in(client, "Hi", sender=STRANGER)
    client.force_login(front_desk)
    fields = {**reply_form(client.get(url(conversation))), "action": "fill"}

    def filled(canned: str) -> str:
        return client.post(url(conversation), {**fields, "canned": canned}).context["reply_form"]["text"].value()

    assert filled("book") == "8 of 8 $99 spots left. Book online: https://book.example.com/book/"
    assert filled("call") == "Please call us at (619) 268-1397 when you can. Thank you!"
    assert filled("hours") == (
        "Call us at (619) 268-1397. Our hours, by appointment: Mon 7 AM-7 PM; Tue 7 AM-7 PM; Wed 7 AM-7 PM; "
        "Thu 7 AM-7 PM; Fri 7 AM-7 PM; Sat 7 AM-3 PM"
    )


@pytest.mark.parametrize("canned", ["", "refund", "<script>"])
def test_filling_in_no_ready_made_reply_says_so(desk, client, canned):
    conversation = text_in(client, "Hi")
    response = desk.post(url(conversation), {"action": "fill", "canned": canned, "text": "", "key": KEY})
    text = shown(response, 400)
    assert text.count("Choose one of the ready-made replies.") == 1
    assert "Write the reply to send." not in text


def test_a_number_that_texted_stop_cannot_be_written_to(client, front_desk, twilio_recorder):
    conversation = text_in(client, "Hi")
    text_in(client, "STOP")
    client.force_login(front_desk)

    response = client.get(url(conversation))
    text = shown(response)
    assert "This number texted STOP: the clinic may not text it until it texts START. Call instead." in text
    assert "Send the reply" not in text
    assert not html(response).find_all("textarea")

    refused = client.post(url(conversation), {"action": "reply", "text": "Please reconsider", "key": KEY})
    assert "This number texted STOP" in shown(refused, 400)
    assert not Message.objects.filter(kind=Message.Kind.STAFF_TEXT).exists()
    assert not [r for r in twilio_recorder.texts if "reconsider" in r.data["Body"]]


def test_a_reply_longer_than_three_text_messages_is_refused_on_the_page(desk, client):
    conversation = text_in(client, "Hi")
    words = "Thanks for asking about the offer and everything it includes. " * 8  # about 500 characters

    response = desk.post(url(conversation), {"action": "reply", "text": words, "key": KEY})

    text = shown(response, 400)
    assert "This reply would go as 4 text messages: keep it to 3 (about 421 characters)." in text
    assert "too long, 3 at most" in text  # the counter, drawn by the server
    assert response.context["reply_form"]["text"].value() == words  # kept, to shorten
    assert not Message.objects.filter(kind=Message.Kind.STAFF_TEXT).exists()


@pytest.mark.parametrize(
    "fields, says",
    [
        ({"text": "   ", "key": KEY}, "Write the reply to send."),
        ({"text": "Hi"}, "This form is out of date: write the reply again."),
        ({"text": "Hi", "key": "../../etc"}, "This form is out of date: write the reply again."),
        ({"text": "x" * 1601, "key": KEY}, "Ensure this value has at most 1600 characters"),
    ],
)
def test_a_reply_that_cannot_go_is_refused_with_a_message(desk, client, fields, says):
    conversation = text_in(client, "Hi")
    response = desk.post(url(conversation), {"action": "reply", **fields})
    assert says in shown(response, 400)
    assert not Message.objects.filter(kind=Message.Kind.STAFF_TEXT).exists()


def test_a_text_from_a_visits_panel_shows_in_the_conversation_as_the_staff_members(client, front_desk, service):
    booking = dana_booked(service, sms_consent=True)
    conversation = text_in(client, "Hi")
    text_from_staff(booking, text="See you soon", user=front_desk)
    client.force_login(front_desk)

    assert f"· Staff: frontdesk · Queued {CLINIC}: See you soon" in " ".join(thread(client.get(url(conversation))))


def test_the_inbound_texts_admin_shows_who_texted_and_sends_staff_to_the_conversation_for_the_words(client, manager):
    conversation = text_in(client, "My hip clicks when I run")
    text = InboundText.objects.get()
    client.force_login(manager)

    response = client.get(f"/admin/notifications/inboundtext/{text.pk}/change/")

    assert "My hip clicks" not in shown(response)
    assert f'href="{url(conversation)}"' in response.content.decode()


def test_the_access_log_is_read_only_for_the_manager_and_closed_to_the_front_desk(client, front_desk, manager):
    conversation = text_in(client, "Hello")
    client.force_login(front_desk)
    client.get(url(conversation))
    access = ConversationAccess.objects.get()

    assert client.get("/admin/notifications/conversationaccess/").status_code == 403
    client.force_login(manager)
    listed = client.get("/admin/notifications/conversationaccess/")
    assert DANA in shown(listed) and "frontdesk" in shown(listed)
    change = client.get(f"/admin/notifications/conversationaccess/{access.pk}/change/")
    assert change.status_code == 200
    assert "Save" not in shown(change)
    assert client.post(f"/admin/notifications/conversationaccess/{access.pk}/delete/").status_code == 403
    assert Group.objects.get(name=MANAGER).permissions.filter(codename="view_conversationaccess").exists()
