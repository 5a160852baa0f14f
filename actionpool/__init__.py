"""actionpool: an out-of-process worker pool for Backstage scaffolder actions.

The installed package is one namespace: `actionpool.actions` (the action SDK),
`actionpool.worker` (the run store, the broker, the workers, telemetry) and `actionpool.api`
(the HTTP API). In the repository they are the top-level folders `actions/`, `worker/` and
`api/`; `actionpool/` links them and holds the command line (`actionpool.cli`), which starts
every part.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("actionpool")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
