"""The generic server checks of the official MCP conformance suite (github.com/modelcontextprotocol/conformance,
`src/scenarios/server/*.ts`), ported to Python against the real binary: production mode against the emulated
tenant, with real bearer tokens (the suite itself assumes a server without authentication, so every probe here
also carries one).

One test per scenario area; each sends the suite's probes on the wire and records every check under the suite's
own check id. A MUST that does not hold fails the test; a SHOULD that does not hold is reported as a warning, as the
suite reports it (WARNING, not FAILURE). Either way the message names the check, the request and the answer.

Already covered elsewhere and not repeated here: not-JSON, duplicate keys, `id` types, `_meta: {}`, a huge
`_meta`, unknown-method canaries, the plain batch without a session (`test_mcp_oauth_e2e`
`test_bad_input_gets_a_jsonrpc_error_naming_the_problem`); a legacy session across a restart (same module);
client-chosen session ids (`test_attacks`).
"""
import json
import re
import secrets
import socket
import warnings

import httpx
import pytest

from ggharness import Login, parse_rpc, sandbox_stack
from test_attacks import graph_calls

MODERN = "2026-07-28"
HANDSHAKE = ["2025-11-25", "2025-06-18", "2025-03-26"]
LATEST_HANDSHAKE = HANDSHAKE[0]
BOTH = "application/json, text/event-stream"
VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]+$")
CLIENT_INFO = {"name": "graphgate-conformance-port", "version": "1.0.0"}


@pytest.fixture(scope="module")
def stack():
    with sandbox_stack("gg-conformance-", users=2, survived="graphgate did not survive the conformance checks") as pair:
        yield pair


@pytest.fixture(scope="module")
def alice(stack):
    """User 0, signed in once for the whole module."""
    return Login(stack[1].base, 0)


@pytest.fixture(scope="module")
def bob(stack):
    """User 1, signed in once for the whole module (the other person of the session-binding check)."""
    return Login(stack[1].base, 1)


class Checks:
    """Results of one scenario, keyed by the conformance suite's check ids."""

    def __init__(self, scenario: str):
        self.scenario = scenario
        self.failures: list[str] = []
        self.warnings: list[str] = []

    @staticmethod
    def describe(r: httpx.Response | None) -> str:
        if r is None:
            return ""
        sent = {k: v for k, v in r.request.headers.items()
                if k.lower() in ("host", "origin", "accept", "content-type", "mcp-session-id", "mcp-protocol-version",
                                 "mcp-method", "mcp-name", "last-event-id")}
        body = r.request.content.decode(errors="replace")[:160]
        return f" [{r.request.method} {sent} {body} -> {r.status_code} {r.headers.get('content-type')} {r.text[:220]!r}]"

    def must(self, ok: bool, check: str, what: str, r: httpx.Response | None = None) -> bool:
        if not ok:
            self.failures.append(f"{check}: {what}{self.describe(r)}")
        return ok

    def should(self, ok: bool, check: str, what: str, r: httpx.Response | None = None) -> bool:
        if not ok:
            self.warnings.append(f"{check} (SHOULD): {what}{self.describe(r)}")
        return ok

    def done(self):
        for w in self.warnings:
            warnings.warn(f"{self.scenario}: {w}", stacklevel=2)
        assert not self.failures, f"{self.scenario}: {len(self.failures)} MUST check(s) failed:\n" + "\n".join(self.failures)


class Wire:
    """Raw Streamable HTTP requests to `/mcp` as one signed-in person (from that person's proxied address). Extra
    headers override the defaults; a value of None drops that header."""

    def __init__(self, base: str, login: Login):
        self.base, self.login = base, login
        self.url = f"{base}/mcp"
        self.http = httpx.Client(timeout=30)

    def headers(self, extra: dict) -> list[tuple[str, str]]:
        h = {"Authorization": f"Bearer {self.login.access_token}", "X-Forwarded-For": self.login.address,
             "Content-Type": "application/json", "Accept": BOTH}
        out = {k.lower(): (k, v) for k, v in h.items()}
        for k, v in extra.items():
            out.pop(k.lower(), None)
            if v is not None:
                out[k.lower()] = (k, v)
        return list(out.values())

    def post(self, body, **headers) -> httpx.Response:
        content = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.http.post(self.url, content=content, headers=self.headers(headers))

    def delete(self, **headers) -> httpx.Response:
        return self.http.delete(self.url, headers=self.headers(headers))

    def get(self, **headers) -> httpx.Response:
        return self.http.get(self.url, headers=self.headers(headers))

    def initialize(self, version: str = LATEST_HANDSHAKE, **headers) -> httpx.Response:
        return self.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": CLIENT_INFO}}, **headers)

    def session(self) -> str:
        """A live handshake-era session (initialize + notifications/initialized); returns its id."""
        r = self.initialize()
        assert r.status_code == 200 and r.headers.get("mcp-session-id"), (r.status_code, r.text[:300])
        sid = r.headers["mcp-session-id"]
        ack = self.post(INITIALIZED, **{"Mcp-Session-Id": sid, "MCP-Protocol-Version": LATEST_HANDSHAKE})
        assert ack.status_code == 202, (ack.status_code, ack.text[:300])
        return sid

    def modern(self, method: str, id=1, meta: dict | None = None, headers: dict | None = None, **params) -> httpx.Response:
        """A 2026-07-28 request with the suite's conformant `_meta` and standard headers (`headers` overrides)."""
        body = {"jsonrpc": "2.0", "id": id, "method": method, "params": {**params, "_meta": meta or modern_meta()}}
        standard = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
        if method == "tools/call":
            standard["Mcp-Name"] = params.get("name")
        return self.post(body, **{**standard, **(headers or {})})

    def close(self):
        self.http.close()


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}


