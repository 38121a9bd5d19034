"""The official MCP Python SDK against graphgate: OAuth discovery, dynamic registration, PKCE, sign-in through the
emulated Microsoft tenant, graphgate's consent form, tool calls as two different users, refresh, revocation.

The SDK's `OAuthClientProvider` is driven headless: its redirect handler gets graphgate's authorize URL and this
test plays the browser with httpx (graphgate → emulated tenant's sign-in page → graphgate's consent page →
the client's redirect URI), then hands code and state to the SDK's callback handler.
"""
import asyncio
import html
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.parse

import httpx
import pytest
import httpx2
import json
from mcp_types import ElicitResult
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from conftest import graphgate_bin, stop

REDIRECT_URI = "http://127.0.0.1:33418/callback"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def graphgate():
    """`graphgate serve` in sandbox mode on a free port with a fresh SQLite file; yields its base URL."""
    yield from serve_graphgate({})


@pytest.fixture(scope="module")
def confirming_graphgate():
    """The same with GRAPHGATE_CONFIRM_SENDS=1: every send asks the person first."""
    yield from serve_graphgate({"GRAPHGATE_CONFIRM_SENDS": "1"})


def serve_graphgate(extra_env: dict, port: int | None = None, workdir: str | None = None):
    port = port or free_port()
    workdir = workdir or tempfile.mkdtemp(prefix="gg-e2e-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHGATE_") or k.startswith("GRAPHGATE_TEST_")}
    env.update(extra_env)
    proc = subprocess.Popen(
        [graphgate_bin(), "serve", "--port", str(port), "--database-url", f"sqlite:{workdir}/graphgate.sqlite"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=workdir)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"graphgate exited: {proc.stderr.read()[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    else:
        stop(proc)
        raise RuntimeError("graphgate did not become healthy")
    try:
        yield base
    finally:
        code = stop(proc)
        assert code == 0, f"graphgate exited with {code}"


class MemoryStorage(TokenStorage):
    def __init__(self):
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


def hidden(page: str, name: str) -> str:
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    assert m, f"no hidden {name} in page: {page[:400]}"
    return html.unescape(m.group(1))


def play_browser(authorize_url: str, user_index: int, decision: str = "allow") -> dict:
    """Follows graphgate's authorize URL like a person: picks the `user_index`-th user at the emulated tenant,
    accepts its consent, then answers graphgate's consent form. Returns the client redirect's query."""
    seen = {"consent_page": False, "upn": None}
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        r = browser.get(authorize_url)
        for _ in range(12):
            if r.status_code in (301, 302, 303):
                location = urllib.parse.urljoin(str(r.request.url), r.headers["location"])
                if location.startswith(REDIRECT_URI):
                    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(location).query))
                    query["_consent_page_seen"] = seen["consent_page"]
                    query["_upn"] = seen["upn"]
                    return query
                r = browser.get(location)
                continue
            assert r.status_code == 200, f"{r.status_code} at {r.request.url}: {r.text[:500]}"
            page = r.text
            url = str(r.request.url)
            if "Permission granted" in page:  # an incremental-consent link walked to its end
                return {"_granted": True, "_upn": seen["upn"]}
            if "/login/select" in page:
                users = re.findall(r'name="user" value="([0-9a-f-]{36})" data-upn="([^"]+)"', page, re.I)
                oid, seen["upn"] = users[user_index][0], html.unescape(users[user_index][1])
                action = html.unescape(re.search(r'action="([^"]+/login/select)"', page).group(1))
                r = browser.post(urllib.parse.urljoin(url, action), data={"user": oid, "return_to": hidden(page, "return_to")})
            elif 'action="/account/consent"' in page:
                # graphgate's own "grant Microsoft permission" page: its button posts the form (POST + CSRF).
                r = browser.post(urllib.parse.urljoin(url, "/account/consent"), data={
                    "scope": hidden(page, "scope"), "csrf": hidden(page, "csrf")})
            elif "/login/consent" in page:
                action = html.unescape(re.search(r'action="([^"]+/login/consent)"', page).group(1))
                r = browser.post(urllib.parse.urljoin(url, action),
                                 data={"decision": "accept", "return_to": hidden(page, "return_to")})
            elif 'action="/oauth/consent"' in page:
                seen["consent_page"] = True
                # graphgate's consent page must not be frameable and must carry a CSRF token.
                assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
                assert r.headers["x-frame-options"] == "DENY"
                r = browser.post(urllib.parse.urljoin(url, "/oauth/consent"), data={
                    "request": hidden(page, "request"), "csrf": hidden(page, "csrf"), "decision": decision,
                    "remember": "1"})
            else:
                raise AssertionError(f"unexpected page at {url}: {page[:500]}")
    raise AssertionError("the sign-in did not come back to the client")


