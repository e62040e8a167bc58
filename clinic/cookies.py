"""What a patient's browser keeps between pages (what it booked, the waiting list it joined).

Signed cookies rather than sessions: patients never get a row in the database, which only
staff sessions need. A cookie holds for SESSION_IDLE_MINUTES unless its caller says longer;
it is sent over HTTPS only in production, cannot be read by scripts, and a forged or expired
one reads as nothing.
"""

from datetime import timedelta

from django.conf import settings


def idle() -> timedelta:
    return timedelta(minutes=settings.SESSION_IDLE_MINUTES)


def remember(response, name: str, value: str, *, lasts: timedelta | None = None) -> None:
    response.set_signed_cookie(
        name,
        value,
        salt=name,
        max_age=lasts or idle(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def recall(request, name: str, *, lasts: timedelta | None = None) -> str:
    """The value this browser was given less than `lasts` ago, or "" for none, an expired or a forged one."""
    return request.get_signed_cookie(name, "", salt=name, max_age=lasts or idle())