def modern_meta(**overrides) -> dict:
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
            "io.modelcontextprotocol/clientCapabilities": {}}
    meta.update(overrides)
    return {k: v for k, v in meta.items() if v is not None}


def rpc(r: httpx.Response) -> dict:
    try:
        message = parse_rpc(r)
    except (ValueError, json.JSONDecodeError):
        return {}
    return message if isinstance(message, dict) else {"_not_an_object": message}


def error_code(r: httpx.Response):
    return (rpc(r).get("error") or {}).get("code")


def raw_post(base: str, headers: list[tuple[str, str]], body: dict) -> tuple[int, dict]:
    """POST over a plain socket, so header values go out byte for byte (httpx refuses leading/trailing blanks)."""
    host, port = base.split("//", 1)[1].split(":")
    data = json.dumps(body).encode()
    head = [f"POST /mcp HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(data)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers]
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    try:
        message = json.loads(payload)
    except ValueError:
        message = {"_raw": payload[:200].decode(errors="replace")}
    return int(status_line.split()[1]), message


def test_session_lifecycle(stack, alice, bob):
    """Ports `server-initialize` (lifecycle.ts: the handshake answers with protocolVersion, serverInfo, capabilities;
    `server-session-id-visible-ascii`) and `server-session-lifecycle` (session-lifecycle.ts:
    `server-session-initialized-accepted`, `server-session-delete-accepted`, `server-session-terminated-returns-404`),
    plus the 2025-11-25 session-management rules the suite leaves implicit: requests without the session id are 400,
    an unknown id is 404, DELETE without one is 400, GET is SSE or 405, and a session is bound to its person (another
    person's bearer with it is 404 and cannot end it)."""
    _, graphgate = stack
    a, b = Wire(graphgate.base, alice), Wire(graphgate.base, bob)
    c = Checks("server-session-lifecycle")
    try:
        # initialize carries no MCP-Protocol-Version (the version is being negotiated), as the suite sends it.
        init = a.initialize(**{"MCP-Protocol-Version": None})
        result = rpc(init).get("result") or {}
        c.must(init.status_code == 200, "server-initialize", "initialize is answered 200", init)
        c.must(init.headers.get("content-type", "").split(";")[0] in ("application/json", "text/event-stream"),
               "server-initialize", "the answer is JSON or SSE", init)
        c.must(result.get("protocolVersion") == LATEST_HANDSHAKE, "server-initialize",
               "the requested (supported) version is the negotiated one", init)
        info = result.get("serverInfo") or {}
        c.must(isinstance(info.get("name"), str) and isinstance(info.get("version"), str), "server-initialize",
               "serverInfo names the server and its version", init)
        c.must(isinstance(result.get("capabilities"), dict) and "tools" in result["capabilities"], "server-initialize",
               "capabilities is an object declaring tools", init)
        sid = init.headers.get("mcp-session-id") or ""
        c.must(bool(VISIBLE_ASCII.match(sid)), "server-session-id-visible-ascii",
               f"Mcp-Session-Id uses only 0x21-0x7E: {sid!r}", init)
        other = a.initialize(**{"MCP-Protocol-Version": None}).headers.get("mcp-session-id")
        c.must(other is not None and other != sid, "server-initialize", "each initialize opens its own session")
        older = a.initialize(version="1999-01-01")
        c.must(older.status_code == 200 and (rpc(older).get("result") or {}).get("protocolVersion") == LATEST_HANDSHAKE,
               "server-initialize", "an unsupported requested version is answered with the server's latest", older)

        in_session = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": LATEST_HANDSHAKE}
        ack = a.post(INITIALIZED, **in_session)
        c.must(ack.status_code == 202 and ack.content == b"", "server-session-initialized-accepted",
               "notifications/initialized on the issued id is 202 with no body", ack)
        listed = a.post(TOOLS_LIST, **in_session)
        c.must(listed.status_code == 200 and "get_profile" in json.dumps(rpc(listed).get("result")),
               "server-session-lifecycle", "the live session answers tools/list", listed)

        # Without the session id: 400 for requests (2025-11-25: servers that require a session SHOULD; graphgate does).
        for body in (TOOLS_LIST, {"jsonrpc": "2.0", "id": 3, "method": "ping"}):
            r = a.post(body, **{"MCP-Protocol-Version": LATEST_HANDSHAKE})
            c.must(r.status_code == 400 and error_code(r) == -32600, "server-session-required",
                   f"{body['method']} without Mcp-Session-Id is 400 with a JSON-RPC error", r)
            c.must("mcp-session-id" not in r.headers, "server-session-required", "no session id is minted for it", r)
        r = a.post(INITIALIZED, **{"MCP-Protocol-Version": LATEST_HANDSHAKE})
        c.should(r.status_code == 400, "server-session-required",
                 "a POST without Mcp-Session-Id other than initialize is 400 (here: a notification)", r)

        # Unknown ids: 404 for every kind of message and for DELETE.
        for unknown in (secrets.token_urlsafe(32), "garbage", "!~not-a-session~!"):
            headers = {"Mcp-Session-Id": unknown, "MCP-Protocol-Version": LATEST_HANDSHAKE}
            for label, r in (("tools/list", a.post(TOOLS_LIST, **headers)), ("notification", a.post(INITIALIZED, **headers)),
                             ("DELETE", a.delete(**headers))):
                c.must(r.status_code == 404, "server-session-unknown-returns-404", f"{label} with unknown id {unknown!r} is 404", r)

        # Bound to its person: another person's valid bearer with this id is 404 and cannot end it.
        r = b.post(TOOLS_LIST, **in_session)
        c.must(r.status_code == 404, "server-session-bound-to-user", "another person's bearer with the id is 404", r)
        r = b.delete(**in_session)
        c.must(r.status_code == 404, "server-session-bound-to-user", "another person's DELETE of the id is 404", r)
        r = a.post(TOOLS_LIST, **in_session)
        c.must(r.status_code == 200, "server-session-bound-to-user", "the owner's session still works afterwards", r)

        # GET: either an SSE stream or 405 (graphgate never sends outside a request's answer).
        r = a.get(Accept="text/event-stream", **in_session)
        c.must(r.status_code == 405 and "POST" in r.headers.get("allow", ""), "server-get-sse-or-405",
               "GET on the MCP endpoint is 405 naming the allowed methods", r)

        # DELETE ends it; afterwards every use of the id is 404.
        r = a.delete(**{"Mcp-Session-Id": sid, "MCP-Protocol-Version": LATEST_HANDSHAKE})
        c.must(200 <= r.status_code < 300, "server-session-delete-accepted", "DELETE with the issued id is 2xx", r)
        for label, r in (("tools/list", a.post(TOOLS_LIST, **in_session)), ("notification", a.post(INITIALIZED, **in_session)),
                         ("DELETE", a.delete(**in_session))):
            c.must(r.status_code == 404, "server-session-terminated-returns-404", f"{label} after DELETE is 404", r)
        r = a.delete(**{"MCP-Protocol-Version": LATEST_HANDSHAKE})
        c.must(r.status_code == 400, "server-session-delete-accepted", "DELETE without Mcp-Session-Id is 400", r)
        r = a.post(TOOLS_LIST, **{"Mcp-Session-Id": other, "MCP-Protocol-Version": LATEST_HANDSHAKE})
        c.must(r.status_code == 200, "server-session-lifecycle", "ending one session leaves the person's others", r)
    finally:
        a.close()
        b.close()
    c.done()


def test_dns_rebinding_and_origin(stack, alice):
    """Ports `dns-rebinding-protection` (dns-rebinding.ts: `localhost-host-rebinding-rejected` — Host and Origin of
    evil.example.com are refused — and `localhost-host-valid-accepted` — the server's own loopback Host/Origin, one
    of localhost, 127.0.0.1, [::1], are served: here the URL's 127.0.0.1 and, as the suite sends when given a
    localhost URL, localhost; probed with initialize and with the 2026-07-28 server/discover) and
    the transport's Security rule: an Origin present and invalid is 403, before anything runs (no session opened,
    no Graph call made, no session ended); the server's own origin and no Origin at all are accepted."""
    sandbox, graphgate = stack
    a = Wire(graphgate.base, alice)
    c = Checks("dns-rebinding-protection")
    port = graphgate.port
    own = f"127.0.0.1:{port}"
    discover = {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": modern_meta()}}
    discover_headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "server/discover"}
    try:
        # The suite's probes: Host and Origin set together.
        for label, send in (("initialize", lambda **h: a.initialize(**h)),
                            ("server/discover", lambda **h: a.post(discover, **discover_headers, **h))):
            r = send(Host="evil.example.com", Origin="http://evil.example.com")
            c.must(r.status_code == 403, "localhost-host-rebinding-rejected", f"{label}: foreign Host+Origin is 403", r)
            c.must("mcp-session-id" not in r.headers, "localhost-host-rebinding-rejected", "no session is opened", r)
            r = send(Host=own, Origin=f"http://{own}")
            c.must(200 <= r.status_code < 300 and "result" in rpc(r), "localhost-host-valid-accepted",
                   f"{label}: the server's own Host+Origin ({own}) is served", r)
            # What the suite sends when pointed at http://localhost:PORT/mcp (which reaches this server too).
            host = f"localhost:{port}"
            r = send(Host=host, Origin=f"http://{host}")
            c.must(200 <= r.status_code < 300, "localhost-host-valid-accepted",
                   f"{label}: loopback Host+Origin {host} is served on a loopback server", r)

        # Host alone (a loopback deployment): a foreign name is refused, loopback names are served.
        for host in ("evil.example.com", f"127.0.0.1.evil.example:{port}", "127.evil.example"):
            r = a.initialize(Host=host)
            c.must(r.status_code == 403, "localhost-host-rebinding-rejected", f"a foreign Host {host} without Origin is 403", r)
        for host in (f"localhost:{port}", f"[::1]:{port}", own):
            r = a.initialize(Host=host)
            c.must(r.status_code == 200, "localhost-host-valid-accepted", f"Host {host} without Origin is served", r)

        # Origin alone: anything but the server's own origin is 403, whatever the method, before authentication.
        foreign = ["http://evil.example.com", f"http://127.0.0.1.evil.example:{port}", f"http://127.0.0.1:{port + 1}",
                   f"https://{own}", "null"]
        sid = a.session()
        in_session = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": LATEST_HANDSHAKE}
        call = {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "get_profile", "arguments": {}}}
        for origin in foreign:
            before = graph_calls(sandbox)
            r = a.initialize(Origin=origin)
            c.must(r.status_code == 403 and "mcp-session-id" not in r.headers, "transport-origin-403",
                   f"initialize from Origin {origin!r} is 403 and opens no session", r)
            r = a.post(call, Origin=origin, **in_session)
            c.must(r.status_code == 403, "transport-origin-403", f"tools/call from Origin {origin!r} is 403", r)
            r = a.post(call, Origin=origin, Authorization=None, **in_session)
            c.must(r.status_code == 403, "transport-origin-403", f"Origin {origin!r} is refused before authentication", r)
            r = a.get(Origin=origin, **in_session)
            c.must(r.status_code == 403, "transport-origin-403", f"GET from Origin {origin!r} is 403", r)
            r = a.delete(Origin=origin, **in_session)
            c.must(r.status_code == 403, "transport-origin-403", f"DELETE from Origin {origin!r} is 403", r)
            c.must(graph_calls(sandbox) == before, "transport-origin-403",
                   f"nothing reached Microsoft Graph for Origin {origin!r}")
        r = a.post(TOOLS_LIST, **in_session)
        c.must(r.status_code == 200, "transport-origin-403", "the refused DELETEs did not end the session", r)

        # Accepted: the server's own origin, and no Origin at all (a non-browser client).
        before = graph_calls(sandbox)
        r = a.post(call, Origin=f"http://{own}", **in_session)
        c.must(r.status_code == 200 and "result" in rpc(r) and not rpc(r)["result"].get("isError"), "transport-origin-403",
               "tools/call from the server's own origin runs", r)
        c.must(graph_calls(sandbox) > before, "transport-origin-403", "and reaches Graph (the probe can see a call)")
        r = a.post(TOOLS_LIST, Origin=None, **in_session)
        c.must(r.status_code == 200, "transport-origin-403", "a request without Origin is served", r)
    finally:
        a.close()
    c.done()


