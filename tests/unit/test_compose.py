"""docker-compose.yml is a correct file for the pool (no Docker engine runs in CI)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


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
