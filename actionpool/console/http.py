"""The pool's HTTP API as the command line calls it, and the one table from failures to
exit codes: every command ends with one of these, and prints an error as
`Error: <name>: <message>` on stderr (the API's own `{"error": {name, message}}`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

import httpx

EXIT_OK = 0
EXIT_FAILED = 1
"""What was asked for failed: a refused request not listed below, a run that did not
complete (`runs retry --wait`), a plugin that did not load (`actions`)."""
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_DENIED = 4
EXIT_CONFLICT = 5
EXIT_UNAVAILABLE = 6

EXIT_BY_STATUS = {
    401: EXIT_DENIED,
    403: EXIT_DENIED,
    404: EXIT_NOT_FOUND,
    409: EXIT_CONFLICT,
    502: EXIT_UNAVAILABLE,
    503: EXIT_UNAVAILABLE,
    504: EXIT_UNAVAILABLE,
}

TIMEOUT = httpx.Timeout(30, connect=5)
LONG_POLL_S = 60
"""`?wait=` of one long-poll; the read timeout leaves it room."""


class CliError(Exception):
    """Ends a command: `Error: <message>` on stderr and `exit_code`."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def exit_code_for(status: int) -> int:
    return EXIT_BY_STATUS.get(status, EXIT_FAILED)


def error_of(response: httpx.Response) -> CliError:
    """The API's error body as `<name>: <message>`, else the status line."""
    try:
        error = response.json()["error"]
        text = f"{error['name']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        text = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    return CliError(exit_code_for(response.status_code), text)


def body_of(response: httpx.Response) -> Any:
    """The answer's JSON; anything else is not the pool's API (a wrong `--url`)."""
    try:
        return response.json()
    except ValueError:
        request = response.request
        raise CliError(
            EXIT_FAILED,
            f"NotThePoolError: {request.method} {request.url} answered {response.status_code} "
            "without JSON: is the URL the pool's API root?",
        ) from None


def unreachable(url: str, exc: httpx.TransportError) -> CliError:
    reason = str(exc) or type(exc).__name__
    return CliError(EXIT_UNAVAILABLE, f"PoolUnavailableError: {url}: {reason}")


class Pool:
    """An HTTP client for one pool: answers >= 400 and transport errors become `CliError`s."""

    def __init__(self, url: str, token: str | None, transport: httpx.BaseTransport | None = None):
        headers = {"User-Agent": f"actionpool-cli/{version('actionpool')}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.url = url
        self.http = httpx.Client(
            base_url=url, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise unreachable(self.url, exc) from None
        if response.status_code >= 400:
            raise error_of(response)
        return response

    def get(self, path: str, params: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> Any:
        pairs = params.items() if isinstance(params, Mapping) else params
        return body_of(self.request("GET", path, params=tuple(pairs)))

    def post(
        self, path: str, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return self.request("POST", path, json=body, headers=headers)

    def wait_for_end(self, run_id: str) -> dict[str, Any]:
        """The run once it has ended (long-polls of `LONG_POLL_S`)."""
        timeout = httpx.Timeout(LONG_POLL_S + 30, connect=5)
        params = {"wait": str(LONG_POLL_S), "failOnError": "false"}
        while True:
            run: dict[str, Any] = body_of(
                self.request("GET", f"/v1/runs/{run_id}", params=params, timeout=timeout)
            )
            if run["status"] in ("completed", "failed", "cancelled"):
                return run

    @contextmanager
    def stream(self, path: str, headers: Mapping[str, str]) -> Iterator[httpx.Response]:
        """A streamed GET; an error answer is read and raised before anything is yielded."""
        timeout = httpx.Timeout(None, connect=5, read=60)  # keep-alives come every 15 s
        with self.http.stream("GET", path, headers=headers, timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                raise error_of(response)
            yield response

    def close(self) -> None:
        self.http.close()
