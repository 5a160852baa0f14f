"""Every error actionpool raises, in one tree.

    ActionPoolError                    root of everything below
    ├── ActionError                    an attempt of an action failed (recorded on the run)
    │   ├── RetryableActionError       a transient failure; the retry policy may try again
    │   ├── NonRetryableActionError    a permanent failure; the run fails at once
    │   │   ├── OutputValidationError  the action returned output that violates its output model
    │   │   ├── QueueTimeoutError      the run waited on its queue longer than queue_timeout_s
    │   │   ├── DeadlineExceededError  the run passed its total deadline (deadline_s)
    │   │   └── SecretsUnreadableError the run's secrets cannot be opened (key dropped, expired)
    │   ├── ActionTimeoutError         an attempt passed its soft or hard time limit
    │   ├── ActionCancelledError       the action stopped because its run was cancelled (final)
    │   ├── WorkerLostError            the process running the attempt died (killed, OOM)
    │   └── LeaseLostError             the attempt no longer holds its run (a newer one replaced it)
    ├── RegistryError                  problems with the set of known actions
    │   ├── UnknownActionError         no action has the requested id
    │   ├── DuplicateActionError       two actions claim the same id
    │   ├── PluginLoadError            an `actionpool.actions` entry point failed to load
    │   └── InvalidOverrideError       an operator override names an unknown field or breaks a rule
    ├── RequestError                   a caller sent something we cannot accept
    │   ├── MalformedRequestError      the body is not valid JSON or a header is unusable
    │   ├── InputValidationError       the input (or the request envelope) violates its schema
    │   ├── DryRunNotSupportedError    dryRun was asked of an action that does not support it
    │   ├── IdempotencyKeyReusedError  an idempotency key came back with a different payload
    │   ├── PayloadTooLargeError       the body is larger than the configured limit
    │   ├── UnsupportedMediaTypeError  a body was sent as something other than JSON
    │   ├── RequestTimeoutError        the request's headers or body did not arrive in time (408)
    │   ├── UriTooLongError            the request's target is longer than the limit (414)
    │   ├── RequestHeaderFieldsTooLargeError  its headers are larger than the limit (431)
    │   ├── AuthenticationError        no credential, or one that is not valid (401)
    │   ├── NotAllowedError            a valid credential may not do this (403)
    │   ├── RateLimitedError           the credential starts runs faster than its rate (429)
    │   ├── RunNotFoundError           no run has the requested id
    │   ├── RunAlreadyEndedError       cancel was asked of a run that already completed or failed
    │   ├── RunNotRetryableError       retry was asked of a run still open, processing or completed
    │   └── InvalidCursorError         a listing's cursor is not one the pool gave out
    ├── RunEndedUnsuccessfullyError    a waited-for run ended failed or cancelled
    ├── RunStillProcessingError        an invoke's run did not end within its wait (it goes on)
    ├── StoreUnavailableError          Redis cannot be reached or cannot write: nothing was done
    │   └── StoreMisconfiguredError    Redis may evict keys (maxmemory-policy is not noeviction)
    │       └── SecretsKeyError        no usable ACTIONPOOL_SECRETS_KEYS (refused at start)
    ├── IdentityUnavailableError       Backstage's public keys cannot be fetched: nothing was done
    └── CommitUnknownError             Redis stopped answering after a change was sent to it:
                                       done or not, nobody knows; a retry with the same
                                       idempotency key is safe

The HTTP status of each lives in one table: `api/errors.py`.
"""

from __future__ import annotations

from typing import Any