class HeadlessUser:
    """The SDK's redirect/callback handlers, answered by `play_browser` for one user."""

    def __init__(self, user_index: int):
        self.user_index = user_index
        self.result: dict | None = None
        self.authorizations = 0
        self.refuse = False

    async def redirect_handler(self, url: str) -> None:
        self.authorizations += 1
        if self.refuse:
            raise RuntimeError("re-authorization was requested after revocation")
        query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        assert query["code_challenge_method"] == ["S256"]
        self.result = await asyncio.to_thread(play_browser, url, self.user_index)

    async def callback_handler(self) -> tuple[str, str | None]:
        assert self.result and "code" in self.result, self.result
        return AuthorizationCodeResult(
            code=self.result["code"], state=self.result.get("state"), iss=self.result.get("iss"))


def provider_for(base: str, user: HeadlessUser, storage: MemoryStorage) -> OAuthClientProvider:
    return OAuthClientProvider(
        server_url=f"{base}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="graphgate e2e (MCP Python SDK)", redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
            token_endpoint_auth_method="none"),
        storage=storage, redirect_handler=user.redirect_handler, callback_handler=user.callback_handler)


async def call_profile(base: str, provider: OAuthClientProvider, mode: str = "auto") -> tuple[list[str], str]:
    """Connects with the official client in `mode` ("legacy", "auto" or a 2026 version), lists and calls a tool."""
    http = httpx2.AsyncClient(auth=provider, timeout=60)
    async with Client(streamable_http_client(f"{base}/mcp", http_client=http), mode=mode) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        result = await client.call_tool("get_profile", {})
        assert not result.is_error, result
        text = "\n".join(c.text for c in result.content if getattr(c, "text", None))
        return tools, text


def test_two_users_call_tools_refresh_and_are_refused_after_revocation(graphgate):
    async def scenario():
        alice, bob = HeadlessUser(0), HeadlessUser(1)
        alice_store, bob_store = MemoryStorage(), MemoryStorage()
        alice_provider = provider_for(graphgate, alice, alice_store)
        bob_provider = provider_for(graphgate, bob, bob_store)

        tools, alice_profile = await call_profile(graphgate, alice_provider)
        assert "get_profile" in tools
        assert alice.authorizations == 1 and alice.result["_consent_page_seen"]
        assert alice.result["iss"] == graphgate  # RFC 9207
        _, bob_profile = await call_profile(graphgate, bob_provider)
        assert bob.authorizations == 1
        # Each user sees exactly their own mailbox identity.
        assert alice.result["_upn"] != bob.result["_upn"]
        assert alice.result["_upn"] in alice_profile and bob.result["_upn"] not in alice_profile
        assert bob.result["_upn"] in bob_profile and alice.result["_upn"] not in bob_profile
        # Registering the same metadata again returns the existing client; each person still has their own grant.
        assert alice_store.client_info.client_id == bob_store.client_info.client_id
        assert alice_store.tokens.access_token != bob_store.tokens.access_token

        # Our tokens are opaque (prefixed random strings), never Microsoft's.
        first_access = alice_store.tokens.access_token
        first_refresh = alice_store.tokens.refresh_token
        assert first_access.startswith("gga_") and first_refresh.startswith("ggr_")

        # Refresh through the SDK: make its token look expired; the next request refreshes (rotation).
        alice_provider.context.token_expiry_time = time.time() - 1
        _, again = await call_profile(graphgate, alice_provider)
        assert again == alice_profile
        assert alice.authorizations == 1, "a refresh must not need the browser"
        assert alice_store.tokens.access_token != first_access
        assert alice_store.tokens.refresh_token != first_refresh

        # Presenting the rotated refresh token again is refused, and revokes the whole grant: even the newest
        # access token stops working.
        async with httpx.AsyncClient(timeout=30) as http:
            reuse = await http.post(f"{graphgate}/oauth/token", data={
                "grant_type": "refresh_token", "refresh_token": first_refresh,
                "client_id": alice_store.client_info.client_id})
            assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
            assert first_refresh not in reuse.text
            after_reuse = await http.post(f"{graphgate}/mcp", headers={
                "Authorization": f"Bearer {alice_store.tokens.access_token}", "Accept": "application/json, text/event-stream",
                "Content-Type": "application/json"}, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            assert after_reuse.status_code == 401
            assert 'error="invalid_token"' in after_reuse.headers["www-authenticate"]

            # Bob revokes his refresh token (RFC 7009): his grant ends, his access token is refused.
            revoked = await http.post(f"{graphgate}/oauth/revoke", data={
                "token": bob_store.tokens.refresh_token, "client_id": bob_store.client_info.client_id})
            assert revoked.status_code == 200
            refused = await http.post(f"{graphgate}/mcp", headers={
                "Authorization": f"Bearer {bob_store.tokens.access_token}", "Accept": "application/json, text/event-stream",
                "Content-Type": "application/json"}, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            assert refused.status_code == 401
            assert "resource_metadata=" in refused.headers["www-authenticate"]

        # The SDK itself is refused too: it gets 401 and would have to send the person through sign-in again.
        bob.refuse = True
        with pytest.raises(BaseException):
            await call_profile(graphgate, bob_provider)
        assert bob.authorizations == 2

    asyncio.run(scenario())


def test_deny_on_the_consent_page_returns_access_denied(graphgate):
    async def scenario():
        async with httpx.AsyncClient(timeout=30) as http:
            reg = await http.post(f"{graphgate}/oauth/register", json={
                "client_name": "deny test", "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"})
            assert reg.status_code == 201, reg.text
            client_id = reg.json()["client_id"]
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "state": "s t+a&te",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
            "resource": f"{graphgate}/mcp"})
        result = await asyncio.to_thread(play_browser, f"{graphgate}/oauth/authorize?{query}", 0, "deny")
        assert result["error"] == "access_denied"
        assert result["state"] == "s t+a&te"
        assert "code" not in result

    asyncio.run(scenario())


