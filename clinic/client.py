"""Who is asking: the client's address and scheme, as the clinic's own proxies saw them.

`TRUSTED_PROXIES` names the proxies whose headers count:
- empty (the default): none. The client is REMOTE_ADDR; X-Forwarded-For and X-Forwarded-Proto are the client's
  own say-so and ignored.
- a number N: N proxies of the clinic's own, each appending the address it was reached from to X-Forwarded-For,
  and only they can reach the app. The client is the entry the outermost one appended, Nth from the right:
  anything to its left came from the client itself and proves nothing.
- addresses or networks, comma-separated (`10.0.0.2, 10.1.0.0/16`): the proxies by address. Only a request from
  one of them has its headers believed; the client is the right-most X-Forwarded-For entry that is not a proxy.

The address keys login lockouts (django-axes), rate limits (django-ratelimit) and the access log (`Visitor`).
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; the proxies are listed as a.b.c.d.
    return getattr(address, "ipv4_mapped", None) or address


@dataclass(frozen=True)
class TrustedProxies:
    """The proxies in front of the app: a count, or their addresses (settings.TRUSTED_PROXIES, parsed once)."""

    count: int = 0
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, value: str) -> "TrustedProxies":
        value = value.strip()
        if value.isdigit():
            return cls(count=int(value))
        parts = [part.strip() for part in value.split(",") if part.strip()]
        try:
            # strict, as gunicorn's forwarded_allow_ips is: 10.0.0.1/24 is a mistake for 10.0.0.0/24.
            return cls(networks=tuple(ipaddress.ip_network(part) for part in parts))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES={value!r}: {error}. Set it to how many proxies of the clinic's own stand in front "
                "of the app (1 behind one HTTPS proxy), or to their addresses or networks, comma-separated "
                "(10.0.0.2, 10.1.0.0/16); leave it empty with no proxy."
            ) from None

    def __bool__(self) -> bool:
        return bool(self.count or self.networks)

    def _listed(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)

    def trusts(self, remote_addr: str) -> bool:
        """Whether a request from this peer came through the proxies, so that their headers count."""
        if self.count:
            return True  # only the proxies can reach the app: the peer is the innermost one
        address = _address(remote_addr)
        return address is not None and self._listed(address)

    def client(self, remote_addr: str, forwarded_for: str) -> str:
        """The client's address, in its short form; the connection's when the proxies' headers don't say."""
        hops = [hop.strip() for hop in forwarded_for.split(",")] if forwarded_for else []
        if self.count:
            if len(hops) >= self.count and (address := _address(hops[-self.count])):
                return str(address)
            return remote_addr  # a header the proxies could not have written: trust only the connection
        if not self.trusts(remote_addr):
            return remote_addr
        client = remote_addr
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                return remote_addr  # not what a proxy of ours writes (ip:port, "unknown"): the connection
            client = str(address)
            if not self._listed(address):
                return client
        return client  # every hop was a proxy of ours (a check from inside): the furthest one

    def forwarded_allow_ips(self) -> str:
        """gunicorn's setting of the same name: whose scheme headers it believes ("" is nobody's)."""
        if self.count:
            return "*"  # only the proxies can reach gunicorn
        return ",".join(str(network) for network in self.networks)


def client_ip(request) -> str:
    remote_addr = request.META.get("REMOTE_ADDR") or "0.0.0.0"
    return settings.TRUSTED_PROXIES.client(remote_addr, request.META.get("HTTP_X_FORWARDED_FOR", ""))


def address_key(request) -> str:
    """The client's address as an opaque key (a keyed hash): to count what one address holds, without keeping
    the address itself."""
    return salted_hmac("clinic.client.address_key", client_ip(request)).hexdigest()[:32]


class ForwardedProtoFromTrustedProxies:
    """First in MIDDLEWARE: X-Forwarded-Proto counts only from a trusted proxy.

    With TRUSTED_PROXIES set, SECURE_PROXY_SSL_HEADER makes that header say whether the client came over HTTPS.
    From anyone else it would pass a plain-HTTP request off as secure: no redirect to HTTPS, and secure cookies
    sent back over plain HTTP. So it is removed before anything reads it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.TRUSTED_PROXIES.trusts(request.META.get("REMOTE_ADDR", "")):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


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
