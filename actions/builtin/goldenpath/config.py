"""`GoldenPathConfig`: where `golden-path:create-repository` finds its skeleton and snippet
libraries, and how large they may be.

Set through the environment, as JSON or one field at a time:

    ACTIONPOOL_GOLDEN_PATH__SNIPPET_LIBRARY_DIR=/srv/golden-path/snippets
    ACTIONPOOL_GOLDEN_PATH__SKELETON_LIBRARY_DIR=/srv/golden-path/skeletons
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

SHIPPED_LIBRARY_DIR = Path(__file__).resolve().parent / "library"
"""The default libraries installed with actionpool (`skeletons/` and `snippets/`)."""


class GoldenPathConfig(BaseModel):
    """What the operator configures for `golden-path:create-repository`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    skeleton_library_dir: Path | None = Field(
        default=None,
        description=(
            "The folder of skeletons (`<name>/skeleton.yaml` and `<name>/files/`) an input "
            "may name with `skeleton` (None: the library shipped with actionpool)"
        ),
    )
    snippet_library_dir: Path | None = Field(
        default=None,
        description=(
            "The folder of versioned CI snippets (`languages.yaml` and "
            "`<id>/<version>.yaml`) pipelines are composed from (None: the shipped library)"
        ),
    )
    max_snippet_files: int = Field(
        default=2_000, ge=1, le=100_000, description="Most snippet files a library may hold"
    )
    max_snippet_file_bytes: int = Field(
        default=64 * 1024, ge=1, description="Largest snippet (or languages.yaml) file"
    )
    max_pipeline_bytes: int = Field(
        default=256 * 1024, ge=1, description="Largest CI pipeline file a composition may write"
    )

    @property
    def skeletons_dir(self) -> Path:
        """The skeleton library in use."""
        return self.skeleton_library_dir or SHIPPED_LIBRARY_DIR / "skeletons"

    @property
    def snippets_dir(self) -> Path:
        """The snippet library in use."""
        return self.snippet_library_dir or SHIPPED_LIBRARY_DIR / "snippets"
