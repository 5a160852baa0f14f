"""Which IP addresses `http:request` may connect to: public ones, and the non-public ones an
operator allowed (`HttpConfig.allowed_networks`, literal IPs in `allowed_hosts`). Cloud
metadata addresses are refused whatever the configuration says."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from collections.abc import Iterable

from actionpool.actions.builtin.http.config import HttpConfig, normalise_host
from actionpool.actions.errors import NonRetryableActionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS Pod Identity credentials
        "fd00:ec2::254",  # AWS over IPv6
        "fd00:ec2::23",  # AWS EKS Pod Identity over IPv6
        "fd20:ce::254",  # GCP over IPv6
        "168.63.129.16",  # Azure's wire server (a public address)
        "100.100.100.200",  # Alibaba Cloud
    )
)
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
LEGACY_IPV4_CHARS = frozenset("0123456789abcdefx.")
"""What the legacy IPv4 forms (`2130706433`, `0x7f.1`, `0177.1`, `127.1`) are made of."""


class AddressRefusedError(NonRetryableActionError):
    """Raised when a host resolves to an address http:request may not connect to."""


def literal_ip(host: str) -> IPAddress | None:
    """The address a host names without DNS: an IP literal, or IPv4 in one of the legacy
    forms `inet_aton` (and so the resolver) reads, such as `2130706433` for 127.0.0.1."""
    host = normalise_host(host).replace("%25", "%")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:  # without its zone (`fe80::1%eth0`): the zone changes no rule, and equality sees it
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        return address
    if host and set(host) <= LEGACY_IPV4_CHARS and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def embedded_ipv4(ip: IPAddress) -> tuple[IPAddress, ...]:
    """The IPv4 addresses an IPv6 one carries (mapped, NAT64, 6to4, Teredo): a packet to it
    may end up there."""
    if isinstance(ip, ipaddress.IPv4Address):
        return ()
    found: list[IPAddress] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in NAT64_PREFIX:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.append(ip.teredo[1])
    return tuple(found)


def non_public_kind(ip: IPAddress) -> str | None:
    """What kind of non-public address `ip` is ("loopback", "private"...), None if public."""
    checks = (
        (ip in METADATA_ADDRESSES, "cloud metadata"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip in SHARED_ADDRESS_SPACE, "shared (carrier-grade NAT)"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "site-local"),
        (not ip.is_global, "non-public"),
    )
    return next((kind for matches, kind in checks if matches), None)


@dataclasses.dataclass(frozen=True)
class AddressPolicy:
    """The non-public addresses an operator allowed."""

    networks: tuple[IPNetwork, ...] = ()
    addresses: frozenset[IPAddress] = frozenset()

    @classmethod
    def of(cls, config: HttpConfig) -> AddressPolicy:
        listed = (literal_ip(host) for host in config.allowed_hosts)
        return cls(
            networks=tuple(config.allowed_networks),
            addresses=frozenset(ip for ip in listed if ip is not None),
        )

    def admits(self, ip: IPAddress) -> bool:
        return ip in self.addresses or any(ip in network for network in self.networks)

    def refusal(self, ip: IPAddress) -> str | None:
        """Why `ip` may not be connected to, or None if it may."""
        candidates = (*embedded_ipv4(ip), ip)
        if any(candidate in METADATA_ADDRESSES for candidate in candidates):
            return f"{ip} is a cloud metadata address (never allowed)"
        if any(self.admits(candidate) for candidate in candidates):
            return None
        for candidate in candidates:
            kind = non_public_kind(candidate)
            if kind is not None:
                return f"{ip} is a {kind} address (allow it with ACTIONPOOL_HTTP__ALLOWED_NETWORKS)"
        return None


def check_resolved(host: str, addresses: Iterable[str], policy: AddressPolicy) -> None:
    """Raise `AddressRefusedError` unless every address `host` resolved to may be used: one
    bad answer among good ones is how DNS rebinding starts."""
    for text in addresses:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
        reason = policy.refusal(ip)
        if reason is not None:
            raise AddressRefusedError(f"http:request may not connect to {host}: {reason}")
