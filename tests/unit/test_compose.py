"""docker-compose.yml is a correct file for the pool (no Docker engine runs in CI)."""

import json
import re
from pathlib import Path

import yaml

from actionpool.api.identity.settings import StaticTokenConfig
from actionpool.api.identity.statictoken import StaticTokens
from actionpool.worker.store.sealing import Sealer

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DEV_TOKEN = "apt_compose-DEVELOPMENT-ONLY"


def load() -> dict:  # type: ignore[type-arg]
    data: dict = yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[type-arg]
    return data


def test_services_and_their_commands() -> None:
    services = load()["services"]
    assert set(services) == {"redis", "api", "worker"}
    assert services["api"]["command"] == ["actionpool", "api"]
    assert services["worker"]["command"] == ["actionpool", "worker"]
    assert all(services[s]["build"] == "." for s in ("api", "worker"))
    assert (ROOT / "Dockerfile").exists()


def test_redis_is_durable_and_never_evicts() -> None:
    redis = load()["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "redis-data:/data" in redis["volumes"]


def test_pool_waits_for_a_healthy_redis_at_the_right_url() -> None:
    services = load()["services"]
    for name in ("api", "worker"):
        service = services[name]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["environment"]["ACTIONPOOL_REDIS_URL"] == "redis://redis:6379/0"
    assert services["api"]["environment"]["ACTIONPOOL_API_HOST"] == "0.0.0.0"
    assert "healthcheck" in services["api"]


def test_tracing_is_configured_from_the_host_with_otel_variables_alone() -> None:
    # Given the pool's services
    services = load()["services"]
    for name in ("api", "worker"):
        environment = services[name]["environment"]
        # Then the standard OTEL_* variables pass through from the host, unset when unset
        for variable in (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_TRACES_SAMPLER",
            "OTEL_TRACES_EXPORTER",
        ):
            assert variable in environment and environment[variable] is None
        assert environment["ACTIONPOOL_LOG_FORMAT"] == "json"


def test_secrets_are_sealed_with_the_shell_s_key_or_a_marked_development_one() -> None:
    # Given the pool's services
    services = load()["services"]
    for name in ("api", "worker"):
        value = services[name]["environment"]["ACTIONPOOL_SECRETS_KEYS"]
        # Then the key comes from the host when it sets one, else a marked development key
        found = re.fullmatch(r"\$\{ACTIONPOOL_SECRETS_KEYS:-(.+)\}", value)
        assert found, value
        keys = json.loads(found[1])
        assert keys and all(key.startswith("DEVELOPMENT-ONLY") for key in keys)
        Sealer(keys)  # a usable Fernet key: the stack starts as it is


def test_the_api_accepts_the_published_development_token_only() -> None:
    # Given the api's static tokens
    entries = json.loads(load()["services"]["api"]["environment"]["ACTIONPOOL_STATIC_TOKENS"])
    tokens = StaticTokens([StaticTokenConfig.model_validate(e) for e in entries])
    # Then the token the header comment publishes is the one admin, and nothing else
    assert tokens.verify(COMPOSE_DEV_TOKEN) is not None
    assert COMPOSE_DEV_TOKEN in (ROOT / "docker-compose.yml").read_text().split("\n", 3)[2]
    assert [e["subject"] for e in entries] == ["compose-dev"]
