import contextlib
from pathlib import Path

from tests.unit.actions.helpers import make_context


def test_checkpoint_runs_its_function_once_per_key(tmp_path: Path) -> None:
    # Given an attempt that created a repository inside a checkpoint
    ctx, _ = make_context(tmp_path, attempt=1)
    calls: list[int] = []

    def create() -> dict[str, str]:
        calls.append(1)
        return {"url": "https://git/x"}

    first = ctx.checkpoint("create-repo.v1", create)
    # When a later attempt of the same run reaches the same checkpoint
    retry = ctx.__class__(**{**ctx.__dict__, "attempt": 2})
    second = retry.checkpoint("create-repo.v1", create)
    # Then the function ran once and both attempts see the same value
    assert calls == [1]
    assert first == second == {"url": "https://git/x"}


def test_failed_checkpoint_function_runs_again(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path)
    attempts: list[int] = []

    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("transient")
        return 7

    with contextlib.suppress(RuntimeError):
        ctx.checkpoint("k", flaky)
    assert ctx.checkpoint("k", flaky) == 7
    assert len(attempts) == 2


def test_sleep_returns_early_when_cancelled(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path)
    ctx.cancelled.set()
    assert ctx.sleep(30) is True


def test_workspace_is_created_only_when_used(tmp_path: Path) -> None:
    # Given an attempt's context
    ctx, _ = make_context(tmp_path)
    # Then its workspace does not exist until the action asks for it
    assert not ctx.workspace_dir.exists()
    (ctx.workspace / "file").write_text("x")
    assert ctx.workspace_dir.is_dir()
