"""Suite 7, scale-out: two graphgate instances on one PostgreSQL database, one emulated
tenant. A client signs in on A and calls tools on B; a revocation on B takes effect on B at once and on A within
1 s, as does a block from the command line on both; the per-user rate limit holds across both; a Microsoft access
token that expires is refreshed once, not once per instance.
Needs PostgreSQL: runs when scripts/test provides GRAPHGATE_TEST_POSTGRES_E2E_URL (a fresh database is created).
"""
import asyncio
import base64
import glob
import os
import secrets
import shutil
import subprocess
import time
import urllib.parse

import httpx
import pytest

from ggharness import PROTOCOL, GraphGate, Login, McpClient, Sandbox, fresh_workdir

URL = os.environ.get("GRAPHGATE_TEST_POSTGRES_E2E_URL")
pytestmark = pytest.mark.skipif(not URL, reason="scripts/test provides PostgreSQL")
RATE = 40


def create_database() -> str:
    """A fresh database next to the E2E one, so earlier suites' rows (other keyrings) are not in the way."""
    parsed = urllib.parse.urlparse(URL)
    name = "gg_scaleout_" + secrets.token_hex(4)
    createdb = (sorted(glob.glob("/usr/lib/postgresql/*/bin/createdb")) or [shutil.which("createdb")])[-1]
    env = dict(os.environ, PGPASSWORD=urllib.parse.unquote(parsed.password or ""))
    subprocess.run([createdb, "-h", parsed.hostname, "-p", str(parsed.port), "-U", parsed.username, name],
                   env=env, check=True, capture_output=True)
    return parsed._replace(path="/" + name).geturl()


@pytest.fixture(scope="module")
def pair():
    database = create_database()
    workdir = fresh_workdir("gg-scaleout-")
    sandbox = Sandbox(workdir)
    sandbox.ensure_users(5)
    shared = {"GRAPHGATE_RATE_LIMIT": str(RATE),
              "GRAPHGATE_KEYRING_KEY": "1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
              "GRAPHGATE_AUDIT_KEY": os.path.join(workdir, "audit-signing.key")}
    a_dir, b_dir = os.path.join(workdir, "a"), os.path.join(workdir, "b")
    os.makedirs(a_dir)
    os.makedirs(b_dir)
    a = GraphGate(sandbox, a_dir, database_url=database, extra_env=shared)
    # Behind a load balancer both instances have one public URL (issuer, token audience): A's.
    b = GraphGate(sandbox, b_dir, database_url=database, extra_env={**shared, "GRAPHGATE_PUBLIC_URL": a.base})
    try:
        yield sandbox, a, b
    finally:
        codes = (a.stop(), b.stop())
        sandbox.stop()
        assert codes == (0, 0)


def on(login: Login, base: str) -> Login:
    """The same client (same tokens) pointed at another instance."""
    twin = Login.__new__(Login)
    twin.__dict__.update(login.__dict__)
    twin.base = base
    return twin


async def call(login: Login, tool="list_messages", args=None):
    async with httpx.AsyncClient(timeout=60) as http:
        client = McpClient(http, login)
        await client.initialize()
        return await client.call_tool(tool, args if args is not None else {"page_size": 3})


def test_sign_in_on_a_and_call_on_b_then_revoke_on_b_ends_it_on_a(pair):
    _, a, b = pair
    login = Login(a.base, 0)
    error, text, _ = asyncio.run(call(on(login, b.base)))
    assert not error and text.count("id=") == 3, text[:300]
    error, _, _ = asyncio.run(call(login))
    assert not error
    r = httpx.post(f"{b.base}/oauth/revoke", data={"token": login.refresh_token, "client_id": login.client_id})
    assert r.status_code == 200
    assert ping(b, login) == 401, "the instance that revoked refuses at once"
    # A serves bearer checks from memory; it learns of B's revocation from the shared epoch within 1 s.
    assert first_status_within(a, login, 401, seconds=1.0) is not None, "A still accepts the token after 1 s"


