import pytest
from redis._parsers.base import BaseParser
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from actionpool.actions.errors import RunNotFoundError, StoreUnavailableError
from actionpool.worker.client import check_run_id
from actionpool.worker.store.connection import store_errors


@pytest.mark.parametrize(
    "run_id", ["x", "8d8990e1-8d13-4c43-83ab-1807fa1b0c6f:attempts", "../secrets", ""]
)
def test_anything_but_a_uuid_names_no_run(run_id: str) -> None:
    with pytest.raises(RunNotFoundError):
        check_run_id(run_id)


def test_a_uuid_is_a_run_id() -> None:
    assert check_run_id("8d8990e1-8d13-4c43-83ab-1807fa1b0c6f")


@pytest.mark.parametrize(
    "error",
    [
        RedisConnectionError("Connection refused"),
        # as redis-py raises the error replies (it drops the code from the message)
        BaseParser.parse_error("OOM command not allowed when used memory > 'maxmemory'."),
        BaseParser.parse_error("LOADING Redis is loading the dataset in memory"),
        BaseParser.parse_error("READONLY You can't write against a read only replica."),
        BaseParser.parse_error("MISCONF Redis is configured to save RDB snapshots, but ..."),
        BaseParser.parse_error("MASTERDOWN Link with MASTER is down"),
        # as Redis 6 reports a write refused inside a script
        ResponseError(
            "Error running script (call to f_de63): @user_script:148: @user_script: 148: "
            "-OOM command not allowed when used memory > 'maxmemory'."
        ),
    ],
)
def test_unreachable_or_full_redis_is_unavailable(error: Exception) -> None:
    with pytest.raises(StoreUnavailableError), store_errors():
        raise error


def test_a_wrong_command_is_a_bug_not_an_outage() -> None:
    with pytest.raises(ResponseError), store_errors():
        raise ResponseError("Invalid stream ID specified as stream command argument")
