"""An httpx transport that connects only to addresses it checked: each new connection
resolves its host once, refuses it if any address is not allowed (`address.py`), and
connects to a checked address itself. TLS still runs on the name (SNI, certificate
verification) and the Host header is the URL's, so what is checked is what is reached,
however the name's DNS answers change (rebinding)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterable

import httpcore
import httpx

from actionpool.actions.builtin.http.address import AddressPolicy, check_resolved
from actionpool.actions.builtin.http.config import HttpConfig

Resolver = Callable[[str, int], list[str]]
"""host, port -> the IP addresses to connect to, in order."""


def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver's TCP addresses for `host`, each once, in its order."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's sockets, opened only to checked addresses."""

    def __init__(self, policy: AddressPolicy, resolve: Resolver = resolve_host) -> None:
        self.policy = policy
        self.resolve = resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.resolve(host, port)
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        check_resolved(host, addresses, self.policy)
        error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error


def ssl_context_of(config: HttpConfig) -> ssl.SSLContext:
    """Verification on: certifi's CAs, or the operator's bundle."""
    if config.ca_bundle is not None:
        return ssl.create_default_context(cafile=config.ca_bundle)
    return httpx.create_ssl_context(trust_env=False)


class GuardedTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport` over a `GuardedBackend`: no proxy from the environment, no
    retries of its own, HTTP/1.1."""

    def __init__(
        self,
        config: HttpConfig,
        *,
        resolve: Resolver = resolve_host,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        context = ssl_context or ssl_context_of(config)
        super().__init__(verify=context, trust_env=False)
        # httpx builds its pool without a network backend seam; this is the same pool
        # (httpx's defaults) with ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=10,
            max_keepalive_connections=5,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(AddressPolicy.of(config), resolve),
        )
