"""Imports point one way: api -> worker -> actions; actions never imports Celery or FastAPI."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "actions": {"api", "worker", "celery", "kombu", "billiard", "fastapi", "starlette", "redis"},
    "worker": {"api", "fastapi", "starlette", "uvicorn"},
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if imported_roots(path) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_api_reaches_the_worker_side_through_its_client_and_shared_types() -> None:
    allowed = {
        "worker.client",
        "worker.records",
        "worker.settings",
        "worker.policy",
        "worker.main",
        "worker.stats",  # the flow figures' model is the view of GET /v1/stats
        # process setup every entry point shares: tracing and logs
        "worker.tracing",
        "worker.logs",
        "worker.spans",
    }
    used: set[str] = set()
    for path in (ROOT / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("worker")
            ):
                used.add(node.module)
    assert used <= allowed, used - allowed
