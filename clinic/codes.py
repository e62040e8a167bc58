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
from django.db.models import Sum
from django.db.models.functions import Coalesce
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


def _wrong_tries(purpose: str, subject: str, now: datetime) -> int:
    """Wrong codes typed for the subject, against the codes made for it in the last hour."""
    recent = OneTimeCode.objects.filter(purpose=purpose, subject=subject, created_at__gt=now - LOCKOUT)
    return recent.aggregate(tries=Coalesce(Sum("attempts"), 0))["tries"]


@dataclass(frozen=True)
class Issued:
    code: str
    key: int  # names this code, for a message that carries it


def code_issue(*, purpose: str, subject: str, now: datetime | None = None) -> Issued:
    """A new code for `subject`, replacing any before it. Raises CodeLocked during a lockout."""
    now = now or timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        if _wrong_tries(purpose, subject, now) >= TRIES:
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
        if _wrong_tries(purpose, subject, now) >= TRIES:
            return Check.LOCKED
        live = (
            OneTimeCode.objects.select_for_update()
            .filter(purpose=purpose, subject=subject, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if live is None:
            return Check.WRONG
        if constant_time_compare(live.digest, _digest(purpose, subject, code.strip())):
            live.used_at = now
            live.save(update_fields=["used_at"])
            return Check.ACCEPTED
        live.attempts += 1
        live.save(update_fields=["attempts"])
        return Check.LOCKED if _wrong_tries(purpose, subject, now) >= TRIES else Check.WRONG