def test_two_instances_serve_one_legacy_session_alternately(pair):
    """A handshake-era session is a row in the shared store, not process memory: opened on A, it serves calls on
    A and B in turn, and a DELETE on B ends it for A too (404, so the client re-initializes)."""
    _, a, b = pair
    login = Login(a.base, 4)  # a person of its own: B now holds this person's Microsoft token in memory

    async def scenario():
        async with httpx.AsyncClient(timeout=60) as http:
            client = McpClient(http, login)
            await client.initialize()
            session = client.session_id
            assert session
            for instance in (a, b, a, b):
                client.login = on(login, instance.base)
                r, message = await client.rpc("tools/call", {"name": "list_messages", "arguments": {"page_size": 2}})
                assert r.status_code == 200, (instance.base, r.status_code, r.text[:300])
                assert not message["result"].get("isError"), message
                assert client.session_id == session
            ended = await http.delete(f"{b.base}/mcp", headers=client.headers())
            assert ended.status_code in (200, 202, 204), ended.text[:300]
            client.login = on(login, a.base)
            r, _ = await client.rpc("tools/list")
            assert r.status_code == 404, "A still serves the session B ended"
    asyncio.run(scenario())


def test_a_paging_cursor_made_on_a_continues_on_b(pair):
    """Cursors are sealed with a key both instances derive from the shared keyring: the next page of a list read
    on A is read on B."""
    _, a, b = pair
    login = Login(a.base, 4)
    error, text, raw = asyncio.run(call(login, args={"page_size": 2}))
    assert not error, text[:300]
    cursor = raw["structuredContent"]["next_cursor"]
    assert cursor, "the mailbox has more than two messages"
    error, text, raw = asyncio.run(call(on(login, b.base), args={"page_size": 2, "cursor": cursor}))
    assert not error, text[:300]
    assert raw["structuredContent"]["messages"], text[:300]


def ping(instance: GraphGate, login: Login) -> int:
    """The HTTP status of an `initialize` with the login's bearer: 200 once the bearer is accepted (a bare `ping`
    outside a session is a 400 whatever the bearer), 401 or 403 when it is refused."""
    return httpx.post(f"{instance.base}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "scaleout", "version": "1"}}},
        headers={"Authorization": f"Bearer {login.access_token}", "Accept": "application/json, text/event-stream",
                 "Content-Type": "application/json"}).status_code


def first_status_within(instance: GraphGate, login: Login, status: int, seconds: float) -> float | None:
    """Pings until the answer is `status`; returns how long that took, or None if not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started <= seconds:
        if ping(instance, login) == status:
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def test_a_block_from_the_command_line_reaches_both_instances_within_a_second(pair):
    _, a, b = pair
    login = Login(a.base, 3)
    for instance in (a, b):  # both have the token and the user's block state in memory now
        assert not asyncio.run(call(on(login, instance.base)))[0]
    blocked = a.cli("admin", "block", login.upn)
    assert blocked.returncode == 0, blocked.stderr[-500:]
    for instance in (a, b):
        assert first_status_within(instance, on(login, instance.base), 403, seconds=1.0) is not None, \
            f"{instance.base} still serves a blocked user after 1 s"
    assert a.cli("admin", "unblock", login.upn).returncode == 0
    for instance in (a, b):
        assert first_status_within(instance, on(login, instance.base), 200, seconds=1.0) is not None


def test_the_per_user_rate_limit_holds_across_both_instances(pair):
    _, a, b = pair
    login = Login(a.base, 1)

    async def burst():
        outcomes = []
        async with httpx.AsyncClient(timeout=60) as http:
            clients = [McpClient(http, login), McpClient(http, on(login, b.base))]
            for c in clients:
                await c.initialize()
            for i in range(RATE * 2):
                try:
                    error, text, _ = await clients[i % 2].call_tool("get_profile", {})
                    outcomes.append(not error)
                except Exception:
                    outcomes.append(False)
        return outcomes
    outcomes = asyncio.run(burst())
    assert RATE // 2 <= sum(outcomes) <= RATE + 2, f"{sum(outcomes)} of {len(outcomes)} calls passed a limit of {RATE}/min"


def test_an_expired_microsoft_token_is_refreshed_once_across_both(pair):
    sandbox, a, b = pair
    login = Login(a.base, 2)
    assert not asyncio.run(call(login))[0]
    sandbox.control("POST", f"users/{urllib.parse.quote(login.upn)}/expire-access-tokens")
    sandbox.control("DELETE", "grants")

    async def storm():
        async with httpx.AsyncClient(timeout=120) as http:
            clients = [McpClient(http, on(login, base)) for base in (a.base, b.base) for _ in range(4)]
            await asyncio.gather(*(c.initialize() for c in clients))
            return await asyncio.gather(*(c.call_tool("list_messages", {"page_size": 3}) for c in clients))
    results = asyncio.run(storm())
    assert all(not error for error, _, _ in results), [t[:200] for e, t, _ in results if e]
    requested = sandbox.control("GET", "grants")["requested"].get("refresh_token", 0)
    assert requested == 1, f"{requested} refreshes for one expiry across two instances"
