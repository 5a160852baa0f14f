"""The package the Dockerfile builds: exactly its files make one `actionpool` package, with
the Lua scripts, and no top-level `api`, `worker` or `actions`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COPY = re.compile(r"^COPY ((?:\S+ )+)\S+$", re.MULTILINE)


@pytest.mark.timeout(120)
def test_the_image_s_files_build_one_actionpool_package(tmp_path: Path) -> None:
    # Given what the Dockerfile copies into the image (symlinks kept, as COPY keeps them)
    source = tmp_path / "app"
    source.mkdir()
    for sources in COPY.findall((ROOT / "Dockerfile").read_text()):
        for item in sources.split():
            origin = ROOT / item.rstrip("/")
            target = source / origin.name
            if origin.is_dir():
                shutil.copytree(
                    origin, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy(origin, target)
    # When a wheel is built from them
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        check=True,
    )  # fmt: skip
    [wheel] = (tmp_path / "dist").glob("actionpool-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    # Then everything is under `actionpool/`, the scripts and the type marker included
    tops = {name.split("/", 1)[0] for name in names if not name.startswith("actionpool-")}
    assert tops == {"actionpool"}
    for expected in (
        "actionpool/cli.py",
        "actionpool/py.typed",
        "actionpool/actions/action.py",
        "actionpool/api/app.py",
        "actionpool/worker/client.py",
        "actionpool/worker/store/lua/create.lua",
        "actionpool/worker/store/lua/_lib.lua",
    ):
        assert expected in names, expected
