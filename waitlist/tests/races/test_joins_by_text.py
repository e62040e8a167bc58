"""WAIT texted twice at once from one number (a double tap, or the same word sent from two phones' worth of
retries): real threads, each on its own PostgreSQL connection, released at the same instant. The database's
constraint on a live entry per number on a list decides: one entry, and each text answered once.
"""

from functools import partial

import pytest

from booking.tests.factories import BookingFactory, SlotFactory, local
from booking.tests.pages import PROMO_DAY
from booking.tests.threads import race
from notifications.inbound import inbound_text_handle
from notifications.models import InboundText, Message
from waitlist.models import WaitlistEntry
from waitlist.services import waitlist_join_by_text

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROSA = "+17605550142"


@pytest.fixture
def sold_out(promotion):
    for n in range(promotion.spots):
        BookingFactory(
            slot=SlotFactory(service=promotion.service, starts_at=local(PROMO_DAY, 9 + n)), promotion=promotion
        )


@pytest.mark.parametrize("texts", [2, 6])
def test_waits_texted_at_the_same_instant_from_one_number_make_one_entry(promotion, sold_out, texts):
    outcomes = race(
        [partial(inbound_text_handle, sender=ROSA, body="WAIT", message_sid=f"SM{n:032x}") for n in range(texts)]
    )

    assert outcomes == [None] * texts, outcomes
    [entry] = WaitlistEntry.objects.filter(phone=ROSA)
    assert (entry.status, entry.promotion, entry.sms_consent) == (WaitlistEntry.Status.WAITING, promotion, True)
    assert InboundText.objects.count() == texts
    replies = sorted(Message.objects.filter(kind=Message.Kind.AUTO_REPLY).values_list("body", flat=True))
    assert len(replies) == texts
    assert sum("you're number 1 on the waiting list" in reply for reply in replies) == 1
    assert sum("you're already number 1 on the waiting list" in reply for reply in replies) == texts - 1
    assert all(reply.endswith("[[link:details]]") for reply in replies)


def test_joins_by_text_at_the_same_instant_give_one_entry_and_each_the_same_answer(promotion, sold_out):
    outcomes = race([partial(waitlist_join_by_text, promotion=promotion, phone=ROSA, language="en")] * 4)

    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    entry = WaitlistEntry.objects.get(phone=ROSA)
    assert sorted(joined for _, joined in outcomes) == [False, False, False, True]
    assert {found.pk for found, _ in outcomes} == {entry.pk}
