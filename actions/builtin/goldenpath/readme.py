"""The README's policy section: which policy, SBOM and scanning steps the pipeline runs, and
why (each policy snippet's rationale). Pure text functions."""

from __future__ import annotations

from collections.abc import Sequence

from actionpool.actions.builtin.goldenpath.snippet import Snippet

README_PATH = "README.md"
START = "<!-- golden-path:policies:start -->"
END = "<!-- golden-path:policies:end -->"
"""The markers around the section: a later run (or a platform team's update) replaces the
text between them and leaves the rest of the README alone."""


def policy_section(snippets: Sequence[Snippet], *, tier: str, pipeline_path: str) -> str:
    """The section, markers included, for the policy snippets among `snippets`."""
    policies = [s for s in snippets if s.is_policy]
    lines = [
        START,
        "## Policies",
        "",
        f"This repository was created on the golden path at compliance tier **{tier}**.",
    ]
    if policies:
        lines += [f"Its CI pipeline (`{pipeline_path}`) runs these checks, and this is why:", ""]
        lines += [
            f"- **{s.title}** (`{s.ref}`, {s.stage}): {_one_line(s.rationale)}" for s in policies
        ]
    else:
        lines += [
            f"At this tier its CI pipeline (`{pipeline_path}`) runs no policy, SBOM or "
            "scanning step; a higher tier adds them."
        ]
    lines += [
        "",
        "Each check comes from a versioned snippet of the platform team's golden-path library "
        "(`id@version` above); the pipeline's first lines list every snippet it was built from.",
        END,
    ]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def with_section(readme: str, section: str) -> str:
    """`readme` with `section` in place of the one between the markers, or appended."""
    start, end = readme.find(START), readme.find(END)
    if start != -1 and end > start:
        return readme[:start] + section.rstrip("\n") + readme[end + len(END) :]
    if not readme.strip():
        return section
    return readme.rstrip("\n") + "\n\n" + section
