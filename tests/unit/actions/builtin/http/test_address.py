"""Which addresses http:request may connect to (`address.py`)."""

from __future__ import annotations

import ipaddress

import pytest

from actionpool.actions.builtin.http.address import (
    AddressPolicy,
    AddressRefusedError,
    check_resolved,
    embedded_ipv4,
    literal_ip,
    non_public_kind,
)
from actionpool.actions.builtin.http.config import HttpConfig

ip = ipaddress.ip_address


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.1", "private"),  # documentation range: not routable
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_every_non_public_address_has_its_kind(address: str, kind: str | None) -> None:
    assert non_public_kind(ip(address)) == kind


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f000001", "127.0.0.1"),  # hexadecimal
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),  # octal
        ("127.1", "127.0.0.1"),  # short form
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("fe80::1%25eth0", "fe80::1"),
    ],
)
def test_literal_ip_reads_every_form_the_resolver_reads(host: str, address: str) -> None:
    assert literal_ip(host) == ip(address)


@pytest.mark.parametrize("host", ["example.com", "cafe", "1.2.3.4.5", "deadbeef.example", ""])
def test_names_are_not_literal_ips(host: str) -> None:
    assert literal_ip(host) is None


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),  # IPv4-mapped
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64
        ("2002:0a00:0001::", "10.0.0.1"),  # 6to4
    ],
)
def test_ipv6_carrying_ipv4_is_judged_by_the_ipv4_too(address: str, inner: str) -> None:
    # Given an IPv6 address that carries an IPv4 one
    assert ip(inner) in embedded_ipv4(ip(address))
    # Then the default policy refuses it like the IPv4 one
    assert AddressPolicy().refusal(ip(address)) is not None


def test_the_default_policy_allows_public_addresses_only() -> None:
    policy = AddressPolicy.of(HttpConfig())
    assert policy.refusal(ip("93.184.215.14")) is None
    assert policy.refusal(ip("127.0.0.1")) == (
        "127.0.0.1 is a loopback address (allow it with ACTIONPOOL_HTTP__ALLOWED_NETWORKS)"
    )


def test_allowed_networks_and_literal_hosts_admit_non_public_addresses() -> None:
    # Given a config allowing one private network and one literal loopback address
    config = HttpConfig(allowed_networks=("10.20.0.0/16",), allowed_hosts=("127.0.0.2",))
    policy = AddressPolicy.of(config)
    # Then those are admitted, and their neighbours are not
    assert policy.refusal(ip("10.20.3.4")) is None
    assert policy.refusal(ip("127.0.0.2")) is None
    assert policy.refusal(ip("10.21.0.1")) is not None
    assert policy.refusal(ip("127.0.0.1")) is not None
    # And an IPv4-mapped form of an allowed address is allowed too
    assert policy.refusal(ip("::ffff:10.20.3.4")) is None


def test_metadata_addresses_are_refused_even_inside_allowed_networks() -> None:
    policy = AddressPolicy.of(HttpConfig(allowed_networks=("0.0.0.0/0", "::/0")))
    assert "cloud metadata" in str(policy.refusal(ip("169.254.169.254")))
    assert "cloud metadata" in str(policy.refusal(ip("fd00:ec2::254")))
    assert "cloud metadata" in str(policy.refusal(ip("::ffff:169.254.169.254")))
    assert policy.refusal(ip("169.254.1.1")) is None


@pytest.mark.parametrize(
    "address", ["169.254.170.23", "fd00:ec2::23", "fd20:ce::254", "168.63.129.16"]
)
def test_every_cloud_s_credential_endpoint_is_refused_whatever_is_allowed(address: str) -> None:
    # EKS Pod Identity, GCP over IPv6, and Azure's wire server (a public address)
    for config in (HttpConfig(), HttpConfig(allowed_networks=("0.0.0.0/0", "::/0"))):
        assert "cloud metadata" in str(AddressPolicy.of(config).refusal(ip(address)))


def test_a_zone_does_not_hide_an_address() -> None:
    assert literal_ip("fd00:ec2::254%25eth0") == ip("fd00:ec2::254")


def test_one_refused_address_among_public_ones_refuses_the_host() -> None:
    # Given a name that resolves to a public and a loopback address (DNS rebinding)
    addresses = ["93.184.215.14", "127.0.0.1"]
    # When they are checked / Then the host is refused, naming the bad address
    with pytest.raises(AddressRefusedError, match="api.test: 127.0.0.1 is a loopback"):
        check_resolved("api.test", addresses, AddressPolicy())
    check_resolved("api.test", ["93.184.215.14"], AddressPolicy())
