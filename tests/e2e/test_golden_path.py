"""`golden-path:create-repository` through the real API and a real celery worker: a new
repository pushed to a real bare git repository over file://, the snippets it was built
from in the run's output and on its attempt's span at a real OTLP receiver."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.otlp import ReceivedSpan, Receiver
from tests.e2e.pools import FaultPool, own_pool
from tests.git.repos import bare_repository, files, log

ACTION = "golden-path:create-repository"
ATTEMPT_SPAN = f"{ACTION} attempt 1"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def remotes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("remotes")


@pytest.fixture(scope="module")
def pool(
    redis_url: str, remotes: Path, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultPool]:
    """A pool whose git actions may push to repositories under `remotes` only, exporting
    its spans to the receiver."""
    with own_pool(
        redis_url,
        tmp_path_factory.mktemp("golden-path-pool"),
        ACTIONPOOL_GIT__FILE_ROOTS=json.dumps([str(remotes)]),
        ACTIONPOOL_GIT__ALLOWED_SCHEMES='["file"]',
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_BSP_SCHEDULE_DELAY="100",
    ) as pool:
        yield pool


def attempt_span_of(run_id: str) -> Callable[[list[ReceivedSpan]], bool]:
    def found(spans: list[ReceivedSpan]) -> bool:
        return any(
            s.name == ATTEMPT_SPAN and s.attributes.get("cicd.pipeline.task.run.id") == run_id
            for s in spans
        )

    return found


def test_a_repository_is_created_and_its_snippets_are_traced(
    pool: FaultPool, receiver: Receiver, remotes: Path
) -> None:
    # Given an empty repository the pool may push to
    remote = bare_repository(remotes / "billing.git")
    # When a standard-tier Go service on GitLab CI is asked for
    response = pool.start_run(
        ACTION,
        {
            "name": "billing",
            "owner": "group:default/payments",
            "skeleton": "go-service",
            "language": "go",
            "runtime": "1.22",
            "complianceTier": 2,
            "ciProvider": "gitlab-ci",
            "remoteUrl": f"file://{remote}",
        },
    )
    assert response.status_code == 202, response.text
    run = pool.wait_run(response.json()["id"], wait_s=60)
    # Then the run completed, its output naming the snippets and policies it was built from
    assert run["status"] == "completed", run
    output = run["output"]
    refs = [f"{s['id']}@{s['version']}" for s in output["snippets"]]
    assert "gitlab-go-test@1.0.0" in refs and "gitlab-policy-conftest@1.0.0" in refs
    assert {p["id"] for p in output["policies"]} == {
        "gitlab-sbom-syft",
        "gitlab-scan-trivy",
        "gitlab-policy-conftest",
    }
    # And the remote has that one commit, with the pipeline and the policy README
    assert log(remote) == [output["commitSha"]]
    assert output["pipelinePath"] == ".gitlab-ci.yml"
    tree = files(remote, output["commitSha"])
    assert b"go test -race ./..." in tree[".gitlab-ci.yml"]
    assert b"gitlab-scan-trivy@1.0.0" in tree["README.md"]
    # And the attempt's span at the OTLP receiver lists the same id@version references
    spans = receiver.wait_for(attempt_span_of(run["id"]))
    (attempt,) = [
        s
        for s in spans
        if s.name == ATTEMPT_SPAN and s.attributes.get("cicd.pipeline.task.run.id") == run["id"]
    ]
    assert attempt.attributes["actionpool.golden_path.snippets"] == refs
    assert attempt.attributes["actionpool.golden_path.tier"] == "standard"


def test_what_the_library_cannot_build_is_refused_before_it_runs(
    pool: FaultPool, remotes: Path
) -> None:
    # When a runtime the library does not offer is asked for
    response = pool.start_run(
        ACTION,
        {
            "name": "billing",
            "owner": "group:default/payments",
            "skeleton": "python-service",
            "language": "python",
            "runtime": "2.7",
            "remoteUrl": f"file://{remotes}/refused.git",
        },
    )
    # Then the API answers 422 naming the field and what is offered; no run exists
    assert response.status_code == 422, response.text
    assert "python 2.7 is not offered (offered: 3.11, 3.12, 3.13)" in response.text
