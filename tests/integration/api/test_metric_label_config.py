"""`ACTIONPOOL_METRICS_LABEL_OWNERS`: only the configured owners label the pool's metrics."""

from __future__ import annotations

import pytest

from actionpool.api.settings import ApiSettings
from actionpool.worker.settings import PoolSettings
from tests.identity import INFRA, PAYMENTS
from tests.integration.api.conftest import serve

pytestmark = pytest.mark.anyio


async def test_an_owner_not_configured_counts_as_other(settings: PoolSettings) -> None:
    # Given a pool whose metrics may be labelled by payments only
    configured = ApiSettings(**{**settings.model_dump(), "metrics_label_owners": [PAYMENTS]})
    async with serve(configured) as http:
        # When payments and infra each start a run
        for owner in (PAYMENTS, INFRA):
            body = {"input": {"message": "x"}, "context": {"owner": owner}}
            assert (await http.post("/v1/actions/debug:log/runs", json=body)).status_code == 202
        metrics = (await http.get("/metrics")).text
    # Then payments' run is counted under its name and infra's as _other
    created = [
        line for line in metrics.splitlines() if line.startswith("actionpool_runs_created_total{")
    ]
    assert any(f'owner="{PAYMENTS}"' in line for line in created), created
    assert any('owner="_other"' in line for line in created), created
    assert not any(INFRA in line for line in created), created
