"""Issue 7, canaries through every error path: the real binary (production mode, GRAPHGATE_LOG_LEVEL=trace) against
the emulated tenant. The secrets the tenant issued (Microsoft access/refresh tokens, codes, id_tokens, its session
cookies, the client secret), the tokens, codes and verifiers our authorization server issued and the mailbox
canaries are fed into every error path we can reach — bad bearer tokens, malformed JSON-RPC, unknown tools, bad
tool arguments, every OAuth endpoint and parameter, the sign-in callback with Microsoft's error parameters, the
consent forms, 404s, cookies and Basic credentials, oversized bodies, Graph and token-endpoint errors whose text
carries a canary (sandbox fault injection), a refresh revoked at the tenant and a token blob that fails to decrypt.

Every answer must be the expected 4xx/5xx with a safe message (5xx bodies name a request id), and no canary —
raw, base64, base64url, hex or percent-encoded — may appear in any answer's body or headers or in any line
graphgate logged. Two echoes are mandated by the protocols and allowed, to the caller that sent them only: the
JSON-RPC `id` of a response, and the `state` on an OAuth error redirect to the client's registered redirect URI
(RFC 6749 §4.1.2.1). Neither may reach a log line.
"""
import asyncio
import json
import re
import sqlite3
import urllib.parse

import httpx
import pytest

from ggharness import (sandbox_stack, Browser, GraphGate, Login, McpClient, Sandbox, authorize_params, client_address,
                       fresh_workdir, register_client, scan)
from test_mcp_oauth_e2e import REDIRECT_URI

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
          "MCP-Protocol-Version": "2025-06-18"}


def proxied(**kwargs) -> httpx.Client:
    """A client that comes from a new address (behind the trusted proxy) with every request, so the per-address
    login and registration budgets are not what answers."""
    client = httpx.Client(timeout=kwargs.pop("timeout", 30), **kwargs)
    client.event_hooks["request"].append(lambda request: request.headers.__setitem__("X-Forwarded-For", client_address()))
    return client


class Stack:
    def __init__(self, sandbox: Sandbox, graphgate: GraphGate):
        self.sandbox, self.graphgate, self.base = sandbox, graphgate, graphgate.base
        users = sandbox.ensure_users(4)
        # The caller makes authenticated requests; the victim's secrets are the canaries (its grant may be burned).
        self.caller = Login(self.base, 0)
        self.victim = Login(self.base, 1)
        self.victim_code = self.victim.code
        asyncio.run(self.tool_calls([self.caller, self.victim]))
        issued = sandbox.control("GET", "secrets")
        self.canaries: dict[str, str] = {
            "ms_access_token": issued["accessTokens"][0], "ms_refresh_token": issued["refreshTokens"][0],
            "ms_code": issued["authorizationCodes"][0], "ms_id_token": issued["idTokens"][0],
            "ms_session_cookie": issued["sessionCookies"][0], "ms_client_secret": issued["clientSecrets"][0],
            "our_access_token": self.victim.access_token, "our_refresh_token": self.victim.refresh_token,
            "our_code": self.victim.code, "our_verifier": self.victim.verifier,
            "mailbox_canary": users[1]["canary"], "callers_mailbox_canary": users[0]["canary"],
        }
        self.users = users
        self.findings: list[str] = []
        self.answers = 0

    @staticmethod
    async def tool_calls(logins):
        async with httpx.AsyncClient(timeout=60) as http:
            for login in logins:
                client = McpClient(http, login)
                await client.initialize()
                error, text, _ = await client.call_tool("list_messages", {"page_size": 2})
                assert not error, text[:300]

    def every_secret(self) -> set[str]:
        """The canaries plus everything the tenant and our server issued during the whole run."""
        return set(self.canaries.values()) | self.sandbox.secret_values() | self.caller.issued | self.victim.issued \
            | {u["canary"] for u in self.users}

    def check(self, label: str, r: httpx.Response, allowed: tuple[int, ...], safe_text: str | None = None):
        """Records a finding unless `r` has an allowed status, a safe body and carries no secret."""
        self.answers += 1
        if r.status_code not in allowed:
            self.findings.append(f"{label}: status {r.status_code} not in {allowed}: {r.text[:160]!r}")
        if r.status_code >= 500 and r.headers.get("content-type", "").startswith("application/json"):
            if "request_id" not in r.text and "temporarily_unavailable" not in r.text:
                self.findings.append(f"{label}: 5xx without a request id: {r.text[:160]!r}")
        if safe_text is not None and safe_text not in r.text:
            self.findings.append(f"{label}: expected {safe_text!r} in {r.text[:200]!r}")
        headers = dict(r.headers)
        location = headers.get("location", "")
        if location.startswith(REDIRECT_URI):  # RFC 6749 §4.1.2.1: state goes back to the registered client
            query = [(k, v) for k, v in urllib.parse.parse_qsl(urllib.parse.urlparse(location).query) if k != "state"]
            headers["location"] = REDIRECT_URI + "?" + urllib.parse.urlencode(query)
        body = r.content
        if r.headers.get("content-type", "").startswith(("application/json", "text/event-stream")):
            body = without_jsonrpc_ids(r.text).encode()
        blob = ("\n".join(f"{k}: {v}" for k, v in headers.items())).encode() + b"\n\n" + body
        for where, form, secret in scan({label: blob}, set(self.canaries.values())):
            self.findings.append(f"{label}: a canary ({secret}) is echoed as {form}")


