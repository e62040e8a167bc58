"""One-time codes: six digits sent to an email or a mobile, typed back within 10 minutes, 5 tries.

A code opens one thing (`purpose`, `subject`), is good once, and a newer one replaces it. Five
wrong tries on the codes made for a subject within an hour lock it: no code is accepted or made
for it until an hour after the first of them was made. Asking for a new code does not reset it.
What the code is sent by, and what it opens, is the caller's business.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import OneTimeCode

LIFETIME = timedelta(minutes=10)
TRIES = 5
LOCKOUT = timedelta(hours=1)


class Check(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"  # wrong, expired, used or never sent: the same to whoever typed it
    LOCKED = "locked"  # too many wrong tries


class CodeLocked(Exception):
    """Too many wrong tries lately: no new code for this subject until the lockout ends."""


def _digest(purpose: str, subject: str, code: str) -> str:
    return salted_hmac(f"clinic.codes.{purpose}", f"{subject}:{code}", algorithm="sha256").hexdigest()


def _recent_locked(purpose: str, subject: str, now: datetime) -> list[OneTimeCode]:
    """The subject's codes of the last hour, newest first, locked: checks of one subject take turns, so each
    counts the wrong tries before it (however many guesses arrive at once)."""
    recent = OneTimeCode.objects.select_for_update().filter(
        purpose=purpose, subject=subject, created_at__gt=now - LOCKOUT
    )
    return list(recent.order_by("-created_at", "-pk"))


def _wrong_tries(codes: list[OneTimeCode]) -> int:
    return sum(code.attempts for code in codes)


@dataclass(frozen=True)
class Issued:
    code: str
    key: int  # names this code, for a message that carries it


def code_issue(*, purpose: str, subject: str, now: datetime | None = None) -> Issued:
    """A new code for `subject`, replacing any before it. Raises CodeLocked during a lockout."""
    now = now or timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        if _wrong_tries(_recent_locked(purpose, subject, now)) >= TRIES:
            raise CodeLocked
        OneTimeCode.objects.filter(purpose=purpose, subject=subject, used_at__isnull=True).update(used_at=now)
        row = OneTimeCode.objects.create(
            purpose=purpose,
            subject=subject,
            digest=_digest(purpose, subject, code),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    return Issued(code=code, key=row.pk)


def code_check(*, purpose: str, subject: str, code: str, now: datetime | None = None) -> Check:
    """Whether `code` is the live code for `subject`; a wrong one counts against it."""
    now = now or timezone.now()
    with transaction.atomic():
        recent = _recent_locked(purpose, subject, now)
        if _wrong_tries(recent) >= TRIES:
            return Check.LOCKED
        live = next((row for row in recent if row.used_at is None and row.expires_at > now), None)
        if live is None:
            return Check.WRONG
        if constant_time_compare(live.digest, _digest(purpose, subject, code.strip())):
            live.used_at = now
            live.save(update_fields=["used_at"])
            return Check.ACCEPTED
        live.attempts += 1
        live.save(update_fields=["attempts"])
        return Check.LOCKED if _wrong_tries(recent) >= TRIES else Check.WRONG
