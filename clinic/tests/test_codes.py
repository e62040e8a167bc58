"""One-time codes (clinic/codes.py): six digits, good once, for 10 minutes, 5 tries, then an hour's lockout."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from clinic.codes import Check, CodeLocked, code_check, code_issue
from clinic.models import OneTimeCode

pytestmark = pytest.mark.django_db

START = datetime(2026, 4, 6, 15, 0, tzinfo=UTC)
PURPOSE = "intake"
SUBJECT = "intake:ABC123"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def issue(subject=SUBJECT, purpose=PURPOSE):
    return code_issue(purpose=purpose, subject=subject)


def check(code, subject=SUBJECT, purpose=PURPOSE) -> Check:
    return code_check(purpose=purpose, subject=subject, code=code)


def wrong(code: str) -> str:
    """A six-digit code that is certainly not this one."""
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_is_six_digits_and_only_its_digest_is_stored(clock):
    issued = issue()

    assert re.fullmatch(r"\d{6}", issued.code)
    row = OneTimeCode.objects.get(pk=issued.key)
    assert (row.purpose, row.subject, row.attempts, row.used_at) == (PURPOSE, SUBJECT, 0, None)
    assert re.fullmatch(r"[0-9a-f]{64}", row.digest)
    assert row.expires_at == START + timedelta(minutes=10)
    stored = [str(value) for value in OneTimeCode.objects.values_list()[0]]
    assert [value for value in stored if issued.code in value] == []


def test_a_new_code_replaces_the_one_before(clock):
    first = issue()
    second = issue()
    while second.code == first.code:  # one chance in a million
        second = issue()

    assert check(first.code) == Check.WRONG
    assert check(second.code) == Check.ACCEPTED


def test_a_code_is_accepted_once_only(clock):
    issued = issue()

    assert check(issued.code) == Check.ACCEPTED
    assert check(issued.code) == Check.WRONG


def test_a_code_works_for_ten_minutes(clock):
    early, late = issue("intake:EARLY"), issue("intake:LATE")

    clock.move_to(START + timedelta(minutes=9, seconds=59))
    assert check(early.code, "intake:EARLY") == Check.ACCEPTED
    clock.move_to(START + timedelta(minutes=10))
    assert check(late.code, "intake:LATE") == Check.WRONG


def test_four_wrong_tries_then_the_right_code_is_accepted(clock):
    issued = issue()

    assert [check(wrong(issued.code)) for _ in range(4)] == [Check.WRONG] * 4
    assert check(issued.code) == Check.ACCEPTED


def test_five_wrong_tries_lock_the_subject_for_an_hour_from_when_the_code_was_made(clock):
    issued = issue()
    other = issue("intake:OTHER")

    tries = []
    for minute in range(5):  # one a minute: the hour runs from the code, not from the last try
        clock.move_to(START + timedelta(minutes=minute))
        tries.append(check(wrong(issued.code)))
    assert tries == [Check.WRONG] * 4 + [Check.LOCKED]
    assert check(issued.code) == Check.LOCKED
    with pytest.raises(CodeLocked):
        issue()
    assert check(other.code, "intake:OTHER") == Check.ACCEPTED  # another subject is untouched
    assert re.fullmatch(r"\d{6}", issue("intake:OTHER").code)

    clock.move_to(START + timedelta(minutes=59, seconds=59))
    with pytest.raises(CodeLocked):
        issue()
    assert check(issued.code) == Check.LOCKED

    clock.move_to(START + timedelta(hours=1))
    fresh = issue()
    assert check(fresh.code) == Check.ACCEPTED


def test_asking_for_a_new_code_does_not_reset_the_count_of_wrong_tries(clock):
    first = issue()
    for _ in range(4):
        assert check(wrong(first.code)) == Check.WRONG
    second = issue()  # a guesser asks for a fresh code to start counting again

    assert check(wrong(second.code)) == Check.LOCKED  # the fifth wrong try within the hour
    assert check(second.code) == Check.LOCKED
    with pytest.raises(CodeLocked):
        issue()


def test_a_code_opens_only_its_own_purpose_and_subject(clock):
    issued = issue()

    assert check(issued.code, purpose="booking") == Check.WRONG
    assert check(issued.code, subject="intake:XYZ789") == Check.WRONG
    assert check(issued.code) == Check.ACCEPTED


def test_spaces_around_a_code_are_ignored(clock):
    issued = issue()

    assert check(f"  {issued.code}\n") == Check.ACCEPTED


@pytest.mark.parametrize("garbage", ["abcdef", "x" * 1000, "", "١٢٣٤٥٦", "12 34 56", "\x00" * 6])
def test_garbage_is_just_a_wrong_code(clock, garbage):
    issued = issue()

    assert check(garbage) == Check.WRONG
    assert OneTimeCode.objects.get(pk=issued.key).attempts == 1
    assert check(issued.code) == Check.ACCEPTED
