"""Rate limits on what the public posts (django-ratelimit, counted in Django's cache: Redis in production).

Each limit counts per client address (clinic/client.py: the real one, behind the clinic's own
proxies) and, where a form names a person, per email (as clinic/contact.py compares them) and
per mobile as well: a bot that changes its address still posts the same inbox, and one that
makes up people still comes from one address. One request too many gets clinic.views.rate_limited,
a 429 page with the clinic's phone. RATELIMIT_ENABLE=false turns every limit off, for load tests.
"""

import logging
from functools import wraps

import phonenumbers
from django_ratelimit import UNSAFE
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from .cache import CACHE_DOWN
from .contact import canonical_email

logger = logging.getLogger(__name__)


def _phone(value: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, "US"), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in value if ch.isdigit())


PERSON_FIELDS = {"email": canonical_email, "phone": _phone}


def _posted(field: str):
    normalise = PERSON_FIELDS[field]
    return lambda group, request: normalise(request.POST.get(field, ""))


def _if_posted(field: str, rate: str):
    """The rate, for a request that names someone in `field`; no limit (None) for one that does not."""
    normalise = PERSON_FIELDS[field]
    return lambda group, request: rate if normalise(request.POST.get(field, "")) else None


def per_person_of(lookup, rate: str) -> tuple:
    """(key, rate) pairs for `public_post(per=...)`: per email and per phone that `lookup(request)` finds
    (a dict with "email" and "phone", e.g. read from what the request acts on) rather than what is posted."""

    def limit(field: str):
        normalise = PERSON_FIELDS[field]
        return (
            lambda group, request: normalise(lookup(request).get(field, "")),
            lambda group, request: rate if normalise(lookup(request).get(field, "")) else None,
        )

    return tuple(limit(field) for field in PERSON_FIELDS)


def _over_a_limit(request, group: str, limits: list) -> bool:
    """Count the request against each (key, rate); whether any is over. With the cache (Redis) down nothing is
    counted and nothing refused: the patient's booking matters more than the count, and the codes and the
    booking rules still hold."""
    try:
        over = [
            is_ratelimited(request, group=group, key=key, rate=rate, method=UNSAFE, increment=True)
            for key, rate in limits
        ]
    except CACHE_DOWN as exc:
        logger.warning("Rate limits not counted (the cache is unreachable): %s", type(exc).__name__)
        return False
    return any(over)


def public_post(group: str, *, per_address: str, per_person: str | None = None, per: tuple = ()):
    """Limit a view's POSTs per client address; with `per_person` per posted email and per posted phone too;
    `per`: more (key function, rate) pairs, such as a rate per booking."""
    limits = [("ip", per_address), *per]
    if per_person:
        limits += [(_posted(field), _if_posted(field, per_person)) for field in PERSON_FIELDS]

    def decorate(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            if request.method == "POST" and _over_a_limit(request, group, limits):
                raise Ratelimited  # answered by RATELIMIT_VIEW
            return view(request, *args, **kwargs)

        return limited

    return decorate
