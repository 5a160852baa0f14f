"""The pinned Backstage backend of `examples/backstage/backend`: installed from its committed
lock file (only when the lock changed), compiled with tsc, started as a real Node process, and
a client for its scaffolder API signed in as the catalog's guest user."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests import measurements
from tests.e2e.processes import Service, start
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "examples" / "backstage" / "backend"
APP_CONFIG = ROOT / "examples" / "backstage" / "app-config.yaml"
TEMPLATES = ROOT / "examples" / "backstage" / "templates"
HERE = Path(__file__).resolve().parent
OVERLAY = HERE / "app-config.e2e.yaml"
STAMP = BACKEND / "node_modules" / ".actionpool-e2e-installed"
MODULE = ROOT / "backstage" / "plugin-scaffolder-backend-module-actionpool"
MODULE_PACKAGE = "@actionpool/plugin-scaffolder-backend-module-actionpool"
MODULE_STAMP = BACKEND / "node_modules" / ".actionpool-e2e-module"

GUEST = "user:default/guest"
TEAM = "group:default/payments"


def report(line: str) -> None:
    """A figure for the "backstage e2e: measured" summary."""
    measurements.report("backstage e2e", line)


def _digest(*paths: Path) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


class InstallError(Exception):
    """The backend could not be installed or built."""


def install() -> None:
    """`npm ci` from the committed lock when the lock (or package.json) changed since the last
    install; a fresh copy of the actionpool module when its build changed; then `tsc` when the
    backend's source is newer than its build."""
    if not (MODULE / "dist" / "index.cjs.js").exists():
        raise InstallError(
            f"the actionpool module is not built: run `npm run build` in {MODULE} "
            "(make backstage-e2e does)"
        )
    lock = _digest(BACKEND / "package.json", BACKEND / "package-lock.json")
    module = _digest(*_module_files())
    if not STAMP.exists() or STAMP.read_text() != lock:
        started = time.monotonic()
        _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], "npm ci")
        STAMP.write_text(lock)
        MODULE_STAMP.write_text(module)
        report(f"npm ci of the Backstage backend: {time.monotonic() - started:.0f} s")
    elif not MODULE_STAMP.exists() or MODULE_STAMP.read_text() != module:
        # npm copies a file: dependency (install-links) when it installs it, and only then
        started = time.monotonic()
        shutil.rmtree(BACKEND / "node_modules" / MODULE_PACKAGE, ignore_errors=True)
        command = ["npm", "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error"]
        _run(command, "npm install of the actionpool module")
        MODULE_STAMP.write_text(module)
        report(f"npm install of the rebuilt actionpool module: {time.monotonic() - started:.0f} s")
    built = BACKEND / "dist" / "index.js"
    sources = [*sorted((BACKEND / "src").rglob("*.ts")), BACKEND / "tsconfig.json", MODULE_STAMP]
    if not built.exists() or built.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        started = time.monotonic()
        _run([str(BACKEND / "node_modules" / ".bin" / "tsc"), "-p", str(BACKEND)], "tsc")
        report(f"tsc of the Backstage backend: {time.monotonic() - started:.1f} s")


def _module_files() -> list[Path]:
    """What npm packs of the module (its package.json `files`)."""
    return [
        MODULE / "package.json",
        MODULE / "config.d.ts",
        *sorted(p for p in (MODULE / "dist").rglob("*") if p.is_file()),
    ]


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, cwd=BACKEND, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InstallError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def start_backend(port: int, env: dict[str, str], log_dir: Path) -> Service:
    """The backend on 127.0.0.1:`port` with the example config and the test overlay; returns
    once it is ready (`/.backstage/health/v1/readiness`)."""
    settings = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")},
        "NODE_OPTIONS": "--no-node-snapshot",
        "BACKSTAGE_PORT": str(port),
        "BACKSTAGE_E2E_DIR": str(HERE),
        "BACKSTAGE_E2E_TEMPLATES": str(TEMPLATES),
        **env,
    }
    entry = BACKEND / "dist" / "index.js"
    command = ["node", str(entry), "--config", str(APP_CONFIG), "--config", str(OVERLAY)]
    started = time.monotonic()
    # in the backend's folder: Backstage finds its package root (and config) from there
    service = start("backstage", command, settings, log_dir, cwd=BACKEND)
    url = f"http://127.0.0.1:{port}/.backstage/health/v1/readiness"

    def ready() -> bool:
        if service.process.poll() is not None:
            raise AssertionError(f"backstage exited early:\n{service.log()[-5000:]}")
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, timeout_s=120, what=f"{url} to answer 200")
    report(f"Backstage backend start (process to readiness): {time.monotonic() - started:.1f} s")
    return service