def test_protocol_version_header(stack, alice):
    """Ports `server-protocol-version-header` (protocol-version-header.ts: a malformed, a past and a future
    MCP-Protocol-Version on tools/list are 400, both before initialize and inside an initialized session) and the
    rest of the 2025-11-25 rule it tests ("If the server receives a request with an invalid or unsupported
    MCP-Protocol-Version, it MUST respond with 400 Bad Request"), which covers every POST — notifications included;
    a supported value, and none at all (assumed 2025-03-26, or the session's), are served."""
    _, graphgate = stack
    a = Wire(graphgate.base, alice)
    c = Checks("server-protocol-version-header")
    bad = {"malformed": "invalid-protocol-version", "unsupported-past": "2000-01-01", "unsupported-future": "2099-01-01"}
    try:
        for case, value in bad.items():
            r = a.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}, **{"MCP-Protocol-Version": value})
            c.must(r.status_code == 400, f"server-protocol-version-header-{case}", f"{value!r} before initialize is 400", r)
            c.must(rpc(r).get("id") == 1 and error_code(r) in (-32602, -32022), f"server-protocol-version-header-{case}",
                   "with a JSON-RPC error for the request (its _meta is missing, or the version unsupported)", r)
        sid = a.session()
        for case, value in bad.items():
            headers = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": value}
            r = a.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}, **headers)
            c.must(r.status_code == 400, f"server-protocol-version-header-{case}-post-init",
                   f"{value!r} inside a session is 400", r)
            r = a.post({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}, **headers)
            c.must(r.status_code == 400, f"server-protocol-version-header-{case}-post-init",
                   f"{value!r} on a notification inside a session is 400 (it is a request with that header too)", r)
            r = a.post({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}},
                       **{"MCP-Protocol-Version": value})
            c.must(r.status_code == 400, f"server-protocol-version-header-{case}",
                   f"{value!r} on a notification without a session is 400", r)
            r = a.initialize(**{"MCP-Protocol-Version": value})
            c.must(r.status_code == 400 and "mcp-session-id" not in r.headers, f"server-protocol-version-header-{case}",
                   f"initialize sent with {value!r} is 400 and opens no session", r)
        for value in (LATEST_HANDSHAKE, None):
            r = a.post(TOOLS_LIST, **{"Mcp-Session-Id": sid, "MCP-Protocol-Version": value})
            c.must(r.status_code == 200 and "result" in rpc(r), "server-protocol-version-header",
                   f"the session is served with MCP-Protocol-Version {value!r}", r)
    finally:
        a.close()
    c.done()


