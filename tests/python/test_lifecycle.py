"""Start and stop as an operator sees them: `graphgate serve` on an empty database migrates it before anything
touches it, serves, and stops on SIGTERM with exit code 0, a final signed audit head covering the last request,
and not one warning or error in its log on the way (on SQLite, and on PostgreSQL when scripts/test provides it).
"""
import json
import os

import httpx
import pytest

from ggharness import GraphGate, Sandbox, fresh_workdir
from test_scaleout import URL as POSTGRES_URL, create_database

QUIET_LEVELS = {"trace", "debug", "info", "notice"}


def log_lines(graphgate: GraphGate) -> list[dict]:
    lines = []
    for path in graphgate.log_files:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    lines.append(json.loads(line))
    return lines


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_first_start_and_a_sigterm_stop_are_clean(backend):
    if backend == "postgres" and not POSTGRES_URL:
        pytest.skip("scripts/test provides PostgreSQL")
    workdir = fresh_workdir(f"gg-lifecycle-{backend}-")
    sandbox = Sandbox(workdir)
    audit_key = os.path.join(workdir, "audit-signing.key")
    try:
        database = create_database() if backend == "postgres" else None
        graphgate = GraphGate(sandbox, workdir, database_url=database, extra_env={"GRAPHGATE_AUDIT_KEY": audit_key})
        try:
            assert httpx.get(f"{graphgate.base}/readyz", timeout=10).status_code == 200
            refused = httpx.post(f"{graphgate.base}/mcp", headers={"Authorization": "Bearer not-ours"}, json={})
            assert refused.status_code == 401  # one audited event to cover at shutdown
        finally:
            code = graphgate.stop()
        assert code == 0, "graphgate did not stop cleanly on SIGTERM"
        noisy = [line for line in log_lines(graphgate) if line.get("level") not in QUIET_LEVELS]
        assert noisy == [], f"warnings or errors on a clean start and stop: {noisy}"
        verify = graphgate.cli("audit", "verify", "--json")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        result = json.loads(verify.stdout)
        # The last signed head is the chain's last row: signed after the server drained, before the store closed.
        assert result["lastSeq"] >= 1 and result["latestSignedSeq"] == result["lastSeq"], result
    finally:
        sandbox.stop()
