"""Who is asking: the client's address, as the clinic's own proxies saw it.

Behind `PROXY_COUNT` proxies that each append the address they were reached from to
X-Forwarded-For, the client is the entry the outermost proxy appended: counting from the
right, past the entries the inner proxies added. Anything to its left came from the client
itself and proves nothing. With no proxy (the default) it is REMOTE_ADDR.
"""

import ipaddress

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
