"""Which IP addresses the fetcher may connect to: public ones, plus configured networks. Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 prefixes that carry an IPv4 address in their low 32 bits (NAT64 well-known prefixes).
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# Blocked explicitly, whatever this Python's `is_global` says about them.
_ALWAYS_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "fc00::/7",  # unique local (fd00::/8)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
        "::/96",  # IPv4-compatible (deprecated), unspecified
        "100::/64",  # discard-only
        "2001:db8::/32",  # documentation
    )
)


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client address
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """True when `ip` is a globally routable unicast address (and so is any IPv4 it embeds)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id is not None:
        return False  # zone ids only make sense for link-local targets
    if isinstance(ip, ipaddress.IPv6Address) and (
        ip.ipv4_mapped is not None or any(ip in net for net in _NAT64)
    ):
        inner = embedded_ipv4(ip)
        return inner is not None and is_public(inner)  # a translation: judge what it reaches
    if any(ip.version == net.version and ip in net for net in _ALWAYS_BLOCKED):
        return False
    if (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    ):
        return False
    inner = embedded_ipv4(ip)
    return inner is None or is_public(inner)


class AddressPolicy:
    """Decides whether a connection to an IP address is allowed.

    Public addresses are allowed; any other address only inside one of `allow_private`
    (CIDR strings, e.g. "10.1.2.0/24"). An IPv6 address embedding an IPv4 address (such as
    ``::ffff:10.0.0.1``) is judged by both forms.
    """

    def __init__(self, allow_private: Iterable[str] = ()) -> None:
        self._allowed: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(net, strict=False) for net in allow_private
        )

    def _in_allowlist(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self._allowed)

    def allows(self, address: str | IPAddress) -> bool:
        """True when the fetcher may connect to `address`; unparseable strings are refused."""
        if isinstance(address, str):
            try:
                ip: IPAddress = ipaddress.ip_address(address)
            except ValueError:
                return False
        else:
            ip = address
        if self._in_allowlist(ip):
            return True
        inner = embedded_ipv4(ip)
        if inner is not None and self._in_allowlist(inner):
            return True
        return is_public(ip)