_SIGNED_IN: dict = {}


def signed_in(base: str):
    """User 0 signed in once per server (the mode tests reuse the tokens: the login rate limit stays untouched)."""
    if base not in _SIGNED_IN:
        user, storage = HeadlessUser(0), MemoryStorage()
        _SIGNED_IN[base] = (user, storage, provider_for(base, user, storage))
    return _SIGNED_IN[base]


@pytest.mark.parametrize("mode", ["legacy", "auto", "2026-07-28"])
def test_official_client_signs_in_and_calls_tools_in_each_mode(graphgate, mode):
    """mcp 2.x signs in through our OAuth flow and calls tools in the handshake era (`legacy`), after probing
    `server/discover` (`auto`, which picks 2026-07-28 here), and pinned to 2026-07-28."""
    async def scenario():
        user, _, provider = signed_in(graphgate)
        tools, profile = await call_profile(graphgate, provider, mode=mode)
        assert "get_profile" in tools and tools == sorted(tools)
        assert user.result["_upn"] in profile
    asyncio.run(scenario())


@pytest.mark.parametrize("mode", ["2026-07-28", "legacy"])
def test_confirmed_send_asks_the_person_in_each_era(confirming_graphgate, mode):
    """GRAPHGATE_CONFIRM_SENDS=1: the 2026-07-28 era asks with an InputRequiredResult answered on retry (sealed
    requestState), the handshake era with in-band elicitation/create on the call's SSE stream. Accepting sends;
    declining sends nothing."""
    base = confirming_graphgate
    asked: list[str] = []

    def answering(action):
        async def callback(context, params):
            asked.append(params.message)
            if action == "accept":
                return ElicitResult(action="accept", content={"confirm": True})
            return ElicitResult(action="decline")
        return callback

    async def send(action, subject):
        user, storage = HeadlessUser(0), MemoryStorage()
        provider = provider_for(base, user, storage)
        http = httpx2.AsyncClient(auth=provider, timeout=60)
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http), mode=mode,
                          elicitation_callback=answering(action)) as client:
            me = (await client.call_tool("get_profile", {})).structured_content["email"]
            arguments = {"to": [me], "subject": subject, "body": "confirmation test"}
            result = await client.call_tool("send_message", arguments)
            text = "\n".join(c.text for c in result.content if getattr(c, "text", None))
            if result.is_error and "permission" in text:
                # Mail.Send is granted incrementally: the person opens the link the tool gives.
                link = re.search(r"https?://\S+/account/consent\?\S+", text).group(0).rstrip(".,)")
                assert (await asyncio.to_thread(play_browser, link, 0)).get("_granted"), text
                result = await client.call_tool("send_message", arguments)
            text = "\n".join(c.text for c in result.content if getattr(c, "text", None))
            sent = await client.call_tool("list_messages", {"folder": "sentitems", "page_size": 50})
            return result, text, json.dumps(sent.structured_content), me

    subject_yes, subject_no = f"confirmed {mode} {time.time()}", f"declined {mode} {time.time()}"
    result, text, sent, me = asyncio.run(send("accept", subject_yes))
    assert not result.is_error, text
    assert asked and me.lower() in asked[-1].lower(), "the confirmation names the recipient"
    assert subject_yes in sent
    asked.clear()
    result, text, sent, _ = asyncio.run(send("decline", subject_no))
    assert result.is_error and "Nothing was sent" in text, text
    assert asked, "the person was asked"
    assert subject_no not in sent


