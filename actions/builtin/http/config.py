"""`HttpConfig`: what `http:request` may reach and how much it may send, read and wait.

ACTIONPOOL_HTTP__ALLOWED_HOSTS='["api.example.com", "*.example.org"]'
ACTIONPOOL_HTTP__ALLOWED_NETWORKS='["10.20.0.0/16"]'
ACTIONPOOL_HTTP__MAX_RESPONSE_BYTES=4194304
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, field_validator, model_validator

MIB = 1024 * 1024
HOST_PATTERN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.:*_")


def normalise_host(host: str) -> str:
    """A host as the checks compare it: lower case, IDNA (punycode), no trailing dot."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


class HttpConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description="Hosts http:request may call: exact names, '*.example.com' for the "
        "subdomains of example.com, or literal IPs (a literal IP listed here may be a "
        "non-public one). Empty: any host whose addresses are all public",
    )
    allowed_networks: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description="CIDRs of non-public addresses (private, loopback, link-local...) "
        "http:request may connect to, e.g. ['10.20.0.0/16']; cloud metadata addresses "
        "are refused even inside them",
    )
    allowed_schemes: tuple[Literal["http", "https"], ...] = Field(
        default=("http", "https"), min_length=1, description="URL schemes it may use"
    )
    max_request_bytes: int = Field(
        default=MIB, ge=0, le=64 * MIB, description="Largest request body (json or body)"
    )
    max_response_bytes: int = Field(
        default=MIB,
        ge=1,
        le=64 * MIB,
        description="Largest response body read (decoded); a longer one fails the step",
    )
    default_timeout_s: float = Field(
        default=60.0, gt=0, description="A request's timeout when its input sets none"
    )
    max_timeout_s: float = Field(
        default=300.0, gt=0, le=3_600, description="Largest timeoutS an input may ask for"
    )
    max_redirects: int = Field(
        default=5, ge=0, le=20, description="Redirects followed at most (followRedirects)"
    )
    max_tries: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Tries of one request within an attempt (idempotent or keyed requests)",
    )
    max_retry_after_s: float = Field(
        default=60.0,
        ge=0,
        description="Longest Retry-After waited within an attempt; a longer one ends the "
        "attempt with a retryable error (the pool's retry policy decides)",
    )
    ca_bundle: str | None = Field(
        default=None,
        description="PEM file of the CAs to trust for https (default: certifi's bundle)",
    )

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_normalised(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        normalised = tuple(normalise_host(host) for host in hosts)
        for host in normalised:
            wildcard = host.startswith("*.") and "*" not in host[2:]
            if not host or not set(host) <= HOST_PATTERN_CHARS or ("*" in host and not wildcard):
                raise ValueError(f"{host!r} is not a host name, '*.domain' or an IP")
        return normalised

    @model_validator(mode="after")
    def _timeouts_ordered(self) -> HttpConfig:
        if self.default_timeout_s > self.max_timeout_s:
            raise ValueError("default_timeout_s must be at most max_timeout_s")
        return self
