"""Where a webhook may be sent (SSRF rules of the contract). Pure: DNS answers are passed in.

A URL must be ``http`` or ``https`` with a host; every address its host is or resolves to must
be a public unicast address: not loopback, private, shared (CGNAT), link-local (169.254.0.0/16,
the cloud metadata address), multicast, reserved or unspecified, also when an IPv6 address
carries an IPv4 one (``::ffff:127.0.0.1``, 6to4, NAT64). IPv4 spelled as one number
(``2130706433``), in octal or hex, is read the way the C resolver reads it.
``allowed`` networks (``ORBIT_NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS``) and ``allow_loopback``
(``ORBIT_NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK``, development and tests) lift the refusal.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA = (
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
MAX_URL_LENGTH = 2000


class UnsafeDestination(ValueError):
    """The URL, or an address it resolves to, is not a place webhooks may go."""


@dataclass(frozen=True)
class Target:
    scheme: str  # http | https
    host: str  # as written (lower-cased, brackets removed for IPv6)
    port: int
    path: str  # path and query, at least "/"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse_target(url: str) -> Target:
    """The parts of a webhook URL, or :class:`UnsafeDestination` saying what is wrong."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise UnsafeDestination(f"must be a URL of at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeDestination("must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("must not carry credentials")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeDestination("must name a host")
    if parts.fragment:
        raise UnsafeDestination("must not have a fragment")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, however it is spelled (``127.0.0.1``, ``2130706433``,
    ``0x7f.1``, ``0177.0.0.1``, ``::ffff:127.0.0.1``), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    return _inet_aton(host)


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """IPv4 as the C resolver's ``inet_aton`` reads it: one to four parts, each decimal, octal
    (leading 0) or hex (0x); the last part fills the bytes left (``127.1``, ``2130706433``)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        if not part or any(c not in "0123456789abcdefABCDEFxX" for c in part):
            return None
        try:
            if part[:2].lower() == "0x":
                value = int(part[2:], 16) if part[2:] else 0
            elif len(part) > 1 and part[0] == "0":
                value = int(part[1:], 8)
            else:
                value = int(part, 10)
        except ValueError:
            return None
        values.append(value)
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(
    address: IPAddress, allowed: Sequence[Network] = (), allow_loopback: bool = False
) -> str | None:
    """Why webhooks may not go to ``address``, or None when they may."""
    if any(address.version == net.version and address in net for net in allowed):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            problem = address_problem(inner, allowed, allow_loopback)
            return f"{problem} (inside {address})" if problem else None
        if address.scope_id:
            return f"{address} is link-local"
    if address.is_loopback:
        return None if allow_loopback else f"{address} is a loopback address"
    if address in METADATA:
        return f"{address} is the cloud metadata address"
    if address.is_unspecified:
        return f"{address} is unspecified"
    if address.is_link_local:
        return f"{address} is link-local"
    if address.is_multicast:
        return f"{address} is multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return f"{address} is shared address space"
    if address.is_private:
        return f"{address} is a private address"
    if address.is_reserved or not address.is_global:
        return f"{address} is reserved"
    return None


def check_addresses(
    addresses: Iterable[IPAddress], allowed: Sequence[Network] = (), allow_loopback: bool = False
) -> list[IPAddress]:
    """All of ``addresses`` when every one is allowed, else :class:`UnsafeDestination` naming
    the first that is not (one bad answer of several refuses the host: DNS could hand it out
    next time). No address at all is refused too."""
    found = list(dict.fromkeys(addresses))
    if not found:
        raise UnsafeDestination("the host resolves to no address")
    for address in found:
        problem = address_problem(address, allowed, allow_loopback)
        if problem is not None:
            raise UnsafeDestination(f"refused destination: {problem}")
    return found


def parse_networks(value: str | Sequence[str] | None) -> tuple[Network, ...]:
    """CIDRs from a comma-separated string or a list
    (``ORBIT_NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS``)."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())
