"""Imports point one way: api -> worker -> actions; actions never imports Celery or FastAPI;
the API reaches the worker side only through its client, the settings and telemetry; and
everything is imported by its installed name (`actionpool.*`)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("actions", "worker", "api")

FORBIDDEN = {
    "actions": {
        "actionpool.api",
        "actionpool.worker",
        "celery",
        "kombu",
        "billiard",
        "fastapi",
        "starlette",
        "redis",
    },
    "worker": {"actionpool.api", "fastapi", "starlette", "uvicorn"},
}

API_MAY_USE = ("actionpool.worker.client", "actionpool.worker.settings")
API_MAY_USE_PACKAGES = ("actionpool.worker.telemetry",)


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def sources(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


def matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(f"{prefix}.")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_point_one_way(layer: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if any(matches(m, f) for f in FORBIDDEN[layer])
        )
        for path in sources(layer)
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_api_reaches_the_worker_side_only_through_client_settings_and_telemetry() -> None:
    used = {
        module
        for path in sources("api")
        for module in imported_modules(path)
        if matches(module, "actionpool.worker")
    }
    allowed = {
        m for m in used if m in API_MAY_USE or any(matches(m, p) for p in API_MAY_USE_PACKAGES)
    }
    assert used - allowed == set()


def test_everything_is_imported_by_its_installed_name() -> None:
    # `api`, `worker` and `actions` are installed as `actionpool.api`, ...: a bare `worker`
    # import would load a second copy of a module (or nothing, once installed)
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if any(matches(m, layer) for layer in LAYERS)
        )
        for path in sources(*LAYERS, "actionpool", "tests", "bench")
        if not path.is_symlink()
    }
    assert {path: found for path, found in offenders.items() if found} == {}
