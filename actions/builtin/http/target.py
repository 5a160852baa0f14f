"""Which URLs `http:request` may call, decided without DNS (at enqueue, and again for every
redirect hop); the addresses a name resolves to are checked when connecting
(`transport.py`)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote

import httpx

from actionpool.actions.builtin.http.address import AddressPolicy, literal_ip
from actionpool.actions.builtin.http.config import HttpConfig, normalise_host

METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
MASKED_QUERY_VALUE = "***"
HOST_NAME = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))*\.?$", re.I)
MAX_HOST_CHARS = 253


def host_listed(host: str, patterns: tuple[str, ...]) -> bool:
    """Whether a (normalised) host matches an allowed host: the same name, the same IP
    however it is written, or a subdomain of a `*.domain` pattern."""
    ip = literal_ip(host)
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern or (ip is not None and ip == literal_ip(pattern)):
            return True
    return False


def is_localhost_name(host: str) -> bool:
    """`localhost` and its subdomains, which resolvers answer with loopback (RFC 6761)."""
    return host == "localhost" or host.endswith(".localhost")


def host_refusal(raw_host: str, config: HttpConfig) -> str | None:
    """Why a URL's host may not be called, or None; `raw_host` as in the URL (IDNA)."""
    host = normalise_host(unquote(raw_host))
    if config.allowed_hosts and not host_listed(host, config.allowed_hosts):
        return f"host {host!r} is not one of ACTIONPOOL_HTTP__ALLOWED_HOSTS"
    if host in METADATA_NAMES:
        return f"{host} is a cloud metadata host (never allowed)"
    ip = literal_ip(host)
    if ip is None and is_localhost_name(host):
        ip = LOOPBACK
    if ip is None:
        return None
    return AddressPolicy.of(config).refusal(ip)


def url_refusal(url: httpx.URL, config: HttpConfig) -> str | None:
    """Why `url` may not be called, or None: its scheme, credentials and host."""
    if url.scheme not in config.allowed_schemes:
        allowed = ", ".join(config.allowed_schemes)
        return f"scheme {url.scheme!r} is not allowed (allowed: {allowed})"
    if not url.raw_host:
        return "the URL has no host"
    if url.userinfo:
        return "credentials in the URL are not allowed: send them in a header"
    return host_refusal(url.raw_host.decode("ascii"), config)


def parse_url(text: str) -> httpx.URL:
    """An absolute URL; ValueError with the reason if `text` is not one."""
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if not url.is_absolute_url:
        raise ValueError("the URL must be absolute (scheme://host/...)")
    host = url.raw_host.decode("ascii")
    if host and literal_ip(host) is None and not is_host_name(host):
        raise ValueError(f"{unquote(host)!r} is not a host name")
    if url.port is not None and not 0 < url.port < 65_536:
        raise ValueError(f"port {url.port} is not a TCP port")
    return url


def is_host_name(host: str) -> bool:
    """Whether `host` (IDNA) is made of DNS labels."""
    return len(host) <= MAX_HOST_CHARS and HOST_NAME.fullmatch(host) is not None


def display_url(url: httpx.URL) -> str:
    """`url` as logs and spans show it: no credentials, no fragment, and every query value
    masked (query strings carry tokens and signatures)."""
    query = "&".join(
        f"{quote(name, safe='')}={MASKED_QUERY_VALUE}" for name, _ in url.params.multi_items()
    )
    shown = url.copy_with(userinfo=b"", query=None, fragment=None)
    return f"{shown}?{query}" if query else str(shown)
