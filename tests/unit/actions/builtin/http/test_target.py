"""Which URLs http:request may call, decided without DNS (`target.py`)."""

from __future__ import annotations

import httpx
import pytest

from actionpool.actions.builtin.http.config import HttpConfig
from actionpool.actions.builtin.http.target import display_url, host_listed, url_refusal

DEFAULT = HttpConfig()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://api.localhost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://0/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://017700000001/",
        "http://10.0.0.1/",
        "http://192.168.0.10/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1%25eth0]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://metadata/",
    ],
)
def test_the_default_config_refuses_non_public_and_metadata_hosts(url: str) -> None:
    assert url_refusal(httpx.URL(url), DEFAULT) is not None


@pytest.mark.parametrize(
    "url", ["https://api.example.com/v1", "http://93.184.215.14/", "https://[2606:4700::1111]/"]
)
def test_the_default_config_allows_public_hosts(url: str) -> None:
    assert url_refusal(httpx.URL(url), DEFAULT) is None


def test_only_http_and_https_and_what_the_operator_keeps() -> None:
    assert "scheme 'ftp'" in str(url_refusal(httpx.URL("ftp://example.com/"), DEFAULT))
    assert "scheme 'file'" in str(url_refusal(httpx.URL("file:///etc/passwd"), DEFAULT))
    https_only = HttpConfig(allowed_schemes=("https",))
    assert url_refusal(httpx.URL("http://example.com/"), https_only) is not None
    assert url_refusal(httpx.URL("https://example.com/"), https_only) is None


def test_credentials_in_the_url_are_refused() -> None:
    refusal = url_refusal(httpx.URL("https://user:pw@example.com/"), DEFAULT)
    assert refusal == "credentials in the URL are not allowed: send them in a header"


def test_allowed_hosts_are_exact_names_subdomain_patterns_or_ips() -> None:
    # Given an allowlist
    config = HttpConfig(allowed_hosts=("api.example.com", "*.example.org", "Bücher.de"))
    # Then listed names and subdomains of a pattern pass, and nothing else
    assert url_refusal(httpx.URL("https://API.example.com./x"), config) is None
    assert url_refusal(httpx.URL("https://a.b.example.org/"), config) is None
    assert url_refusal(httpx.URL("https://bücher.de/"), config) is None
    assert url_refusal(httpx.URL("https://example.org/"), config) is not None
    assert url_refusal(httpx.URL("https://evil-example.org/"), config) is not None
    assert url_refusal(httpx.URL("https://api.example.com.evil.net/"), config) is not None
    assert "not one of ACTIONPOOL_HTTP__ALLOWED_HOSTS" in str(
        url_refusal(httpx.URL("https://other.com/"), config)
    )


def test_a_literal_ip_listed_as_host_is_allowed_however_it_is_written() -> None:
    # Given loopback listed as a literal IP
    config = HttpConfig(allowed_hosts=("127.0.0.1",))
    # Then it is allowed, in its other spellings too, and other loopback addresses are not
    assert url_refusal(httpx.URL("http://127.0.0.1:8080/"), config) is None
    assert url_refusal(httpx.URL("http://2130706433/"), config) is None
    assert url_refusal(httpx.URL("http://127.0.0.2/"), config) is not None
    assert host_listed("127.1", ("127.0.0.1",))


def test_localhost_is_loopback_and_allowed_only_with_loopback() -> None:
    allowed = HttpConfig(allowed_networks=("127.0.0.0/8",))
    assert url_refusal(httpx.URL("http://localhost:8000/"), allowed) is None
    assert "loopback" in str(url_refusal(httpx.URL("http://localhost:8000/"), DEFAULT))


def test_the_url_shown_in_logs_masks_every_query_value() -> None:
    url = httpx.URL("https://api.example.com/v1/x?token=abc&page=2#frag")
    assert display_url(url) == "https://api.example.com/v1/x?token=***&page=***"