def without_jsonrpc_ids(text: str) -> str:
    """The body with the `id` of every JSON-RPC message removed (plain JSON or SSE data lines)."""
    def strip(raw: str) -> str:
        try:
            message = json.loads(raw)
        except ValueError:
            return raw
        for m in message if isinstance(message, list) else [message]:
            if isinstance(m, dict) and "jsonrpc" in m:
                m.pop("id", None)
        return json.dumps(message)
    if text.lstrip().startswith(("{", "[")):
        return strip(text)
    return "\n".join("data: " + strip(line[5:]) if line.startswith("data:") else line for line in text.splitlines())


@pytest.fixture(scope="module")
def stack():
    with sandbox_stack("gg-canaries-", extra_env={"GRAPHGATE_LOG_LEVEL": "trace"},
                       survived="graphgate did not survive the canary suite") as (sandbox, graphgate):
        yield Stack(sandbox, graphgate)


def assert_clean(stack: Stack, at_least: int):
    findings, stack.findings = stack.findings, []
    assert not findings, "\n".join(findings[:40])
    assert stack.answers >= at_least, stack.answers


def test_canaries_as_bearer_tokens_cookies_and_basic_credentials(stack):
    base = stack.base
    with proxied() as http:
        for kind, canary in stack.canaries.items():
            if kind == "our_access_token":
                continue  # valid (scope mcp): the passthrough cases are about tokens that are not ours
            for message in ({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}):
                r = http.post(f"{base}/mcp", json=message, headers={**ACCEPT, "Authorization": f"Bearer {canary}"})
                stack.check(f"bearer {kind}", r, (401,), "invalid_token")
            r = http.post(f"{base}/mcp", json={}, headers={**ACCEPT, "Authorization": f"Basic {canary}"})
            stack.check(f"basic at /mcp {kind}", r, (401,))
            r = http.post(f"{base}/mcp", json={}, headers={**ACCEPT, "Authorization": f"bearer   {canary}"})
            stack.check(f"spaced bearer {kind}", r, (401,))
            r = http.get(f"{base}/mcp", headers={**ACCEPT, "Authorization": f"Bearer {canary}",
                                                  "Mcp-Session-Id": canary})
            stack.check(f"GET /mcp session id {kind}", r, (401,))
            r = http.post(f"{base}/oauth/token", auth=(stack.victim.client_id, canary), data={
                "grant_type": "refresh_token", "refresh_token": canary})
            stack.check(f"token Basic {kind}", r, (400, 401))
            r = http.get(f"{base}/oauth/consent", params={"request": "ggp_x"},
                         headers={"Cookie": f"gg_session={canary}; other={canary}"})
            stack.check(f"cookie {kind}", r, (400, 401))
            r = http.get(f"{base}/metrics", headers={"Authorization": f"Bearer {canary}"})
            stack.check(f"metrics bearer {kind}", r, (401, 403, 404))
    assert_clean(stack, 8 * 11)


