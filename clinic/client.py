"""Who is asking: the client's address, as the clinic's own proxies saw it.

Behind `PROXY_COUNT` proxies that each append the address they were reached from to
X-Forwarded-For, the client is the entry the outermost proxy appended: counting from the
right, past the entries the inner proxies added. Anything to its left came from the client
itself and proves nothing. With no proxy (the default) it is REMOTE_ADDR.
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings


def client_ip(request) -> str:
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies:
            try:
                return str(ipaddress.ip_address(forwarded[-proxies]))
            except ValueError:
                pass  # not an address: a proxy would not write that, so trust only the connection
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"


@dataclass(frozen=True)
class Visitor:
    """Who made a request, for the records that must say so: the signed-in user, if any, the address, the browser."""

    user: object | None
    ip: str
    user_agent: str

    @classmethod
    def of(cls, request) -> "Visitor":
        user = request.user if request.user.is_authenticated else None
        return cls(user=user, ip=client_ip(request), user_agent=request.headers.get("User-Agent", "")[:300])