def test_bad_input_gets_a_jsonrpc_error_naming_the_problem(graphgate):
    """Not JSON, batches, missing ids, header/body mismatches, unknown versions, a huge `_meta`: each is a JSON-RPC
    error that says what is wrong, and nothing runs."""
    _, storage, provider = signed_in(graphgate)
    asyncio.run(call_profile(graphgate, provider, mode="legacy"))
    token = storage.tokens.access_token
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    modern = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}

    def post(body, headers=None):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return httpx.post(f"{graphgate}/mcp", content=data, timeout=30, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream", **(headers or {})})

    cases = [
        ("{not json", None, -32700, "not JSON"),
        ('{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/list"}', None, -32700, "repeated"),
        ([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}], None, -32600, "batches"),
        ({"jsonrpc": "2.0", "id": True, "method": "tools/list"}, None, -32600, "id must be"),
        ({"jsonrpc": "2.0", "method": "tools/call", "result": 1}, None, -32600, None),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}},
         {**modern, "Mcp-Method": "tools/call"}, -32020, "Mcp-Method"),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}},
         {"Mcp-Method": "tools/list"}, -32020, "MCP-Protocol-Version"),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
          "params": {"_meta": {**meta, "io.modelcontextprotocol/protocolVersion": "2031-01-01"}}},
         {**modern, "MCP-Protocol-Version": "2031-01-01"}, -32022, "Unsupported protocol version"),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {**meta, "x": "a" * 40000}}},
         modern, -32602, "larger than"),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {}}}, modern, -32602, "missing"),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, None, -32600, "Mcp-Session-Id"),
    ]
    for body, headers, code, words in cases:
        r = post(body, headers)
        assert r.status_code == 400, (body, r.status_code, r.text[:300])
        error = r.json()["error"]
        assert error["code"] == code, (body, error)
        if words:
            assert words in error["message"], (body, error)
        assert "mcp-session-id" not in r.headers
    # An unknown method is not repeated (it could be anything, a token too).
    canary = "gg-canary-method-0123456789"
    r = post({"jsonrpc": "2.0", "id": 1, "method": canary, "params": {"_meta": meta}}, {**modern, "Mcp-Method": canary})
    assert r.status_code == 404 and r.json()["error"]["code"] == -32601 and canary not in r.text
    # A write tool is not listed for a read-only token, and refused naming the scope: see the Swift tests.
    r = post({"jsonrpc": "2.0", "id": 2, "method": "server/discover", "params": {"_meta": meta}},
             {**modern, "Mcp-Method": "server/discover"})
    assert r.status_code == 200 and "2026-07-28" in r.json()["result"]["supportedVersions"]
    assert r.json()["result"]["resultType"] == "complete"


def test_a_legacy_session_survives_a_restart():
    """A handshake-era session is a database row: after graphgate restarts on the same store, the client's
    session id still works (and a DELETE then ends it: 404 afterwards)."""
    port, workdir = free_port(), tempfile.mkdtemp(prefix="gg-e2e-restart-")
    first = serve_graphgate({}, port=port, workdir=workdir)
    base = next(first)
    user, storage = HeadlessUser(0), MemoryStorage()
    asyncio.run(call_profile(base, provider_for(base, user, storage), mode="legacy"))
    headers = {"Authorization": f"Bearer {storage.tokens.access_token}", "Content-Type": "application/json",
               "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    init = httpx.post(f"{base}/mcp", headers=headers, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    session = init.headers["mcp-session-id"]
    headers["Mcp-Session-Id"] = session
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    assert httpx.post(f"{base}/mcp", headers=headers, json=listing).status_code == 200
    next(first, None)  # stops graphgate (exit code checked)
    second = serve_graphgate({}, port=port, workdir=workdir)
    assert next(second) == base
    try:
        again = httpx.post(f"{base}/mcp", headers=headers, json=listing)
        assert again.status_code == 200 and "get_profile" in again.text, again.text[:300]
        assert httpx.delete(f"{base}/mcp", headers=headers).status_code == 200
        assert httpx.post(f"{base}/mcp", headers=headers, json=listing).status_code == 404
    finally:
        next(second, None)
