"""Suite 3, attacks against the real binary (production mode against the emulated tenant), the cases not already
covered by the Swift suites (OAuthFlowTests, MCPHTTPTests, RateLimitTests, ToolsMailTests): token passthrough with
the tokens Microsoft actually issued for a signed-in user, cross-user message ids, oversized and deeply nested
bodies (fast 413/4xx, memory bounded, server alive), CRLF in recipients and subjects (after the person granted
Mail.Send through the link the tool gives), SQL-injection probes on every OAuth parameter and on tool arguments,
replay after revoke and after an administrator's block/revoke, session fixation (a browser-session cookie planted
before sign-in, an MCP session id chosen by the client or presented by another user).
Each case fails if its defence breaks.
"""
import asyncio
import base64
import re
import secrets
import time
import urllib.parse

import httpx
import pytest

from ggharness import (sandbox_stack, Browser, GraphGate, Login, McpClient, Sandbox, ToolError, client_address, fresh_workdir,
                       register_client, authorize_params)
from test_mcp_oauth_e2e import REDIRECT_URI

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
SQLI = ["' OR '1'='1", "1; DROP TABLE users; --", "\" OR \"\"=\"", "x' UNION SELECT token_hash FROM oauth_tokens --",
        "'; SELECT pg_sleep(5); --", "1) OR (1=1", "%27%20OR%201%3D1--", "\\'; --", "' AND randomblob(500000000) --"]


@pytest.fixture(scope="module")
def stack():
    with sandbox_stack("gg-attacks-", users=10, survived="graphgate did not survive the attack suite") as pair:
        yield pair


async def session_for(http, login) -> McpClient:
    client = McpClient(http, login)
    await client.initialize()
    return client


def graph_calls(sandbox: Sandbox) -> int:
    return len([e for e in sandbox.control("GET", "requests")["value"] if e["path"].startswith("/v1.0/")])


def test_microsoft_tokens_of_a_signed_in_user_are_refused_at_mcp(stack):
    sandbox, graphgate = stack
    login = Login(graphgate.base, 0)

    async def scenario():
        async with httpx.AsyncClient(timeout=30) as http:
            client = await session_for(http, login)
            error, text, _ = await client.call_tool("get_profile", {})
            assert not error, text  # graphgate now holds Microsoft tokens for this person
            issued = sandbox.control("GET", "secrets")
            microsoft = issued["accessTokens"] + issued["refreshTokens"] + issued["idTokens"]
            assert microsoft
            for token in microsoft:
                for message in (PING, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}):
                    r = await http.post(f"{graphgate.base}/mcp", headers={**ACCEPT, "Authorization": f"Bearer {token}"}, json=message)
                    assert r.status_code == 401, (r.status_code, r.text[:200])
                    assert token not in r.text and token not in str(r.headers)
                # And inside a valid session: the session id with a Microsoft token is still refused.
                r = await http.post(f"{graphgate.base}/mcp", json=PING, headers={
                    **ACCEPT, "Authorization": f"Bearer {token}", "Mcp-Session-Id": client.session_id or ""})
                assert r.status_code == 401
            error, _, _ = await client.call_tool("get_profile", {})
            assert not error

    asyncio.run(scenario())


def test_another_users_message_id_is_not_found_and_returns_no_data(stack):
    sandbox, graphgate = stack
    users = {u["userPrincipalName"].lower(): u for u in sandbox.ensure_users(2)}
    alice, bob = Login(graphgate.base, 0), Login(graphgate.base, 1)

    async def scenario():
        async with httpx.AsyncClient(timeout=30) as http:
            a, b = await session_for(http, alice), await session_for(http, bob)
            _, listing, _ = await a.call_tool("list_messages", {"page_size": 10})
            ids = re.findall(r"id=([A-Za-z0-9=_+-]+)", listing)
            assert len(ids) == 10
            error, own, _ = await a.call_tool("get_message", {"id": ids[0]})
            assert not error and users[alice.upn.lower()]["canary"] in own  # the id is real for its owner
            for message_id in ids:
                for tool, args in (("get_message", {"id": message_id}), ("list_attachments", {"message_id": message_id})):
                    try:
                        error, text, result = await b.call_tool(tool, args)
                    except ToolError as e:
                        raise AssertionError(f"{tool}: transport error {e}")
                    assert error, (tool, text[:300])
                    assert users[alice.upn.lower()]["canary"] not in text
                    assert "not found" in text.lower() or "invalid argument" in text.lower(), text[:300]

    asyncio.run(scenario())


