"""The guarded transport connects only to the addresses it checked, and keeps the name for
the Host header and TLS (`transport.py`), against real servers on 127.0.0.1."""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from actionpool.actions.builtin.http.address import AddressRefusedError
from actionpool.actions.builtin.http.config import HttpConfig
from actionpool.actions.builtin.http.transport import GuardedTransport
from tests.httpserver import ScriptedServer, echo

ALLOW_LOOPBACK = HttpConfig(allowed_networks=("127.0.0.1/32",))


class FakeDns:
    """A resolver answering from a table, counting its lookups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.table.get(host, [host])


def test_a_name_is_reached_at_its_checked_address_under_its_own_host_header() -> None:
    # Given a name that resolves to the server's address, and loopback allowed
    dns = FakeDns({"api.test": ["127.0.0.1"]})
    with (
        ScriptedServer(echo) as server,
        httpx.Client(transport=GuardedTransport(ALLOW_LOOPBACK, resolve=dns)) as client,
    ):
        # When it is called by name, twice (one kept-alive connection)
        first = client.get(server.url("/a", host="api.test"))
        second = client.get(server.url("/b", host="api.test"))
    # Then the server answered both, and saw the name as Host
    assert first.status_code == second.status_code == 200
    assert first.json()["headers"]["host"] == f"api.test:{server.port}"
    # And the name was resolved once, for the one connection
    assert dns.lookups == ["api.test"]


def test_a_name_resolving_to_a_refused_address_is_never_connected_to() -> None:
    # Given the default config and a name that resolves to loopback among public addresses
    dns = FakeDns({"rebind.test": ["93.184.215.14", "127.0.0.1"]})
    with (
        ScriptedServer(echo) as server,
        httpx.Client(transport=GuardedTransport(HttpConfig(), resolve=dns)) as client,
        # When it is called / Then it is refused before connecting
        pytest.raises(AddressRefusedError, match="127.0.0.1 is a loopback address"),
    ):
        client.get(server.url("/", host="rebind.test"))
    # And nothing reached the server
    assert server.seen == []


def test_the_real_resolver_is_checked_too() -> None:
    # Given the default config / When localhost is called through the system's resolver
    with (
        ScriptedServer(echo) as server,
        httpx.Client(transport=GuardedTransport(HttpConfig())) as client,
        pytest.raises(AddressRefusedError, match="loopback"),
    ):
        client.get(server.url("/", host="localhost"))
    # Then nothing reached the server
    assert server.seen == []


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ssl.SSLContext, Path]]:
    """A server context with a certificate for api.test only, and the CA file trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("api.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    yield context, cert_file


def test_tls_runs_on_the_name_while_the_socket_goes_to_the_checked_address(
    tls: tuple[ssl.SSLContext, Path],
) -> None:
    # Given an https server whose certificate names api.test, which resolves to 127.0.0.1,
    # and a config trusting that certificate
    server_context, ca_file = tls
    server_names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    config = HttpConfig(allowed_networks=("127.0.0.1/32",), ca_bundle=str(ca_file))
    dns = FakeDns({"api.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    with (
        ScriptedServer(echo, tls=server_context) as server,
        httpx.Client(transport=GuardedTransport(config, resolve=dns)) as client,
    ):
        # When it is called by its name
        answer = client.get(server.url("/", host="api.test"))
        # Then the TLS handshake named it (SNI) and the certificate was verified against it
        assert answer.status_code == 200 and server_names == ["api.test"]
        # And another name at the same address fails verification
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(server.url("/", host="other.test"))
