"""Small snippet libraries written into a folder, for the golden-path tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LANGUAGES = {"languages": {"python": {"runtimes": ["3.11", "3.12"]}, "go": {"runtimes": ["1.22"]}}}


def snippet(snippet_id: str = "gha-test", version: str = "1.0.0", **fields: Any) -> dict[str, Any]:
    """A valid GitHub Actions test snippet, with `fields` changed."""
    base: dict[str, Any] = {
        "id": snippet_id,
        "version": version,
        "provider": "github-actions",
        "stage": "test",
        "title": f"{snippet_id} {version}",
        "github": {"steps": [{"name": f"{snippet_id} {version}", "run": "make test"}]},
    }
    return {**base, **fields}


def write_library(root: Path, *snippets: dict[str, Any], languages: Any = None) -> Path:
    """A snippet library folder holding `snippets` (each at <id>/<version>.yaml)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "languages.yaml").write_text(yaml.safe_dump(languages or LANGUAGES))
    for item in snippets:
        folder = root / str(item["id"])
        folder.mkdir(exist_ok=True)
        (folder / f"{item['version']}.yaml").write_text(yaml.safe_dump(item, sort_keys=False))
    return root