def test_oversized_bodies_get_413_fast_and_memory_stays_bounded(stack):
    _, graphgate = stack
    login = Login(graphgate.base, 2)
    before = graphgate.rss_kib()
    chunk = b"a" * (1024 * 1024)

    def streamed(mib):
        def body():
            yield b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"'
            for _ in range(mib):
                yield chunk
            yield b'"}}'
        return body()

    with httpx.Client(timeout=30) as http:
        targets = [(f"{graphgate.base}/mcp", {**ACCEPT, "Authorization": f"Bearer {login.access_token}"}),
                   (f"{graphgate.base}/mcp", ACCEPT),
                   (f"{graphgate.base}/oauth/register", {"Content-Type": "application/json"}),
                   (f"{graphgate.base}/oauth/token", {"Content-Type": "application/x-www-form-urlencoded"}),
                   (f"{graphgate.base}/oauth/revoke", {"Content-Type": "application/x-www-form-urlencoded"})]
        for url, headers in targets:
            for mib, chunked in ((64, False), (64, True)):
                started = time.monotonic()
                try:
                    if chunked:  # no Content-Length: the limit must hold while streaming
                        r = http.post(url, headers=headers, content=streamed(mib))
                    else:
                        r = http.post(url, headers=headers, content=b"x" * (mib * 1024 * 1024))
                    status = r.status_code
                except (httpx.RemoteProtocolError, httpx.WriteError):
                    status = 413  # closed the connection after answering 413 while we were still sending
                elapsed = time.monotonic() - started
                # /mcp answers 413 (401 first when unauthenticated); the OAuth endpoints answer their RFC error
                # shape (400 invalid_client_metadata / invalid_request) for an oversized body.
                allowed = (413, 401) if url.endswith("/mcp") else (400, 413)
                assert status in allowed, (url, chunked, status)
                assert elapsed < 5, (url, chunked, elapsed)
        assert graphgate.alive()
    grown_mib = (graphgate.rss_kib() - before) / 1024
    assert grown_mib < 128, f"RSS grew by {grown_mib:.0f} MiB after 640 MiB of refused bodies"


def test_deeply_nested_json_is_refused_and_the_server_stays_up(stack):
    _, graphgate = stack
    login = Login(graphgate.base, 2)
    depth = 200_000
    bodies = [b'{"jsonrpc":"2.0","id":1,"method":"ping","params":' + b"[" * depth + b"]" * depth + b"}",
              b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_message","arguments":{"id":'
              + b'{"a":' * 20_000 + b"1" + b"}" * 20_000 + b"}}}",
              b"[" * depth]
    with httpx.Client(timeout=30) as http:
        for body in bodies:
            r = http.post(f"{graphgate.base}/mcp", content=body, headers={**ACCEPT, "Authorization": f"Bearer {login.access_token}"})
            assert 400 <= r.status_code < 500, r.status_code
            r = http.post(f"{graphgate.base}/oauth/register", content=body, headers={"Content-Type": "application/json"})
            assert 400 <= r.status_code < 500, r.status_code
            assert graphgate.alive()
        r = http.post(f"{graphgate.base}/mcp", json=PING, headers={**ACCEPT, "Authorization": f"Bearer {login.access_token}"})
        assert r.status_code != 500


def test_crlf_in_recipients_and_subjects_is_a_tool_error_and_sends_nothing(stack):
    sandbox, graphgate = stack
    login = Login(graphgate.base, 3)
    injected = ["LeeG@contoso.sandbox\r\nBcc: evil@evil.test", "LeeG@contoso.sandbox\nBcc:evil@evil.test",
                "evil@evil.test\r\n\r\nbody", "LeeG@contoso.sandbox%0d%0aBcc:evil@evil.test"]

    async def scenario():
        async with httpx.AsyncClient(timeout=30) as http:
            client = await session_for(http, login)
            await client.call_tool("get_profile", {})
            before = graph_calls(sandbox)
            for tool in ("send_message", "create_draft"):
                for field in ("to", "cc", "bcc"):
                    for address in injected:
                        args = {"to": ["LeeG@contoso.sandbox"], "subject": "s", "body": "b", field: [address]}
                        error, text, _ = await client.call_tool(tool, args)
                        assert error and f"'{field}'" in text, (tool, field, text[:200])
            assert graph_calls(sandbox) == before, "an injected recipient reached Graph"
            assert not sandbox.control("GET", "outbound").get("value")
            # Subjects: Mail.Send is granted incrementally first (the person opens the link the tool gives), so
            # the refusals below are the subject check, not the permission check.
            clean = {"to": ["LeeG@contoso.sandbox"], "subject": "clean subject", "body": "b"}
            error, text, _ = await client.call_tool("send_message", clean)
            if error and "permission" in text:
                link = re.search(r"https?://\S+/account/consent\?\S+", text)
                assert link, text[:300]
                with Browser(login.address) as browser:
                    page = await asyncio.to_thread(browser.walk, link.group(0).rstrip(".,)"), login.user_index)
                assert page.status_code == 200 and "Permission granted" in page.text, page.text[:300]
                error, text, _ = await client.call_tool("send_message", clean)
            assert not error, text[:300]
            before = graph_calls(sandbox)
            for subject in ("hi\r\nBcc: evil@evil.test", "hi\nBcc: evil@evil.test", "hi\rX-Injected: 1",
                            "\r\n\r\nbody", "hi\u2028Bcc: evil@evil.test"):
                for tool in ("send_message", "create_draft"):
                    error, text, _ = await client.call_tool(tool, {
                        "to": ["LeeG@contoso.sandbox"], "subject": subject, "body": "b"})
                    assert error and "'subject'" in text, (tool, repr(subject), text[:200])
            assert graph_calls(sandbox) == before, "an injected subject reached Graph"
            assert not sandbox.control("GET", "outbound").get("value")

    asyncio.run(scenario())