def test_standard_http_headers(stack, alice):
    """Ports `http-header-validation` (http-standard-headers.ts, SEP-2243, 2026-07-28): Mcp-Method mismatched,
    missing or differing only in case, Mcp-Name mismatched or missing are 400 with -32020 HeaderMismatch and run
    nothing; header names are case-insensitive; blanks around a value are not part of it (RFC 9110 §5.5). Plus the
    transport's Sending Messages rules the suite's harness relies on: a request is answered with Content-Type
    application/json or text/event-stream (only JSON when the client accepts only JSON), a notification the server
    accepts is 202 with no body, and Mcp-Method is required on notifications too (missing or mismatched: 400)."""
    sandbox, graphgate = stack
    a = Wire(graphgate.base, alice)
    c = Checks("http-header-validation")
    try:
        listing = {"jsonrpc": "2.0", "id": 100, "method": "tools/list", "params": {"_meta": modern_meta()}}
        call = {"jsonrpc": "2.0", "id": 101, "method": "tools/call",
                "params": {"name": "get_profile", "arguments": {}, "_meta": modern_meta()}}
        v = {"MCP-Protocol-Version": MODERN}
        rejected = [
            ("ServerRejectsMismatchedMethodHeader", listing, {**v, "Mcp-Method": "prompts/list"}),
            ("ServerRejectsMissingMethodHeader", listing, v),
            ("ServerRejectsCaseMismatchValue", listing, {**v, "Mcp-Method": "TOOLS/LIST"}),
            ("ServerRejectsMismatchedNameHeader", call, {**v, "Mcp-Method": "tools/call", "Mcp-Name": "wrong_tool_name"}),
            ("ServerRejectsMissingNameHeader", call, {**v, "Mcp-Method": "tools/call"}),
            ("ServerRejectsMismatchedNameHeader (case)", call, {**v, "Mcp-Method": "tools/call", "Mcp-Name": "GET_PROFILE"}),
        ]
        for name, body, headers in rejected:
            before = graph_calls(sandbox)
            r = a.post(body, **headers)
            c.must(r.status_code == 400, "sep-2243-server-reject-invalid-headers", f"{name}: 400", r)
            c.must(error_code(r) == -32020 and rpc(r).get("id") == body["id"], "sep-2243-server-reject-error-code",
                   f"{name}: JSON-RPC -32020 HeaderMismatch for the request's id", r)
            c.must(graph_calls(sandbox) == before, "sep-2243-server-reject-invalid-headers", f"{name}: nothing ran")

        for name in ("mcp-method", "MCP-METHOD", "Mcp-Method"):
            r = a.post(listing, **{**v, name: "tools/list"})
            c.must(r.status_code == 200 and "result" in rpc(r), "sep-2243-header-name-case-insensitive",
                   f"header name {name!r} is accepted", r)

        # Optional whitespace around a value is not part of it; sent raw (httpx will not send it).
        token = [("Authorization", f"Bearer {alice.access_token}"), ("X-Forwarded-For", alice.address),
                 ("Content-Type", "application/json"), ("Accept", BOTH), ("MCP-Protocol-Version", MODERN)]
        status, message = raw_post(graphgate.base, token + [("Mcp-Method", " tools/call\t"), ("Mcp-Name", "  get_profile  ")], call)
        c.must(status == 200 and "result" in message and not message["result"].get("isError"),
               "sep-2243-server-accepts-whitespace-header-value",
               f"Mcp-Method/Mcp-Name with surrounding blanks are accepted [-> {status} {json.dumps(message)[:200]}]")

        # Answers: JSON or SSE for requests in both eras; JSON only when only JSON is accepted.
        sid = a.session()
        for accept in (BOTH, "application/json"):
            for label, r in (("2026-07-28 tools/list", a.post(listing, **{**v, "Mcp-Method": "tools/list", "Accept": accept})),
                             ("handshake tools/list", a.post(TOOLS_LIST, **{"Mcp-Session-Id": sid, "Accept": accept,
                                                                            "MCP-Protocol-Version": LATEST_HANDSHAKE}))):
                kind = r.headers.get("content-type", "").split(";")[0].strip()
                allowed = ("application/json", "text/event-stream") if accept == BOTH else ("application/json",)
                c.must(r.status_code == 200 and kind in allowed and "result" in rpc(r), "transport-request-content-type",
                       f"{label} with Accept {accept!r} is answered as one of {allowed}", r)
        r = a.post(listing, **{**v, "Mcp-Method": "tools/list", "Content-Type": "application/json; charset=utf-8"})
        c.must(r.status_code == 200 and "result" in rpc(r), "transport-request-content-type",
               "a request body labelled application/json; charset=utf-8 is read", r)

        # Notifications: accepted ones are 202 with no body; the standard header is required on them too.
        cancelled = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1, "reason": "x"}}
        r = a.post(cancelled, **{**v, "Mcp-Method": "notifications/cancelled"})
        c.must(r.status_code == 202 and r.content == b"", "transport-notification-202",
               "a 2026-07-28 notification with its headers is 202 with no body", r)
        r = a.post(INITIALIZED, **{"Mcp-Session-Id": sid, "MCP-Protocol-Version": LATEST_HANDSHAKE})
        c.must(r.status_code == 202 and r.content == b"", "transport-notification-202",
               "a handshake-era notification in its session is 202 with no body", r)
        r = a.post(cancelled, **v)
        c.must(r.status_code == 400, "sep-2243-server-reject-invalid-headers",
               "a 2026-07-28 notification without Mcp-Method is 400 (required for all requests and notifications)", r)
        r = a.post(cancelled, **{**v, "Mcp-Method": "tools/call"})
        c.must(r.status_code == 400, "sep-2243-server-reject-invalid-headers",
               "a 2026-07-28 notification whose Mcp-Method differs from its method is 400", r)
    finally:
        a.close()
    c.done()


