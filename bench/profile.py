"""Optional py-spy profiles of the pool's processes under the same load (not a dependency:
`.venv/bin/pip install py-spy` to get them). Summaries go into docs/benchmarks.md."""

from __future__ import annotations

import collections
import dataclasses
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

RATE_HZ = 200
PRODUCT_DIRS = ("api/", "worker/", "actions/")
ENTRY_FRAMES = ("<module> ", "main ")
"""Process entry frames: they hold every sample, so they say nothing."""


def find_py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


@dataclasses.dataclass(frozen=True)
class Summary:
    """Where the samples holding the GIL of one process (tree) went."""

    name: str
    samples: int
    gil_busy: float
    top_self: list[tuple[str, float]]
    top_product: list[tuple[str, float]]


def _frame_name(frame: str) -> str:
    """`create_run (worker/client.py:88)` -> `create_run (worker/client.py)`."""
    name, _, where = frame.rpartition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if name else frame


def summarise(name: str, folded: str, seconds: float, top: int = 12) -> Summary:
    """Self and inclusive shares per function from py-spy's raw (folded) output."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in folded.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue  # a stack py-spy could not read whole
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";") if " (" in f]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    share = 100 / total if total else 0.0
    product = [
        f
        for f in inclusive
        if f.rpartition(" (")[2].startswith(PRODUCT_DIRS) and not f.startswith(ENTRY_FRAMES)
    ]
    product.sort(key=lambda f: -inclusive[f])
    return Summary(
        name=name,
        samples=total,
        gil_busy=total / (RATE_HZ * seconds) if seconds else 0.0,
        top_self=[(f, n * share) for f, n in own.most_common(top)],
        top_product=[(f, inclusive[f] * share) for f in product[:top]],
    )


class Profiler:
    """Records processes with py-spy while a load runs, keeps the summaries."""

    def __init__(self, py_spy: str, out_dir: Path, seconds: float = 10.0) -> None:
        self.py_spy = py_spy
        self.out_dir = out_dir
        self.seconds = seconds
        self.summaries: list[Summary] = []

    def record(self, targets: dict[str, int], load: Callable[[float], object]) -> None:
        """Profile each named pid (children included) for `seconds` while `load` runs."""
        spies = {name: self._spy(name, pid) for name, pid in targets.items()}
        loader = threading.Thread(target=load, args=(self.seconds + 1,))
        loader.start()
        for name, (proc, path) in spies.items():
            proc.wait(timeout=self.seconds + 60)
            if path.exists():
                folded = path.read_text()
                self.summaries.append(summarise(name, folded, self.seconds))
        loader.join()

    def _spy(self, name: str, pid: int) -> tuple[subprocess.Popen[bytes], Path]:
        path = self.out_dir / f"profile-{name}.txt"
        argv = [
            self.py_spy, "record", "--pid", str(pid), "--duration", str(int(self.seconds)),
            "--rate", str(RATE_HZ), "--format", "raw", "--function", "--gil", "--nonblocking",
            "--subprocesses", "--output", str(path),
        ]  # fmt: skip
        log = (self.out_dir / f"profile-{name}.log").open("wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return proc, path