class Backstage:
    """The scaffolder's REST API as the guest user, who is a member of `TEAM` in the catalog."""

    def __init__(self, port: int, service: Service) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.service = service
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def token(self) -> str:
        """A fresh guest sign-in token (`POST /api/auth/guest/refresh`)."""
        response = self.http.post("/api/auth/guest/refresh")
        assert response.status_code == 200, response.text
        token: str = response.json()["backstageIdentity"]["token"]
        return token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def wait_for_catalog(self, refs: list[str]) -> None:
        """Until the catalog serves every entity ref (`kind:namespace/name`)."""
        headers = self.headers()

        def served() -> bool:
            return all(self._entity(ref, headers) for ref in refs)

        wait_until(served, timeout_s=120, what=f"the catalog to serve {refs}")

    def _entity(self, ref: str, headers: dict[str, str]) -> bool:
        kind, _, rest = ref.partition(":")
        namespace, _, name = rest.partition("/")
        path = f"/api/catalog/entities/by-name/{kind}/{namespace}/{name}"
        return self.http.get(path, headers=headers).status_code == 200

    def create_task(self, template: str, values: dict[str, Any]) -> str:
        body = {"templateRef": f"template:default/{template}", "values": values}
        response = self.http.post("/api/scaffolder/v2/tasks", json=body, headers=self.headers())
        assert response.status_code == 201, response.text
        task_id: str = response.json()["id"]
        return task_id

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/scaffolder/v2/tasks/{task_id}", headers=self.headers())
        assert response.status_code == 200, response.text
        task: dict[str, Any] = response.json()
        return task

    def events(self, task_id: str, after: int = 0) -> list[dict[str, Any]]:
        """The task's events after `after`; long-polls (up to 30 s) when there are none yet."""
        response = self.http.get(
            f"/api/scaffolder/v2/tasks/{task_id}/events",
            params={"after": after} if after else {},
            headers=self.headers(),
        )
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()
        return events

    def wait_for_end(self, task_id: str, after: int = 0, timeout_s: float = 300) -> Task:
        """The task's events up to its next `completion` event after `after`, and the task."""
        seen: list[dict[str, Any]] = []

        def ended() -> bool:
            last = seen[-1]["id"] if seen else after
            seen.extend(self.events(task_id, last))
            return any(e["type"] == "completion" and e["id"] > after for e in seen)

        wait_until(ended, timeout_s=timeout_s, what=f"task {task_id} to complete")
        return Task(self.task(task_id), self.events(task_id))

    def retry(self, task_id: str) -> int:
        """Retry the task; the id of its last event before the retry."""
        last = self.events(task_id)[-1]["id"]
        response = self.http.post(
            f"/api/scaffolder/v2/tasks/{task_id}/retry", json={}, headers=self.headers()
        )
        assert response.status_code == 201, response.text
        last_id: int = last
        return last_id

    def cancel(self, task_id: str) -> httpx.Response:
        return self.http.post(f"/api/scaffolder/v2/tasks/{task_id}/cancel", headers=self.headers())


class Task:
    """A task as `GET /api/scaffolder/v2/tasks/{id}` shows it, with its events."""

    def __init__(self, record: dict[str, Any], events: list[dict[str, Any]]) -> None:
        self.record = record
        self.events = events

    @property
    def id(self) -> str:
        task_id: str = self.record["id"]
        return task_id

    @property
    def status(self) -> str:
        status: str = self.record["status"]
        return status

    def completion(self) -> dict[str, Any]:
        """The body of the task's last completion event."""
        body: dict[str, Any] = [e for e in self.events if e["type"] == "completion"][-1]["body"]
        return body

    def step_log(self, step_id: str, after: int = 0) -> list[str]:
        """The step's log lines (after event `after`), as the UI shows them."""
        return [
            e["body"]["message"]
            for e in self.events
            if e["type"] == "log" and e["body"].get("stepId") == step_id and e["id"] > after
        ]

    def step_statuses(self, step_id: str, after: int = 0) -> list[str]:
        return [
            e["body"]["status"]
            for e in self.events
            if e["type"] == "log"
            and e["body"].get("stepId") == step_id
            and "status" in e["body"]
            and e["id"] > after
        ]