def test_canaries_in_json_rpc_messages_and_tool_arguments(stack):
    canaries = stack.canaries

    async def scenario():
        async with httpx.AsyncClient(timeout=60) as http:
            client = McpClient(http, stack.caller)
            await client.initialize()
            url = f"{stack.base}/mcp"
            for kind, canary in canaries.items():
                raw = [
                    ("malformed json", ('{"jsonrpc":"2.0","id":"%s","method":' % canary).encode()),
                    ("no method", json.dumps({"jsonrpc": "2.0", "id": canary, "params": {"x": canary}}).encode()),
                    ("unknown method", json.dumps({"jsonrpc": "2.0", "id": canary, "method": canary}).encode()),
                    ("bad jsonrpc", json.dumps({"jsonrpc": canary, "id": 1, "method": "ping"}).encode()),
                    ("unknown tool", json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                                                 "params": {"name": canary, "arguments": {}}}).encode()),
                    ("batch", json.dumps([{"jsonrpc": "2.0", "id": canary, "method": canary}]).encode()),
                    ("not an object", json.dumps(canary).encode()),
                ]
                for label, body in raw:
                    r = await http.post(url, content=body, headers=client.headers())
                    stack.check(f"{label} {kind}", r, (200, 202, 400, 404))
                r = await http.post(url, content=b"{}", headers={**client.headers(), "Mcp-Session-Id": canary})
                stack.check(f"session id {kind}", r, (400, 404))
                r = await http.post(url, content=b"{}", headers={**client.headers(), "MCP-Protocol-Version": canary})
                stack.check(f"protocol version {kind}", r, (400,))
                r = await http.post(url, content=b"{}", headers={**client.headers(), "Origin": f"http://{canary}"})
                stack.check(f"origin {kind}", r, (403,))
                calls = [
                    ("get_message", {"id": canary}), ("get_message", {"id": canary + "!"}),
                    ("get_message", {"id": canary, "format": canary}), ("get_message", {canary: 1}),
                    ("list_messages", {"folder": canary}), ("list_messages", {"cursor": canary}),
                    ("list_messages", {"from": canary}), ("list_messages", {"page_size": canary}),
                    ("list_events", {"start": canary, "end": canary}),
                    ("list_events", {"start": "2025-01-01T00:00:00Z", "end": canary}),
                    ("get_event", {"id": canary}), ("get_contact", {"id": canary}),
                    ("list_attachments", {"message_id": canary}),
                    ("get_attachment", {"message_id": canary, "id": canary}),
                    ("send_message", {"to": [canary], "subject": "s", "body": "b"}),
                    ("send_message", {"to": ["LeeG@contoso.sandbox"], "subject": canary * 20, "body": "b"}),
                    ("send_message", {"to": ["LeeG@contoso.sandbox"], "subject": canary + "\r\n", "body": "b"}),
                    ("create_draft", {"to": [canary + "@"], "subject": canary, "body": "b", "cc": [canary]}),
                    ("create_event", {"subject": canary, "start": canary, "end": canary}),
                    ("update_message", {"id": canary, "flag": canary}),
                    ("move_message", {"id": canary, "destination": canary}),
                    ("respond_to_event", {"id": canary, "action": canary}),
                    ("create_contact", {"given_name": canary, "mobile_phone": canary * 10}),
                    ("search_messages", {"query": canary * 20}),
                    ("get_profile", {"account": canary}),
                ]
                for tool, args in calls:
                    r, message = await client.rpc("tools/call", {"name": tool, "arguments": args})
                    stack.check(f"{tool} {sorted(args)} {kind}", r, (200,))
                    if message is not None:
                        result = message.get("result") or {}
                        if "error" not in message and not result.get("isError"):
                            stack.findings.append(f"{tool} {sorted(args)} {kind}: not an error: {r.text[:160]!r}")

    asyncio.run(scenario())
    assert_clean(stack, 12 * 35)


