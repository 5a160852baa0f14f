"""The README's policy section: which checks run and why, placed between its markers."""

from __future__ import annotations

from pathlib import Path

from actionpool.actions.builtin.goldenpath.library import load_snippet_library
from actionpool.actions.builtin.goldenpath.readme import END, START, policy_section, with_section
from tests.unit.actions.builtin.goldenpath.libraries import snippet, write_library


def test_the_section_lists_each_policy_with_its_rationale(tmp_path: Path) -> None:
    # Given a build snippet and two policy snippets with their rationales
    root = write_library(
        tmp_path,
        snippet("gha-build", stage="build"),
        snippet("gha-sbom", stage="sbom", title="SBOM", rationale="Know what\n  ships."),
        snippet("gha-opa", "2.1.0", stage="policy", title="OPA", rationale="No root."),
    )
    library = load_snippet_library(root, max_files=10, max_file_bytes=65536)
    chosen = [s for versions in library.snippets.values() for s in versions]
    # When the section is written
    section = policy_section(chosen, tier="standard", pipeline_path=".gitlab-ci.yml")
    # Then it names the tier, the pipeline, and every policy (not the build) with why
    assert section.startswith(START) and section.rstrip().endswith(END)
    assert "compliance tier **standard**" in section and "`.gitlab-ci.yml`" in section
    assert "- **SBOM** (`gha-sbom@1.0.0`, sbom): Know what ships." in section
    assert "- **OPA** (`gha-opa@2.1.0`, policy): No root." in section
    assert "gha-build" not in section


def test_without_policies_the_section_says_so(tmp_path: Path) -> None:
    section = policy_section([], tier="basic", pipeline_path=".github/workflows/ci.yml")
    assert "runs no policy, SBOM or scanning step" in section


def test_the_section_is_appended_once_and_replaced_in_place() -> None:
    # Given a README with text after where the section goes
    readme = "# svc\n\nIntro.\n"
    first = with_section(readme, f"{START}\nold\n{END}\n")
    # When a new section is written into it, with more text after the first
    updated = with_section(first + "\n## Later\n", f"{START}\nnew\n{END}\n")
    # Then the section is replaced where it was, the rest kept
    assert updated == f"# svc\n\nIntro.\n\n{START}\nnew\n{END}\n\n## Later\n"
    assert with_section("", "S\n") == "S\n"
