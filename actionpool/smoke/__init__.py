"""`actionpool smoke`: one command that proves a running pool works end to end, after every
upgrade (docs/operations.md#smoke-check). It talks to the pool over HTTP only, like any client:
a real run on every queue, its trace in the trace backend (when one is named), `/metrics`
moving, cancellation, an idempotent replay, and Backstage's action listing (when a Backstage
URL is given). Each check passes, fails or is skipped with its reason; any failure makes the
command exit 1."""