def test_canaries_in_every_oauth_parameter(stack):
    base = stack.base
    client_id = stack.victim.client_id
    for kind, canary in stack.canaries.items():
        with proxied(follow_redirects=False) as http:
            for name in ("code", "code_verifier", "redirect_uri", "client_id", "client_secret", "grant_type", "scope",
                         "resource"):
                form = {"grant_type": "authorization_code", "code": stack.victim_code, "client_id": client_id,
                        "redirect_uri": REDIRECT_URI, "code_verifier": stack.victim.verifier, name: canary}
                r = http.post(f"{base}/oauth/token", data=form)
                stack.check(f"token code grant {name}={kind}", r, (400, 401))
            for name in ("refresh_token", "client_id", "scope", "resource"):
                form = {"grant_type": "refresh_token", "refresh_token": stack.caller.refresh_token + "x",
                        "client_id": client_id, name: canary}
                r = http.post(f"{base}/oauth/token", data=form)
                stack.check(f"token refresh {name}={kind}", r, (400, 401))
            r = http.post(f"{base}/oauth/token", content=f"grant_type=authorization_code&code={canary}&code={canary}",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
            stack.check(f"token duplicate code {kind}", r, (400, 401))
            r = http.post(f"{base}/oauth/token", json={"grant_type": "authorization_code", "code": canary})
            stack.check(f"token as json {kind}", r, (400, 401))
            r = http.post(f"{base}/oauth/revoke", data={"token": canary, "client_id": canary})
            stack.check(f"revoke {kind}", r, (200, 400, 401))
            r = http.post(f"{base}/oauth/revoke", data={"token": canary, "token_type_hint": canary})
            stack.check(f"revoke hint {kind}", r, (200, 400, 401))

            valid = authorize_params(base, client_id)
            for name in ("client_id", "redirect_uri", "scope", "resource", "code_challenge", "code_challenge_method",
                         "response_type", "prompt", "response_mode"):
                r = http.get(f"{base}/oauth/authorize?" + urllib.parse.urlencode({**valid, name: canary}))
                stack.check(f"authorize {name}={kind}", r, (302, 303, 400))
            # state is echoed to the registered redirect URI only (RFC 6749); with a foreign one, never.
            r = http.get(f"{base}/oauth/authorize?" + urllib.parse.urlencode({**valid, "state": canary, "scope": "x y"}))
            stack.check(f"authorize state+bad scope {kind}", r, (302, 303, 400))
            r = http.get(f"{base}/oauth/authorize?" + urllib.parse.urlencode({
                **valid, "state": canary, "redirect_uri": "http://127.0.0.1:1/" + canary}))
            stack.check(f"authorize state+foreign redirect {kind}", r, (400,))

            registrations = [
                {"client_name": canary, "redirect_uris": ["javascript:" + canary]},
                {"client_name": canary, "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": canary},
                {"client_name": canary, "redirect_uris": [REDIRECT_URI], "grant_types": [canary]},
                {"client_name": canary * 200, "redirect_uris": [REDIRECT_URI]},
                {"client_uri": canary, "redirect_uris": [f"https://{canary}.example/cb#frag"]},
                {"redirect_uris": canary, "logo_uri": canary, "jwks": {"keys": [canary]}},
            ]
            for i, metadata in enumerate(registrations):
                r = http.post(f"{base}/oauth/register", json=metadata)
                stack.check(f"register {i} {kind}", r, (400, 413))  # 413: over 16 KiB
            r = http.post(f"{base}/oauth/register", content=b'{"client_name":"' + canary.encode(),
                          headers={"Content-Type": "application/json"})
            stack.check(f"register malformed {kind}", r, (400,))
            r = http.post(f"{base}/oauth/register", content=b'{"x":"' + canary.encode() * 2000 + b'"}',
                          headers={"Content-Type": "application/json"})
            stack.check(f"register oversized {kind}", r, (400, 413))

            for params in ({"code": canary, "state": canary},
                           {"error": "access_denied", "error_description": canary, "state": canary},
                           {"error": canary, "error_description": canary, "error_uri": canary, "state": canary},
                           {"code": canary}, {"state": canary * 30}):
                r = http.get(f"{base}/oauth/callback", params=params)
                stack.check(f"callback {sorted(params)} {kind}", r, (400, 431))  # 431: a head over 16 KiB

            r = http.get(f"{base}/account/consent", params={"scope": canary})
            stack.check(f"account consent scope {kind}", r, (400,))
            r = http.get(f"{base}/account/consent", params={"scope": "Mail.Send " + canary})
            stack.check(f"account consent mixed scope {kind}", r, (400,))
            r = http.get(f"{base}/oauth/consent", params={"request": canary})
            stack.check(f"consent page no session {kind}", r, (401,))
            r = http.post(f"{base}/oauth/consent", data={"request": canary, "csrf": canary, "decision": "allow"})
            stack.check(f"consent post no session {kind}", r, (401,))
            r = http.post(f"{base}/oauth/signout", data={"csrf": canary})
            stack.check(f"signout no session {kind}", r, (200,))

            for path in (f"/{canary}", f"/oauth/{canary}", f"/mcp/{canary}", f"/.well-known/{canary}",
                         f"/x?token={canary}&q={canary}", f"/healthz?{canary}"):
                r = http.get(base + path)
                stack.check(f"path {path[:12]} {kind}", r, (200, 404, 405))
            r = http.request(canary.replace(".", "").replace("~", "")[:40] or "X", f"{base}/oauth/token")
            stack.check(f"method {kind}", r, (400, 404, 405, 501))
    assert_clean(stack, 12 * 50)


def test_canaries_in_callbacks_of_real_sign_ins_and_in_the_consent_forms(stack):
    base = stack.base
    with Browser() as browser:
        browser.http.event_hooks["request"].append(
            lambda request: request.headers.__setitem__("X-Forwarded-For", client_address()))
        page = browser.walk(f"{base}/oauth/authorize?" + urllib.parse.urlencode(
            authorize_params(base, register_client(base))), 0)
        assert 'action="/oauth/consent"' in page.text, page.text[:300]
        handle = re.search(r'name="request" value="([^"]*)"', page.text).group(1)
        for kind, canary in stack.canaries.items():
            r = browser.http.get(f"{base}/oauth/consent", params={"request": canary})
            stack.check(f"consent page request {kind}", r, (400,))
            r = browser.http.post(f"{base}/oauth/consent", data={"request": handle, "csrf": canary, "decision": "allow"})
            stack.check(f"consent csrf {kind}", r, (403,))
            r = browser.http.post(f"{base}/oauth/consent", data={"request": canary, "csrf": canary, "decision": canary})
            stack.check(f"consent request {kind}", r, (400, 403))
            r = browser.http.post(f"{base}/oauth/signout", data={"csrf": canary})
            stack.check(f"signout csrf {kind}", r, (403,))

            # A sign-in graphgate really started (valid state), answered with a canary code or Microsoft's error
            # parameters carrying a canary.
            for answer in ({"code": canary}, {"error": "access_denied", "error_description": canary},
                           {"error": "server_error", "error_description": canary, "error_uri": canary},
                           {"error": "invalid_request", "error_description": f"AADSTS50011: {canary}"}):
                with proxied(follow_redirects=False) as fresh:
                    r = fresh.get(f"{base}/oauth/authorize?" + urllib.parse.urlencode(
                        authorize_params(base, stack.victim.client_id)))
                    assert r.status_code == 302, r.text[:200]
                    state = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(r.headers["location"]).query))["state"]
                    r = fresh.get(f"{base}/oauth/callback", params={**answer, "state": state})
                    stack.check(f"callback {sorted(answer)} {kind}", r, (400, 403, 431))
    assert_clean(stack, 12 * 8)


