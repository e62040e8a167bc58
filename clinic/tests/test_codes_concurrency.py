"""Guesses at a one-time code racing on PostgreSQL: real threads, each on its own connection, released together."""

from collections import Counter

import pytest

from booking.tests.threads import race
from clinic.codes import TRIES, Check, code_check, code_issue
from clinic.models import OneTimeCode

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

GUESSERS = 12
PURPOSE, SUBJECT = "intake", "intake:RACE"


def test_guesses_arriving_at_once_get_five_tries_between_them_not_five_each():
    code = code_issue(purpose=PURPOSE, subject=SUBJECT).code
    wrong = [f"{(int(code) + n) % 10**6:06d}" for n in range(1, GUESSERS + 1)]

    outcomes = race([lambda guess=guess: code_check(purpose=PURPOSE, subject=SUBJECT, code=guess) for guess in wrong])

    assert Counter(outcomes) == {Check.WRONG: TRIES - 1, Check.LOCKED: GUESSERS - TRIES + 1}, outcomes
    assert OneTimeCode.objects.get().attempts == TRIES  # the late ones were refused before they were compared
    assert code_check(purpose=PURPOSE, subject=SUBJECT, code=code) == Check.LOCKED


def test_the_right_code_among_a_rush_of_guesses_is_accepted_once_at_most():
    code = code_issue(purpose=PURPOSE, subject=SUBJECT).code
    guesses = [code, code, f"{(int(code) + 1) % 10**6:06d}"]

    outcomes = race([lambda guess=guess: code_check(purpose=PURPOSE, subject=SUBJECT, code=guess) for guess in guesses])

    assert outcomes.count(Check.ACCEPTED) == 1, outcomes