def test_sql_injection_probes_on_oauth_parameters_get_clean_4xx(stack):
    _, graphgate = stack
    base = graphgate.base
    login = Login(base, 4)
    for probe in SQLI:
      # One simulated client address per probe (behind the trusted proxy), so the login budget is not what answers.
      with httpx.Client(timeout=30, follow_redirects=False, headers={"X-Forwarded-For": client_address()}) as http:
            started = time.monotonic()
            authorize = {"response_type": "code", "client_id": login.client_id, "redirect_uri": REDIRECT_URI, "state": "s",
                         "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
                         "resource": f"{base}/mcp"}
            for name in ("client_id", "redirect_uri", "code_challenge", "code_challenge_method", "resource", "scope", "response_type"):
                r = http.get(f"{base}/oauth/authorize?" + urllib.parse.urlencode({**authorize, name: probe}))
                assert 300 <= r.status_code < 500, (name, probe, r.status_code)
                if r.status_code in (302, 303):  # errors may go back to the registered redirect URI only
                    location = r.headers["location"]
                    assert location.startswith(REDIRECT_URI) or not location.startswith("http"), location
                    if location.startswith(REDIRECT_URI):
                        assert "code=" not in location
            token_forms = [
                {"grant_type": "authorization_code", "code": probe, "client_id": login.client_id, "redirect_uri": REDIRECT_URI, "code_verifier": login.verifier},
                {"grant_type": "authorization_code", "code": login.code, "client_id": probe, "redirect_uri": REDIRECT_URI, "code_verifier": login.verifier},
                {"grant_type": "authorization_code", "code": login.code, "client_id": login.client_id, "redirect_uri": probe, "code_verifier": login.verifier},
                {"grant_type": "authorization_code", "code": login.code, "client_id": login.client_id, "redirect_uri": REDIRECT_URI, "code_verifier": probe},
                {"grant_type": "refresh_token", "refresh_token": probe, "client_id": login.client_id},
                {"grant_type": "refresh_token", "refresh_token": login.refresh_token, "client_id": probe},
                {"grant_type": probe, "client_id": login.client_id}]
            for form in token_forms:
                r = http.post(f"{base}/oauth/token", data=form)
                assert r.status_code in (400, 401), (form, r.status_code, r.text[:200])
                assert r.json()["error"] in ("invalid_grant", "invalid_request", "invalid_client", "unsupported_grant_type", "unauthorized_client")
            r = http.post(f"{base}/oauth/revoke", data={"token": probe, "client_id": login.client_id})
            assert r.status_code in (200, 400, 401)  # RFC 7009: unknown tokens are 200, nothing revoked
            r = http.post(f"{base}/oauth/register", json={"client_name": probe, "redirect_uris": [REDIRECT_URI + probe]})
            if any(c in probe for c in " \"\\;()"):
                assert r.status_code == 400, (probe, r.status_code)  # not a URI
            else:  # a valid (percent-encoded) path: kept as data, byte for byte
                assert r.status_code == 201 and r.json()["redirect_uris"] == [REDIRECT_URI + probe], r.text[:200]
            r = http.post(f"{base}/oauth/register", json={"client_name": probe, "redirect_uris": [REDIRECT_URI]})
            assert r.status_code in (201, 400), r.status_code
            if r.status_code == 201:
                assert r.json()["client_name"] == probe  # stored as data, byte for byte
            r = http.get(f"{base}/oauth/callback", params={"code": probe, "state": probe})
            assert 400 <= r.status_code < 500
            assert time.monotonic() - started < 4, f"probe {probe!r} was slow (time-based injection?)"
    assert graphgate.alive()
    # The store is intact: a new person signs in and refreshes. (This person's grant is gone, rightly: the probes
    # replayed their redeemed code, which revokes what it issued.)
    fresh = Login(base, 4)
    assert fresh.refresh().status_code == 200
    assert login.refresh().status_code == 400