def test_sessionless_2026_07_28(stack, alice):
    """Ports `server-sessionless` (sessionless.ts, SEP-2567: `sep-2567-server-accepts-requests-without-session-id`,
    `sep-2567-tools-list-connection-invariant`; its legacy-traffic checks are SKIPPED by the suite for a dual-era
    server, but the 2026-era answers here must still never mint or echo a session id) and the HTTP checks of
    `server-stateless` (stateless.ts, SEP-2575: `_meta` validation -32602/400 with clientInfo optional,
    `sep-2575-server-implements-discover`, serverInfo in the result `_meta`, -32022/400 UnsupportedProtocolVersion
    with `supported` and `requested`, -32020/400 header mismatch, removed and unknown methods 404/-32601, declared
    capabilities match handlers, error ids echo the request), with `caching` (SEP-2549: ttlMs and cacheScope on
    tools/list — "private", the list depends on the token) and resultType "complete" on every result."""
    sandbox, graphgate = stack
    a = Wire(graphgate.base, alice)
    c = Checks("server-sessionless")
    try:
        def no_session_header(r, label):
            c.must("mcp-session-id" not in r.headers, "sep-2567-server-ignores-session-id",
                   f"{label}: the answer carries no Mcp-Session-Id", r)

        r = a.modern("server/discover", id=201)
        discover = rpc(r).get("result") or {}
        c.must(r.status_code == 200 and rpc(r).get("id") == 201, "sep-2567-server-accepts-requests-without-session-id",
               "server/discover without any session header is served", r)
        no_session_header(r, "server/discover")
        c.must(MODERN in discover.get("supportedVersions", []) and set(HANDSHAKE) <= set(discover.get("supportedVersions", [])),
               "sep-2575-server-implements-discover", "supportedVersions lists 2026-07-28 and the handshake versions", r)
        c.must(isinstance(discover.get("capabilities"), dict) and "tools" in discover["capabilities"],
               "sep-2575-server-implements-discover", "capabilities declares tools", r)
        c.must(discover.get("resultType") == "complete", "sep-2322-result-type", "server/discover has resultType complete", r)
        info = (discover.get("_meta") or {}).get("io.modelcontextprotocol/serverInfo") or {}
        c.must(isinstance(info.get("name"), str) and isinstance(info.get("version"), str),
               "sep-2575-server-identifies-in-result-meta", "serverInfo (name, version) in the result _meta", r)

        # _meta validation, as the suite sends it (headers conformant, only the body's _meta is wrong).
        for slug, meta in (("missing-protocol-version", modern_meta(**{"io.modelcontextprotocol/protocolVersion": None})),
                           ("missing-client-capabilities", modern_meta(**{"io.modelcontextprotocol/clientCapabilities": None}))):
            r = a.modern("server/discover", id=102, meta=meta)
            c.must(r.status_code == 400 and error_code(r) == -32602 and rpc(r).get("id") == 102,
                   f"sep-2575-request-meta-invalid-{slug}", "400 with -32602 for the request's id", r)
        r = a.modern("server/discover", id=105, meta=modern_meta(**{"io.modelcontextprotocol/clientInfo": None}))
        c.must(r.status_code == 200 and "result" in rpc(r), "sep-2575-request-meta-client-info-optional",
               "a _meta without clientInfo is served", r)

        # Versions: unsupported (header and body agree) is -32022; header and body disagreeing is -32020.
        r = a.modern("server/discover", id=301, meta=modern_meta(**{"io.modelcontextprotocol/protocolVersion": "v999.0.0"}),
                     headers={"MCP-Protocol-Version": "v999.0.0"})
        data = (rpc(r).get("error") or {}).get("data") or {}
        c.must(r.status_code == 400, "sep-2575-http-server-unsupported-version-400", "an unsupported version is 400", r)
        c.must(error_code(r) == -32022 and rpc(r).get("id") == 301, "sep-2575-server-unsupported-version-error",
               "UnsupportedProtocolVersionError (-32022) for the request's id", r)
        c.must(bool(data.get("supported")) and set(data.get("supported", [])) <= set(discover.get("supportedVersions", [])),
               "sep-2575-server-unsupported-version-error", "error.data.supported lists versions server/discover lists", r)
        c.must(data.get("requested") == "v999.0.0", "sep-2575-server-unsupported-version-error",
               "error.data.requested echoes the requested version", r)
        r = a.modern("server/discover", id=302, meta=modern_meta(**{"io.modelcontextprotocol/protocolVersion": "v999.0.0"}))
        c.must(r.status_code == 400 and error_code(r) == -32020 and rpc(r).get("id") == 302,
               "sep-2575-http-server-header-mismatch-400", "MCP-Protocol-Version differing from _meta is 400/-32020", r)

        # Methods removed in 2026-07-28, and unknown ones: 404 with -32601, the request's id echoed.
        for method in ("initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe",
                       "unknown/method"):
            r = a.modern(method, id=500)
            check = "sep-2575-http-server-method-not-found-404" + ("" if method == "unknown/method" else
                                                                 "-" + method.lower().replace("/", "-"))
            c.must(r.status_code == 404 and error_code(r) == -32601 and rpc(r).get("id") == 500, check,
                   f"{method} in the 2026-07-28 era is 404 with -32601", r)
            no_session_header(r, method)

        # Declared capabilities match the handlers: tools works; prompts and resources (undeclared) are -32601.
        for method in ("prompts/list", "resources/list"):
            r = a.modern(method, id=203)
            c.must(r.status_code == 404 and error_code(r) == -32601, "sep-2575-discover-capabilities-match-handlers",
                   f"{method} (not declared) is 404/-32601", r)

        # tools/list: cacheable, private, complete; the same list on independent requests with others in between.
        first = a.modern("tools/list", id=202)
        result = rpc(first).get("result") or {}
        c.must(first.status_code == 200 and isinstance(result.get("tools"), list) and result["tools"],
               "sep-2575-discover-capabilities-match-handlers", "tools/list (declared) lists tools", first)
        no_session_header(first, "tools/list")
        c.must(result.get("resultType") == "complete", "sep-2322-result-type", "tools/list has resultType complete", first)
        c.must(isinstance(result.get("ttlMs"), int) and not isinstance(result.get("ttlMs"), bool) and result["ttlMs"] >= 0,
               "sep-2549-caching", "tools/list has ttlMs, an integer >= 0", first)
        c.must(result.get("cacheScope") == "private", "sep-2549-caching",
               "tools/list has cacheScope private (the list depends on the token's scopes)", first)
        names = [t.get("name") for t in result.get("tools", [])]
        c.must(names == sorted(names) and len(set(names)) == len(names), "sep-2567-tools-list-connection-invariant",
               f"tools/list is in a stable order without duplicates: {names}", first)
        info = "io.modelcontextprotocol/serverInfo"
        c.must(((result.get("_meta") or {}).get(info) or {}).get("name"), "server-info",
               "tools/list names the server in _meta (as every result should)", first)
        r = a.modern("tools/list", id=203, cursor="not-a-cursor-of-ours")
        c.must(r.status_code == 400 and (rpc(r).get("error") or {}).get("code") == -32602, "pagination-invalid-cursor",
               "tools/list with a cursor it never gave is -32602 (it has one page)", r)
        a.modern("server/discover", id=204)
        with httpx.Client(timeout=30) as fresh:  # another connection
            again = fresh.post(a.url, content=first.request.content, headers=a.headers(
                {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"}))
        c.must(again.status_code == 200 and (rpc(again).get("result") or {}) == result,
               "sep-2567-tools-list-connection-invariant",
               "tools/list on another connection, after other requests, is identical", again)

        # Results of tools/call carry resultType too; stray legacy headers are ignored, never echoed.
        before = graph_calls(sandbox)
        r = a.modern("tools/call", id=7, name="get_profile", arguments={})
        call = rpc(r).get("result") or {}
        c.must(r.status_code == 200 and call.get("resultType") == "complete" and not call.get("isError"),
               "sep-2322-result-type", "tools/call has resultType complete", r)
        c.must(graph_calls(sandbox) > before, "sep-2322-result-type", "the call ran (reached Graph)")
        c.must(((call.get("_meta") or {}).get(info) or {}).get("name"), "server-info",
               "tools/call names the server in _meta", r)
        no_session_header(r, "tools/call")
        stale = "conformance-stale-session-id"
        r = a.modern("server/discover", id=8, headers={"Mcp-Session-Id": stale})
        c.must(r.status_code == 200 and "result" in rpc(r), "sep-2567-server-ignores-session-id",
               "a 2026-07-28 request carrying a stale Mcp-Session-Id is served", r)
        no_session_header(r, "stale Mcp-Session-Id")
        r = a.modern("server/discover", id=9, headers={"Last-Event-ID": "42"})
        c.must(r.status_code == 200 and "result" in rpc(r), "sep-2567-server-ignores-last-event-id",
               "a 2026-07-28 request carrying Last-Event-ID is served", r)
    finally:
        a.close()
    c.done()


def test_json_rpc_batch_rejection(stack, alice):
    """Ports `json-rpc-batch-rejection` (json-rpc-batch-rejection.ts, 2025-06-18 onward: a POST body MUST be a single
    JSON-RPC message): a two-ping batch on an established handshake-era session and a server/discover + tools/list
    batch with 2026-07-28 `_meta` and headers are each refused with HTTP 4xx and one JSON-RPC error object (here 400,
    -32600), not an array of results; nothing in a batch runs (a batched tools/call reaches no Graph endpoint), and
    the session still works afterwards."""
    sandbox, graphgate = stack
    a = Wire(graphgate.base, alice)
    c = Checks("json-rpc-batch-rejection")
    try:
        def rejected(r, what):
            message = rpc(r)
            c.must(400 <= r.status_code < 500, "json-rpc-batch-rejected", f"{what}: HTTP 4xx", r)
            c.must(isinstance(message, dict) and "_not_an_object" not in message and "result" not in message,
                   "json-rpc-batch-rejected", f"{what}: one JSON-RPC object, no results", r)
            c.must(r.status_code == 400 and error_code(r) == -32600, "json-rpc-batch-rejected",
                   f"{what}: 400 with -32600 Invalid Request", r)

        sid = a.session()
        in_session = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": LATEST_HANDSHAKE}
        pings = [{"jsonrpc": "2.0", "id": 901, "method": "ping", "params": {}},
                 {"jsonrpc": "2.0", "id": 902, "method": "ping", "params": {}}]
        rejected(a.post(pings, **{**in_session, "Mcp-Method": "ping"}), "handshake-era batch on a live session")
        stateless = [{"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": modern_meta()}},
                     {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": modern_meta()}}]
        rejected(a.post(stateless, **{"MCP-Protocol-Version": MODERN, "Mcp-Method": "server/discover"}),
                 "2026-07-28 batch")
        rejected(a.post("[]", **in_session), "an empty batch")
        calls = [{"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call",
                  "params": {"name": "get_profile", "arguments": {}, "_meta": modern_meta()}} for i in range(2)]
        before = graph_calls(sandbox)
        rejected(a.post(calls, **{"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": "get_profile"}),
                 "a batch of tools/call")
        rejected(a.post([{**calls[0], "params": {"name": "get_profile", "arguments": {}}}], **in_session),
                 "a one-element batch in a session")
        c.must(graph_calls(sandbox) == before, "json-rpc-batch-rejected", "no batched call ran (no Graph request)")
        r = a.post({"jsonrpc": "2.0", "id": 903, "method": "ping"}, **in_session)
        c.must(r.status_code == 200 and rpc(r).get("id") == 903 and rpc(r).get("result") == {},
               "json-rpc-batch-rejected", "the session still answers a single ping", r)
    finally:
        a.close()
    c.done()
