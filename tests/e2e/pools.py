"""Pools of real processes with the test plugin actions (`fault:*`) installed through the
real `actionpool.actions` entry-point mechanism (a dist-info on PYTHONPATH)."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import redis

from tests.conftest import delete_prefix
from tests.e2e.conftest import Pool, pool_env
from tests.e2e.processes import Service, start_api, start_worker

PLUGIN = Path(__file__).resolve().parents[1] / "faults" / "faultactions.py"
ENTRY_POINTS = {
    "fault": "faultactions:count",
    "crash": "faultactions:crash",
    "traced": "faultactions:traced",
}


def install_plugin(
    site: Path, plugin: Path = PLUGIN, entry_points: dict[str, str] = ENTRY_POINTS
) -> Path:
    """A directory that, on PYTHONPATH, makes a module's actions an installed plugin (by
    default the `fault:*` actions of `faultactions.py`)."""
    site.mkdir(parents=True, exist_ok=True)
    shutil.copy(plugin, site / plugin.name)
    dist = site / f"actionpool_{plugin.stem}-0.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: actionpool-{plugin.stem}\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (dist / "entry_points.txt").write_text(f"[actionpool.actions]\n{lines}")
    return site


class FaultPool(Pool):
    """An API and several workers under one key prefix; workers can be killed and added."""

    def __init__(self, env: dict[str, str], api: Service, log_dir: Path) -> None:
        super().__init__(env, api, worker=None)  # type: ignore[arg-type]
        self.log_dir = log_dir
        self.workers: list[Service] = []
        self.names: dict[str, str] = {}
        """Service name -> the worker's Celery node name (recorded on its attempts)."""
        self.prefix = env["ACTIONPOOL_KEY_PREFIX"]

    def redispatched(self) -> int:
        """Copies of lost messages the sweep's guard put out (`runs_redispatched`)."""
        text = self.http.get("/metrics").text
        return int(
            sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("actionpool_runs_redispatched_total{")
            )
        )

    def add_worker(self) -> Service:
        name = f"worker{len(self.workers)}"
        env = {**self.env, "ACTIONPOOL_WORKER_NAME": f"{name}-{uuid.uuid4().hex[:4]}@faults"}
        worker = start_worker(env, self.log_dir, name=name)
        self.workers.append(worker)
        self.names[name] = env["ACTIONPOOL_WORKER_NAME"]
        return worker


@contextlib.contextmanager
def own_pool(
    redis_url: str, log_dir: Path, *, plugin: bool = False, **env: str
) -> Iterator[FaultPool]:
    """An API and one worker of their own (with the `fault:*` actions when `plugin`), under a
    fresh key prefix that is deleted afterwards; `env` adds settings (OTEL_*, ACTIONPOOL_*)."""
    if plugin:
        env["PYTHONPATH"] = str(install_plugin(log_dir / "site"))
    settings = pool_env(redis_url, f"apown:{uuid.uuid4().hex[:8]}:", **env)
    pool = FaultPool(settings, start_api(settings, log_dir), log_dir)
    try:
        pool.add_worker()
        yield pool
    finally:
        pool.http.close()
        for service in [pool.api, *pool.workers]:
            service.stop()
        delete_prefix(redis.Redis.from_url(redis_url), pool.prefix)
