"""Desktop mode end to end: `graphgate login --sandbox` (device code, approved on the emulated tenant's device-code
page with httpx, as a person would in a browser), then `graphgate stdio --sandbox` driven by the official MCP Python
SDK's stdio client: list tools, read mail, survive an access-token expiry, and get a clear error after `logout`.
A second test speaks raw JSON-RPC to `graphgate stdio` and checks stdout carries nothing else while warnings are
logged.
"""
import asyncio
import html
import json
import os
import re
import select
import stat
import subprocess
import tempfile
import time
import urllib.parse

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import graphgate_bin, stop

TENANT = "8f1e2c3d-4b5a-4c6d-9e7f-0a1b2c3d4e5f"
UPN = "MeganB@contoso.sandbox"


def desktop_env(home: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHGATE_") or k.startswith("GRAPHGATE_TEST_")}
    env.update({"XDG_DATA_HOME": os.path.join(home, "data"), "HOME": home, "GRAPHGATE_LOG_FORMAT": "json"})
    env.update(extra)
    return env


def control(base, method, path, body=None):
    r = httpx.request(method, f"{base}/_sandbox/{path}", json=body, timeout=10)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def approve_device_code(base: str, user_code: str, upn: str, decision: str = "accept"):
    """Plays the person at the browser: code entry → account picker → confirmation."""
    with httpx.Client(timeout=10) as browser:
        r = browser.get(f"{base}/devicelogin", params={"otc": user_code})
        page = r.text
        oid = re.search(r'value="([0-9a-f-]{36})" data-upn="%s"' % re.escape(upn), page, re.I).group(1)
        return_to = html.unescape(re.search(r'name="return_to" value="([^"]*)"', page).group(1))
        r = browser.post(f"{base}/{TENANT}/login/select", data={"user": oid, "return_to": return_to})
        assert r.status_code == 302, r.text
        r = browser.get(urllib.parse.urljoin(base, r.headers["location"]))
        assert "Continue" in r.text
        r = browser.post(f"{base}/devicelogin", data={"otc": user_code, "decision": decision})
        assert r.status_code == 200, r.text


def login(sandbox: str, env: dict, *extra, upn=UPN, decision="accept"):
    """Runs `graphgate login --sandbox`, approves the printed code, returns (exit code, stdout, stderr)."""
    proc = subprocess.Popen(
        [graphgate_bin(), "login", "--sandbox-url", sandbox, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out = []
    deadline = time.monotonic() + 30
    code = None
    while time.monotonic() < deadline and code is None:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            out.append(line)
            m = re.search(r"open (\S+/devicelogin) and enter the code (\S+)", line)
            if m:
                code = m.group(2)
    assert code, f"no device code printed: {out!r} {proc.stderr.read() if proc.poll() is not None else ''}"
    approve_device_code(sandbox, code, upn, decision)
    rest, err = proc.communicate(timeout=30)
    return proc.returncode, "".join(out) + rest, err


def text_of(result) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def stdio_params(env, *extra):
    return StdioServerParameters(command=graphgate_bin(), args=["stdio", "--sandbox", *extra], env=env)


async def session_run(env, body, *extra, mode="auto"):
    """Runs `body(client)` with the official client connected over stdio in `mode`."""
    with open(os.devnull, "w") as errlog:
        async with Client(stdio_client(stdio_params(env, *extra), errlog=errlog), mode=mode) as client:
            return await body(client)


def test_login_stdio_refresh_logout(sandbox):
    home = tempfile.mkdtemp(prefix="gg-desk-")
    env = desktop_env(home)
    data = os.path.join(home, "data", "graphgate", "sandbox")

    # Before any login: stdio starts and a tool call says what to do (no crash).
    async def before(session):
        result = await session.call_tool("list_messages", {})
        assert result.is_error
        assert "graphgate login --sandbox" in text_of(result)
    asyncio.run(session_run(env, before))

    code, out, err = login(sandbox, env)
    assert code == 0, err
    assert f"Signed in as {UPN}" in out and "Mail.Read" in out
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    for name in ("graphgate.keyring", "graphgate.sqlite", "desktop.json"):
        assert stat.S_IMODE(os.stat(os.path.join(data, name)).st_mode) == 0o600, name
    secrets = control(sandbox, "GET", "secrets")
    with open(os.path.join(data, "graphgate.sqlite"), "rb") as f:
        raw = f.read()
    for token in secrets["refreshTokens"] + secrets["accessTokens"]:
        assert token.encode() not in raw, "a Microsoft token is stored in plaintext"

    status = subprocess.run([graphgate_bin(), "login", "--sandbox", "--status"], env=env, capture_output=True, text=True)
    assert status.returncode == 0 and UPN in status.stdout and "Mail.Read" in status.stdout

    users = control(sandbox, "GET", "users")["value"]
    canary = next(u["canary"] for u in users if u["userPrincipalName"] == UPN)

    async def use(session):
        tools = await session.list_tools()
        names = {t.name for t in tools.tools}
        assert {"list_messages", "get_message"} <= names
        schema = next(t for t in tools.tools if t.name == "list_messages").input_schema
        assert "account" in schema["properties"], "stdio tools take an account label"

        first = await session.call_tool("list_messages", {"page_size": 3})
        assert not first.is_error, text_of(first)
        ids = re.findall(r'"id"\s*:\s*"([^"]+)"', json.dumps(first.structured_content))
        assert ids, first.structured_content
        message = await session.call_tool("get_message", {"id": ids[0]})
        assert not message.is_error and canary in text_of(message)

        # Access token expiry: the next call refreshes (exactly one refresh grant) and succeeds.
        control(sandbox, "DELETE", "grants")
        assert control(sandbox, "POST", f"users/{UPN}/expire-access-tokens")["expired"] >= 1
        again = await session.call_tool("list_messages", {"page_size": 3})
        assert not again.is_error, text_of(again)
        assert control(sandbox, "GET", "grants")["issued"].get("refresh_token") == 1

        unknown = await session.call_tool("list_messages", {"account": "personal"})
        assert unknown.is_error and "personal" in text_of(unknown)

        # Logout while this session runs: the next call must not use the cached token.
        out = subprocess.run([graphgate_bin(), "logout", "--sandbox"], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        after = await session.call_tool("list_messages", {})
        assert after.is_error and "graphgate login --sandbox" in text_of(after)
    asyncio.run(session_run(env, use))
    assert not os.path.exists(os.path.join(data, "graphgate.keyring"))
    assert not os.path.exists(os.path.join(data, "graphgate.sqlite"))

    # A fresh session after logout gets the same clear error.
    async def after_logout(session):
        result = await session.call_tool("list_messages", {})
        assert result.is_error and "graphgate login --sandbox" in text_of(result)
    asyncio.run(session_run(env, after_logout))


def test_second_account_and_declined_login(sandbox):
    home = tempfile.mkdtemp(prefix="gg-desk-")
    env = desktop_env(home)
    assert login(sandbox, env)[0] == 0
    code, out, err = login(sandbox, env, "--account", "second", upn="AdeleV@contoso.sandbox")
    assert code == 0, err
    code, out, err = login(sandbox, env, "--account", "third", upn="AlexW@contoso.sandbox", decision="decline")
    assert code == 1 and "declined" in err

    users = control(sandbox, "GET", "users")["value"]
    canaries = {u["userPrincipalName"]: u["canary"] for u in users}

    async def use(session):
        mine = await session.call_tool("get_profile", {})
        assert not mine.is_error and "Megan" in text_of(mine), text_of(mine)
        other = await session.call_tool("get_profile", {"account": "second"})
        assert not other.is_error and "Adele" in text_of(other), text_of(other)
        listed = await session.call_tool("list_messages", {"account": "second", "page_size": 1})
        assert not listed.is_error
        ids = re.findall(r'"id"\s*:\s*"([^"]+)"', json.dumps(listed.structured_content))
        message = await session.call_tool("get_message", {"id": ids[0], "account": "second"})
        assert canaries["AdeleV@contoso.sandbox"] in text_of(message)
        assert canaries[UPN] not in text_of(message)
    # The same calls in each protocol era the official client can pick (stdio has no HTTP fallback: `auto`
    # probes server/discover, which graphgate answers, so it runs 2026-07-28).
    for mode in ("legacy", "auto", "2026-07-28"):
        asyncio.run(session_run(env, use, mode=mode))

    out = subprocess.run([graphgate_bin(), "logout", "--sandbox", "--account", "second"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    status = subprocess.run([graphgate_bin(), "login", "--sandbox", "--status"], env=env, capture_output=True, text=True)
    assert "AdeleV" not in status.stdout and UPN in status.stdout
    subprocess.run([graphgate_bin(), "logout"], env=env, check=True, capture_output=True)


def test_stdout_is_only_jsonrpc_while_warnings_are_logged(sandbox):
    home = tempfile.mkdtemp(prefix="gg-desk-")
    env = desktop_env(home, GRAPHGATE_LOG_LEVEL="trace")
    assert login(sandbox, env)[0] == 0
    data = os.path.join(home, "data", "graphgate", "sandbox")
    os.chmod(os.path.join(data, "graphgate.keyring"), 0o644)  # stdio warns about it on stderr
    control(sandbox, "PUT", "faults", {"throttleNextRequests": 2, "retryAfterSeconds": 1})
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "list_messages", "arguments": {"page_size": 2}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "list_messages", "arguments": {"page_size": "x"}}},
        {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "no_such_tool", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {"name": "list_messages", "arguments": {"account": "nope"}}},
    ]
    proc = subprocess.Popen([graphgate_bin(), "stdio", "--sandbox"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    answered = {}
    frames = []
    try:
        for request in requests:
            proc.stdin.write((json.dumps(request) + "\n").encode())
            proc.stdin.flush()
            if "id" not in request:
                continue
            deadline = time.monotonic() + 30
            while request["id"] not in answered and time.monotonic() < deadline:
                line = proc.stdout.readline()
                assert line, "stdio closed stdout"
                frames.append(line)
                frame = json.loads(line)
                if "id" in frame:
                    answered[frame["id"]] = frame
        proc.stdin.close()
        rest = proc.stdout.read()
        frames += rest.splitlines(keepends=True)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            stop(proc)
    stderr = proc.stderr.read().decode()
    control(sandbox, "PUT", "faults", {})
    for line in frames:
        frame = json.loads(line)  # every stdout line is one JSON document...
        assert frame.get("jsonrpc") == "2.0", line  # ...and a JSON-RPC 2.0 frame
        assert ("id" in frame and ("result" in frame) != ("error" in frame)) or "method" in frame, line
    assert set(answered) == {1, 2, 3, 4, 5, 6}
    assert not answered[3]["result"].get("isError"), answered[3]  # throttled twice, retried, then served
    assert answered[4]["result"]["isError"] and answered[6]["result"]["isError"]
    assert "error" in answered[5]
    levels = [json.loads(l).get("level") for l in stderr.splitlines() if l.startswith("{")]
    assert "warning" in levels, stderr[-2000:]
    assert "trace" in levels or "debug" in levels


def test_browser_login_on_loopback_redirect(sandbox):
    """`login --browser`: PKCE + state on http://127.0.0.1:RANDOM/callback; a forged state is refused and does not
    end the wait; the real redirect signs in."""
    home = tempfile.mkdtemp(prefix="gg-desk-")
    env = desktop_env(home)
    proc = subprocess.Popen(
        [graphgate_bin(), "login", "--sandbox-url", sandbox, "--browser", "--no-open", "--account", "web"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            if line.startswith("http"):
                url = line.strip()
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))
        redirect = query["redirect_uri"]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/callback", redirect)
        assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 32 and query["nonce"]

        forged = httpx.get(redirect, params={"code": "stolen", "state": "not-the-state"}, timeout=10)
        assert forged.status_code == 400
        assert httpx.get(redirect.replace("/callback", "/other"), timeout=10).status_code == 404

        with httpx.Client(timeout=10) as browser:
            r = browser.get(url)
            for _ in range(6):
                if r.status_code in (301, 302, 303):
                    location = urllib.parse.urljoin(sandbox, r.headers["location"])
                    r = browser.get(location)
                    if location.startswith(redirect):
                        break
                    continue
                page = r.text
                return_to = html.unescape(re.search(r'name="return_to" value="([^"]*)"', page).group(1))
                if "/login/select" in page:
                    oid = re.search(r'value="([0-9a-f-]{36})" data-upn="%s"' % re.escape(UPN), page, re.I).group(1)
                    r = browser.post(f"{sandbox}/{TENANT}/login/select", data={"user": oid, "return_to": return_to})
                elif "/login/consent" in page:
                    r = browser.post(f"{sandbox}/{TENANT}/login/consent", data={"decision": "accept", "return_to": return_to})
                else:
                    raise AssertionError(page[:300])
            assert r.status_code == 200 and "Signed in" in r.text
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert f"Signed in as {UPN} (account 'web'" in out
    finally:
        if proc.poll() is None:
            stop(proc)

    async def use(session):
        result = await session.call_tool("get_profile", {})
        assert not result.is_error and "Megan" in text_of(result), text_of(result)
    asyncio.run(session_run(env, use))
    subprocess.run([graphgate_bin(), "logout"], env=env, check=True, capture_output=True)


@pytest.mark.parametrize("stop_with", ["sigterm", "eof"])
def test_stdio_writes_every_answered_calls_audit_row_before_it_exits(sandbox, stop_with):
    """stdio writes audit rows behind its answers (as the server does); a client that stops it with SIGTERM while
    stdin is still open, or by closing stdin, still finds one `tool.call` row per answered call in the chain."""
    import signal
    import sqlite3
    home = tempfile.mkdtemp(prefix="gg-desk-")
    env = desktop_env(home)
    assert login(sandbox, env)[0] == 0
    database = os.path.join(home, "data", "graphgate", "sandbox", "graphgate.sqlite")

    def tool_rows():
        with sqlite3.connect(database) as db:
            return db.execute("SELECT COUNT(*) FROM audit_log WHERE event_type = 'tool.call'").fetchone()[0]
    before = tool_rows()
    proc = subprocess.Popen([graphgate_bin(), "stdio", "--sandbox"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    calls = 12
    try:
        for i in range(calls):
            request = {"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": {
                "name": "list_messages", "arguments": {"page_size": 2}, "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                    "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"}}}}
            proc.stdin.write((json.dumps(request) + "\n").encode())
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())
            assert answer["id"] == i + 1 and not answer["result"].get("isError"), answer
        if stop_with == "sigterm":
            proc.send_signal(signal.SIGTERM)  # stdin stays open: only the signal ends it
        else:
            proc.stdin.close()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            stop(proc)
    assert tool_rows() - before == calls
    verify = subprocess.run([graphgate_bin(), "audit", "verify", "--database-url", f"sqlite:{database}"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_cancelled_request_is_stopped_and_never_answered(sandbox):
    """`notifications/cancelled` over stdio: the request it names stops and gets no answer (the specification
    says no further message for it); the others are answered."""
    home = tempfile.mkdtemp(prefix="gg-desk-")
    env = desktop_env(home)
    assert login(sandbox, env)[0] == 0
    proc = subprocess.Popen([graphgate_bin(), "stdio", "--sandbox"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)

    def write(message):
        proc.stdin.write((json.dumps(message) + "\n").encode())
        proc.stdin.flush()

    try:
        # The lifecycle allows a ping before initialize.
        write({"jsonrpc": "2.0", "id": 0, "method": "ping"})
        assert json.loads(proc.stdout.readline()) == {"jsonrpc": "2.0", "id": 0, "result": {}}
        write({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
        assert json.loads(proc.stdout.readline())["id"] == 1
        write({"jsonrpc": "2.0", "method": "notifications/initialized"})
        control(sandbox, "PUT", "faults", {"latencyMilliseconds": 1500})
        write({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
               "params": {"name": "list_messages", "arguments": {"page_size": 2}}})
        time.sleep(0.3)
        write({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "user"}})
        write({"jsonrpc": "2.0", "id": 8, "method": "tools/list"})
        time.sleep(3)  # longer than the cancelled call would have taken
        proc.stdin.close()
        frames = [json.loads(line) for line in proc.stdout.read().splitlines()]
        assert proc.wait(timeout=20) == 0
    finally:
        control(sandbox, "PUT", "faults", {})
        if proc.poll() is None:
            stop(proc)
    ids = [frame.get("id") for frame in frames]
    assert 8 in ids, frames
    assert 7 not in ids, "the cancelled request was answered"