def test_oversized_bodies_carrying_canaries(stack):
    base = stack.base
    big = {kind: (canary + " ").encode() * (700 * 1024 // (len(canary) + 1)) for kind, canary in stack.canaries.items()}
    with proxied(timeout=60) as http:
        for kind, body in big.items():
            for path, headers in (("/mcp", {**ACCEPT, "Authorization": f"Bearer {stack.caller.access_token}"}),
                                  ("/mcp", ACCEPT),
                                  ("/oauth/token", {"Content-Type": "application/x-www-form-urlencoded"}),
                                  ("/oauth/register", {"Content-Type": "application/json"}),
                                  ("/oauth/consent", {"Content-Type": "application/x-www-form-urlencoded"})):
                try:
                    r = http.post(base + path, content=b"code=" + body, headers=headers)
                except (httpx.RemoteProtocolError, httpx.WriteError):
                    continue  # closed after answering 413 while the body was still being sent
                stack.check(f"oversized {path} {kind}", r, (400, 401, 413))
    assert_clean(stack, 12 * 3)


def test_graph_and_token_endpoint_errors_carrying_canaries(stack):
    sandbox = stack.sandbox

    async def call(login, tool="list_messages", args=None):
        async with httpx.AsyncClient(timeout=120) as http:
            client = McpClient(http, login)
            await client.initialize()
            r, message = await client.rpc("tools/call", {"name": tool, "arguments": args or {"page_size": 2}})
            return r, message

    def expect_tool_error(label, r, message, words):
        stack.check(label, r, (200,))
        result = (message or {}).get("result") or {}
        text = " ".join(c.get("text", "") for c in result.get("content", []))
        if not result.get("isError") or not any(w in text.lower() for w in words):
            stack.findings.append(f"{label}: expected a tool error mentioning {words}: {r.text[:200]!r}")

    for kind, canary in stack.canaries.items():
        for status, words in ((400, ("refused",)), (403, ("denied",)), (404, ("not found",)),
                              (409, ("changed",)), (500, ("unavailable", "retry")), (503, ("retry",))):
            sandbox.control("DELETE", "requests")
            # As many failures as the Graph client makes attempts (4), so retries of 5xx cannot absorb them.
            sandbox.set_faults(failNextRequests=4, failNextStatus=status, errorMessage=canary)
            r, message = asyncio.run(call(stack.caller))
            expect_tool_error(f"graph {status} {kind}", r, message, words)
            seen = [e["status"] for e in sandbox.control("GET", "requests")["value"]]
            assert status in seen, (status, seen)  # the fault was injected
        sandbox.set_faults(throttleNextRequests=8, retryAfterSeconds=1, errorMessage=canary)
        r, message = asyncio.run(call(stack.caller))
        expect_tool_error(f"graph throttled {kind}", r, message, ("throttl", "retry"))
        sandbox.set_faults()

    # Microsoft's token endpoint failing during a refresh, with a canary in its error_description.
    caller = stack.caller
    for kind in ("ms_refresh_token", "mailbox_canary", "our_access_token"):
        sandbox.control("POST", f"users/{urllib.parse.quote(caller.upn)}/expire-access-tokens")
        sandbox.set_faults(includeTokenEndpoint=True, unavailableRate=1.0, errorMessage=stack.canaries[kind])
        try:
            r, message = asyncio.run(call(caller))
        finally:
            sandbox.set_faults()
        expect_tool_error(f"token endpoint 503 {kind}", r, message, ("retry", "unavailable"))
    r, message = asyncio.run(call(caller))  # a passing outage did not make the account sign in again
    assert not message["result"].get("isError"), r.text[:300]
    assert_clean(stack, 12 * 7 + 3)


def test_refresh_revoked_at_the_tenant_and_a_blob_that_does_not_decrypt(stack):
    sandbox, graphgate = stack.sandbox, stack.graphgate
    third, fourth = Login(stack.base, 2), Login(stack.base, 3)
    asyncio.run(Stack.tool_calls([third, fourth]))

    async def call(login):
        async with httpx.AsyncClient(timeout=60) as http:
            client = McpClient(http, login)
            await client.initialize()
            return await client.rpc("tools/call", {"name": "list_messages", "arguments": {"page_size": 2}})

    sandbox.control("POST", f"users/{urllib.parse.quote(third.upn)}/revoke-refresh-tokens")
    sandbox.control("POST", f"users/{urllib.parse.quote(third.upn)}/expire-access-tokens")
    r, message = asyncio.run(call(third))
    stack.check("refresh revoked at the tenant", r, (200,), "sign in")
    assert message["result"]["isError"], r.text[:300]

    # Tamper with the stored (encrypted) tokens of the fourth person: decryption fails closed.
    db = sqlite3.connect(f"{graphgate.workdir}/graphgate.sqlite", timeout=30)
    try:
        user_id = db.execute("SELECT id FROM users WHERE lower(username) = ?", (fourth.upn.lower(),)).fetchone()[0]
        rows = db.execute("SELECT account_id, kind, blob FROM token_blobs WHERE user_id = ?", (user_id,)).fetchall()
        assert rows
        for account_id, kind, blob in rows:
            flipped = bytearray(blob)
            flipped[-1] ^= 0x01
            db.execute("UPDATE token_blobs SET blob = ? WHERE account_id = ? AND kind = ?",
                       (bytes(flipped), account_id, kind))
        db.commit()
    finally:
        db.close()
    assert graphgate.stop() == 0  # the decrypted token lives in memory too: a restart reads the tampered rows
    graphgate.start()
    r, message = asyncio.run(call(fourth))
    stack.check("tampered token blob", r, (200,), "sign in")
    assert message["result"]["isError"], r.text[:300]
    stack.canaries.update({"third_access_token": third.access_token, "fourth_refresh_token": fourth.refresh_token})
    assert_clean(stack, 2)


def test_no_canary_or_issued_secret_in_any_log_line(stack):
    """Last: every line graphgate logged during the suite (trace level), against every secret of the run."""
    graphgate = stack.graphgate
    blobs = {}
    for path in graphgate.log_files:
        with open(path, "rb") as f:
            blobs[path.rsplit("/", 1)[-1]] = f.read()
    assert sum(len(b) for b in blobs.values()) > 100_000, "the trace log is suspiciously small"
    assert b'"trace"' in b"".join(blobs.values()) or b"trace" in b"".join(blobs.values())
    hits = scan(blobs, stack.every_secret())
    lines = []
    for name, form, secret in hits[:20]:
        blob = blobs[name]
        index = blob.find(form.rstrip("…").encode())
        lines.append(f"{name}: {secret} as {form}: …{blob[max(0, index - 200):index + 80]!r}")
    assert not hits, "\n".join(lines)