def test_sql_injection_probes_on_tool_arguments_are_tool_errors_or_harmless(stack):
    _, graphgate = stack
    login = Login(graphgate.base, 5)

    async def scenario():
        async with httpx.AsyncClient(timeout=30) as http:
            client = await session_for(http, login)
            for probe in SQLI:
                started = time.monotonic()
                for tool, args in (("search_messages", {"query": probe}), ("list_messages", {"folder": probe}),
                                   ("list_messages", {"cursor": probe}), ("list_messages", {"from": probe}),
                                   ("get_message", {"id": probe}), ("list_contacts", {"query": probe}),
                                   ("get_event", {"id": probe}), ("get_contact", {"id": probe})):
                    try:
                        error, text, _ = await client.call_tool(tool, args)
                    except ToolError as e:
                        raise AssertionError(f"{tool} {args}: {e}")
                    if not error:  # a harmless search result: nothing matched
                        assert re.search(r"\b0 (messages|contacts)\b", text), (tool, text[:200])
                assert time.monotonic() - started < 5
            error, text, _ = await client.call_tool("list_messages", {"page_size": 3})
            assert not error and text.count("id=") == 3

    asyncio.run(scenario())


def test_replay_after_revoke_is_refused_everywhere(stack):
    _, graphgate = stack
    login, second = Login(graphgate.base, 6), Login(graphgate.base, 9)

    async def scenario():
        async with httpx.AsyncClient(timeout=30) as http:
            client = await session_for(http, login)
            assert not (await client.call_tool("get_profile", {}))[0]
            # Revoking the refresh token ends the grant: its access token, the MCP session bound to it, the
            # refresh token itself and the (already redeemed) code are all refused afterwards.
            r = await http.post(f"{graphgate.base}/oauth/revoke", data={"token": login.refresh_token, "client_id": login.client_id})
            assert r.status_code == 200
            r = await http.post(f"{graphgate.base}/mcp", json=PING, headers=client.headers())
            assert r.status_code == 401
            r = await http.post(f"{graphgate.base}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": login.refresh_token, "client_id": login.client_id})
            assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
            r = await http.post(f"{graphgate.base}/oauth/token", data={
                "grant_type": "authorization_code", "code": login.code, "client_id": login.client_id,
                "redirect_uri": REDIRECT_URI, "code_verifier": login.verifier})
            assert r.status_code == 400 and r.json()["error"] == "invalid_grant"

            # Revoking an access token (RFC 7009 "logout" of one token): that token and its session are refused.
            other = await session_for(http, second)
            assert not (await other.call_tool("get_profile", {}))[0]
            r = await http.post(f"{graphgate.base}/oauth/revoke", data={"token": second.access_token, "client_id": second.client_id})
            assert r.status_code == 200
            r = await http.post(f"{graphgate.base}/mcp", json=PING, headers=other.headers())
            assert r.status_code == 401

    asyncio.run(scenario())


