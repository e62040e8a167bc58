"""What a patient's browser keeps between pages (what it booked, the waiting list it joined).

Signed cookies rather than sessions: patients never get a row in the database, which only
staff sessions need. A cookie lasts SESSION_IDLE_MINUTES, like a staff session, is sent over
HTTPS only in production, and cannot be read by scripts or forged.
"""

from django.conf import settings


def remember(response, name: str, value: str) -> None:
    response.set_signed_cookie(
        name,
        value,
        salt=name,
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def recall(request, name: str) -> str:
    """The value this browser was given, or "" for none, an expired one or a forged one."""
    return request.get_signed_cookie(name, "", salt=name, max_age=settings.SESSION_COOKIE_AGE)