class ActionPoolError(Exception):
    """Root of every actionpool error."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message or self.__class__.__doc__ or self.__class__.__name__

    @property
    def name(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        return self.message


class ActionError(ActionPoolError):
    """Raised by (or for) an action when one attempt fails."""


class RetryableActionError(ActionError):
    """Raised by an action for a transient failure: the retry policy may try again."""


class NonRetryableActionError(ActionError):
    """Raised by an action for a permanent failure: the run fails without another attempt."""


class OutputValidationError(NonRetryableActionError):
    """Raised when an action returns output that does not match its output model."""


class QueueTimeoutError(NonRetryableActionError):
    """Recorded when a run stayed `open` past its queue timeout: it never starts."""


class DeadlineExceededError(NonRetryableActionError):
    """Recorded when a run passed its total deadline across attempts and backoff waits."""


class ActionTimeoutError(ActionError):
    """Raised when an attempt passes its soft time limit, or recorded when it is killed."""


class ActionCancelledError(ActionError):
    """Raised inside an action that stops because its run was cancelled."""


class WorkerLostError(ActionError):
    """Recorded when the process running an attempt died without reporting back."""


class SecretsUnreadableError(NonRetryableActionError):
    """Recorded when a run's secrets cannot be read back: none of the configured keys opens
    them (the key they were sealed with was dropped while the run could still execute), or
    they expired before an attempt started. The run fails without running its action."""


class LeaseLostError(ActionError):
    """Raised inside an attempt whose lease passed to a newer attempt: it must stop."""


class RegistryError(ActionPoolError):
    """Raised for problems with the set of registered actions."""


class UnknownActionError(RegistryError):
    """Raised when no registered action has the requested id."""


class DuplicateActionError(RegistryError):
    """Raised when two actions are registered under one id."""


class PluginLoadError(RegistryError):
    """Raised (and reported, not propagated) when an entry-point plugin fails to load."""


class InvalidOverrideError(RegistryError):
    """Raised at startup when an action override has an unknown field or an invalid value."""


class RequestError(ActionPoolError):
    """Raised when a caller sent something that cannot be accepted."""


class MalformedRequestError(RequestError):
    """Raised when the body is not valid JSON, or a header cannot be parsed."""


class InputValidationError(RequestError):
    """Raised when the input or the request envelope violates its schema."""

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class DryRunNotSupportedError(RequestError):
    """Raised when dryRun is requested for an action that does not support it."""


class IdempotencyKeyReusedError(RequestError):
    """Raised when an idempotency key is reused with a different payload."""


class PayloadTooLargeError(RequestError):
    """Raised when a request body is larger than the configured limit."""


class UnsupportedMediaTypeError(RequestError):
    """Raised when a request body comes with a Content-Type that is not JSON."""


class RequestTimeoutError(RequestError):
    """Raised when a request's headers or body did not arrive in time."""


class UriTooLongError(RequestError):
    """Raised when a request's target (path and query) is longer than the limit."""


class RequestHeaderFieldsTooLargeError(RequestError):
    """Raised when a request's headers are larger than the limit."""


class AuthenticationError(RequestError):
    """Raised when a request carries no credential, or one that is not valid (unknown static
    token; a Backstage token with a bad signature, expired, for another audience)."""


class NotAllowedError(RequestError):
    """Raised when a valid credential may not do what the request asks (a scope it lacks, an
    owner it may not act for)."""


class RateLimitedError(RequestError):
    """Raised when a credential starts runs faster than its configured rate."""

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RunNotFoundError(RequestError):
    """Raised when no run has the requested id."""


class RunAlreadyEndedError(RequestError):
    """Raised when cancellation is asked of a run that already completed or failed."""


class RunNotRetryableError(RequestError):
    """Raised when retry is asked of a run that has not ended (open, processing) or that
    completed: only a failed or cancelled run is retried."""


class InvalidCursorError(RequestError):
    """Raised when a listing's `cursor` is not one a listing answered with."""


class RunEndedUnsuccessfullyError(ActionPoolError):
    """Raised when a waited-for run ended failed or cancelled; carries the run's own error,
    and names the run (its id and status: the answer links to it, it does not repeat it)."""

    def __init__(self, error_name: str, message: str, run_id: str, status: str) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.run_id = run_id
        self.status = status

    @property
    def name(self) -> str:
        return self.error_name


class RunStillProcessingError(ActionPoolError):
    """Raised when a distributed action's invoke waited as long as it may and its run has
    not ended: the run goes on; the same request (same idempotency key) waits for it again."""

    retry_after_s = 5
    status = "processing"

    def __init__(self, message: str, run_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class StoreUnavailableError(ActionPoolError):
    """Raised when Redis (the run store and broker) cannot be reached or cannot write, and
    nothing was changed: a run asked for was not recorded and will never run."""

    retry_after_s = 5


class StoreMisconfiguredError(StoreUnavailableError):
    """Raised when Redis may evict keys (its maxmemory-policy is not `noeviction`): runs
    would vanish without a trace."""


class IdentityUnavailableError(ActionPoolError):
    """Raised when a Backstage token cannot be checked because Backstage's public keys cannot
    be fetched; nothing was done."""

    retry_after_s = 5


class SecretsKeyError(StoreMisconfiguredError):
    """Raised at start when `ACTIONPOOL_SECRETS_KEYS` holds no key, or one that is not a Fernet
    key: the run store cannot keep secrets encrypted."""


class CommitUnknownError(ActionPoolError):
    """Raised when Redis stopped answering after a change (a new run, a cancellation) was
    sent to it, and did not answer again in time: it may or may not have been made."""

    retry_after_s = 5