def test_replay_after_an_administrator_blocks_and_revokes_is_refused(stack):
    _, graphgate = stack
    login = Login(graphgate.base, 7)
    other = Login(graphgate.base, 8)

    async def scenario(expect_ok: bool, expect_status: int | None = None):
        async with httpx.AsyncClient(timeout=30) as http:
            if expect_ok:
                client = await session_for(http, login)
                assert not (await client.call_tool("get_profile", {}))[0]
                return client.session_id
            r = await http.post(f"{graphgate.base}/mcp", json=PING, headers={**ACCEPT, "Authorization": f"Bearer {login.access_token}"})
            assert r.status_code == expect_status, r.status_code
            r = await http.post(f"{graphgate.base}/mcp", json=PING, headers={**ACCEPT, "Authorization": f"Bearer {other.access_token}"})
            assert r.status_code == 200 or r.status_code == 202 or r.status_code == 400  # the other person is untouched
            assert r.status_code != 401 and r.status_code != 403

    def within_a_second(status: int):
        # The command line is another process: the server's access cache sees its write within 1 s (it polls the
        # revocation epoch; see AccessCache), not at once.
        deadline = time.monotonic() + 1.0
        while True:
            try:
                return asyncio.run(scenario(False, status))
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    asyncio.run(scenario(True))
    blocked = graphgate.cli("admin", "block", login.upn)
    assert blocked.returncode == 0, blocked.stderr[-500:]
    within_a_second(403)
    # Whatever the token endpoint answers a blocked user's refresh, no token it hands out opens /mcp.
    if login.refresh().status_code == 200:
        asyncio.run(scenario(False, 403))
    assert graphgate.cli("admin", "unblock", login.upn).returncode == 0
    revoked = graphgate.cli("admin", "revoke", login.upn)
    assert revoked.returncode == 0, revoked.stderr[-500:]
    within_a_second(401)
    r = login.refresh()
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def random_session_value() -> str:
    """A well-formed browser-session value (`ggs_` + 43 base64url characters) that graphgate never issued."""
    return "ggs_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def test_a_planted_browser_session_is_never_the_session_after_sign_in(stack):
    sandbox, graphgate = stack
    base = graphgate.base
    sandbox.ensure_users(10)

    def authorize_url(**extra) -> str:
        return f"{base}/oauth/authorize?" + urllib.parse.urlencode(authorize_params(base, register_client(base), **extra))

    # An attacker-chosen value planted before sign-in: graphgate does not know it, and the sign-in issues a fresh
    # session id; the planted value authenticates nobody afterwards.
    chosen = random_session_value()
    with Browser() as victim:
        victim.plant(chosen)
        assert victim.consent_username(base, register_client(base)) is None
        page = victim.walk(authorize_url(), 1)
        assert page.status_code == 200 and 'action="/oauth/consent"' in page.text, page.text[:300]
        fresh = victim.cookie()
        assert fresh and fresh != chosen
        assert victim.consent_username(base, register_client(base)) == victim.upn
    with Browser() as attacker:
        attacker.plant(chosen)
        assert attacker.consent_username(base, register_client(base)) is None

    # A valid session of user A planted in B's browser: B's sign-in (prompt=login) replaces it with a fresh one
    # for B, and A's planted value is ended, so it can never stand for B.
    with Browser() as alice:
        assert alice.walk(authorize_url(), 0).status_code == 200
        alices = alice.cookie()
        assert alice.consent_username(base, register_client(base)) == alice.upn
    with Browser() as bob:
        bob.plant(alices)
        assert bob.consent_username(base, register_client(base)) == alice.upn  # what planting a session means
        page = bob.walk(authorize_url(prompt="login"), 2)
        assert page.status_code == 200 and 'action="/oauth/consent"' in page.text, page.text[:300]
        bobs = bob.cookie()
        assert bobs and bobs != alices and bob.upn != alice.upn
        assert bob.consent_username(base, register_client(base)) == bob.upn
    with Browser() as attacker:
        attacker.plant(alices)
        assert attacker.consent_username(base, register_client(base)) is None


def test_mcp_session_ids_are_never_chosen_by_the_client_nor_shared_between_users(stack):
    _, graphgate = stack
    alice, bob = Login(graphgate.base, 0), Login(graphgate.base, 1)
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "fixation", "version": "1"}}}
    tools_list = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}

    async def scenario():
        async with httpx.AsyncClient(timeout=30) as http:
            # A client-chosen session id is never adopted: not on initialize, not afterwards.
            chosen = secrets.token_urlsafe(32)
            client = McpClient(http, alice)
            client.session_id = chosen
            r = await client.post(initialize)
            assert r.status_code in (400, 404), (r.status_code, r.text[:200])
            assert r.headers.get("mcp-session-id") in (None, ""), r.headers
            assert (await client.post(tools_list)).status_code == 404
            client.session_id = None
            await client.initialize()
            assert client.session_id and client.session_id != chosen
            client_session = client.session_id
            client.session_id = chosen
            assert (await client.post(tools_list)).status_code == 404
            client.session_id = client_session
            assert (await client.post(tools_list)).status_code == 200

            # A's session id presented with B's token is 404 for every method; A's session keeps working.
            intruder = McpClient(http, bob)
            intruder.session_id = client_session
            assert (await intruder.post(tools_list)).status_code == 404
            assert (await intruder.post(initialize)).status_code in (400, 404)
            r = await http.delete(f"{graphgate.base}/mcp", headers=intruder.headers())
            assert r.status_code == 404
            r = await client.post(tools_list)
            assert r.status_code == 200 and "get_message" in r.text

    asyncio.run(scenario())
