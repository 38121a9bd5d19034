"""Suite 4, secrets at rest: after a run that exercises sign-in, tool calls, our refresh, Microsoft refresh (the
tenant expires access tokens mid-run), revocation and a token-passthrough attempt, scan graphgate's SQLite file,
its WAL and every log line graphgate wrote (and, when scripts/test provides GRAPHGATE_TEST_POSTGRES_E2E_URL, a
`pg_dump` of a PostgreSQL database graphgate served the same run from) for every secret the emulated tenant ever
issued (`/_sandbox/secrets`), every code/verifier/token our authorization server issued to the test clients and
every mailbox canary — raw, base64, base64url, hex and percent-encoded: zero hits.
"""
import asyncio
import glob
import os
import shutil
import subprocess
import urllib.parse

import httpx
import pytest

from ggharness import GraphGate, Login, McpClient, Sandbox, encodings, fresh_workdir, scan
from test_isolation_load import run_load

USERS = 6


def exercise(sandbox: Sandbox, graphgate: GraphGate) -> tuple[set[str], list[Login]]:
    """A run touching every path that handles a secret; returns our own issued secrets and the logins."""
    users = sandbox.ensure_users(USERS)
    logins = [Login(graphgate.base, i) for i in range(USERS)]
    asyncio.run(run_load(logins, 7))
    # Microsoft refresh: the tenant expires two users' access tokens, the next calls make graphgate refresh.
    for login in logins[:2]:
        sandbox.control("POST", f"users/{urllib.parse.quote(login.upn)}/expire-access-tokens")
    asyncio.run(run_load(logins[:2], 4))
    assert sandbox.control("GET", "grants")["issued"].get("refresh_token", 0) >= 2, "graphgate did not refresh"
    # Our refresh (rotation), then a revocation and a logout-style revoke of the access token.
    assert logins[2].refresh().status_code == 200
    asyncio.run(run_load(logins[2:3], 3))
    r = httpx.post(f"{graphgate.base}/oauth/revoke", data={"token": logins[3].refresh_token, "client_id": logins[3].client_id})
    assert r.status_code == 200
    r = httpx.post(f"{graphgate.base}/oauth/revoke", data={"token": logins[4].access_token, "client_id": logins[4].client_id})
    assert r.status_code == 200
    # Token passthrough attempts and garbage bearer tokens must not be logged either.
    for token in list(sandbox.secret_values())[:5]:
        httpx.post(f"{graphgate.base}/mcp", headers={"Authorization": f"Bearer {token}"}, json={})
    ours = set().union(*(login.issued for login in logins))
    canaries = {u["canary"] for u in users}
    return ours | canaries, logins


def read_files(paths) -> dict[str, bytes]:
    blobs = {}
    for path in paths:
        if os.path.exists(path):
            with open(path, "rb") as f:
                blobs[os.path.basename(path)] = f.read()
    return blobs


def sqlite_files(workdir: str) -> list[str]:
    return sorted(glob.glob(os.path.join(workdir, "graphgate.sqlite*")))


def test_the_scanner_finds_every_encoding():
    secret = "gga_Sup3r-Secret_value~with/odd+chars="
    for form in encodings(secret):
        assert scan({"blob": b"prefix " + form.encode() + b" suffix"}, {secret}), form
    assert not scan({"blob": b"nothing to see here"}, {secret})


def test_sqlite_wal_and_logs_hold_no_secret():
    workdir = fresh_workdir("gg-secrets-")
    sandbox = Sandbox(workdir)
    try:
        graphgate = GraphGate(sandbox, workdir)
        try:
            ours, logins = exercise(sandbox, graphgate)
            # While running: the main file plus the WAL as it is (uncheckpointed pages live there).
            live = {f"live:{k}": v for k, v in read_files(sqlite_files(workdir)).items()}
        finally:
            assert graphgate.stop() == 0
        stopped = read_files(sqlite_files(workdir))
        logs = read_files(graphgate.log_files)
        tenant_secrets = sandbox.secret_values()
    finally:
        sandbox.stop()

    blobs = {**live, **stopped, **logs}
    # The scan looks at real data: the database knows the clients and the logs saw the traffic.
    assert any(k.endswith("graphgate.sqlite") for k in blobs)
    assert any(logins[0].client_id.encode() in v for k, v in blobs.items() if "sqlite" in k)
    assert sum(len(v) for k, v in logs.items()) > 10_000
    assert len(tenant_secrets) >= USERS * 3

    hits = scan(blobs, tenant_secrets | ours)
    assert not hits, f"secrets found at rest: {hits[:20]}"


def pg_dump_binary() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump")) or ([shutil.which("pg_dump")] if shutil.which("pg_dump") else [])
    return found[-1] if found else None


@pytest.mark.skipif(not os.environ.get("GRAPHGATE_TEST_POSTGRES_E2E_URL"), reason="scripts/test provides PostgreSQL")
def test_postgres_dump_and_logs_hold_no_secret():
    url = os.environ["GRAPHGATE_TEST_POSTGRES_E2E_URL"]
    dump = pg_dump_binary()
    assert dump, "pg_dump not found"
    workdir = fresh_workdir("gg-secrets-pg-")
    sandbox = Sandbox(workdir)
    try:
        graphgate = GraphGate(sandbox, workdir, database_url=url)
        try:
            ours, logins = exercise(sandbox, graphgate)
        finally:
            assert graphgate.stop() == 0
        logs = read_files(graphgate.log_files)
        tenant_secrets = sandbox.secret_values()
    finally:
        sandbox.stop()
    parsed = urllib.parse.urlparse(url)
    env = dict(os.environ, PGPASSWORD=urllib.parse.unquote(parsed.password or ""))
    out = subprocess.run([dump, "-h", parsed.hostname, "-p", str(parsed.port), "-U", parsed.username,
                          "--no-owner", parsed.path.lstrip("/")], env=env, capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    blobs = {"pg_dump": out.stdout, **logs}
    assert logins[0].client_id.encode() in out.stdout  # the dump holds this run's rows
    hits = scan(blobs, tenant_secrets | ours)
    assert not hits, f"secrets found at rest: {hits[:20]}"
