"""Shared helpers for graphgate's proof suites (isolation, secrets at rest, attacks, faults) and `scripts/bench`.

The setup is the one production uses against Microsoft, with the emulated tenant standing in for it: a separate
`graphgate sandbox` process (so its control path `/_sandbox/...` is reachable and it survives a graphgate restart),
and `graphgate serve` in production mode (GRAPHGATE_SANDBOX=0) pointed at it as authority and Graph root, with its
stdout/stderr captured to files that the secrets scan reads afterwards.

The MCP client here is a small Streamable HTTP client on httpx (initialize, tools/call), so many users can run
concurrently from one process; suite 1 (`test_mcp_oauth_e2e.py`) covers the official SDK's client.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import binascii
import glob
import hashlib
import html
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

import httpx

from conftest import graphgate_bin
import test_mcp_oauth_e2e
from test_mcp_oauth_e2e import REDIRECT_URI, free_port, play_browser

# The pre-registered app of the emulated tenant (Sources/Sandbox/SandboxConfiguration.swift).
TENANT_ID = "8f1e2c3d-4b5a-4c6d-9e7f-0a1b2c3d4e5f"
CLIENT_ID = "5a0c1e9b-7d3f-4e2a-8b6c-1f2e3d4c5b6a"
CLIENT_SECRET = "sandbox-secret~Gq8Q~graphgate-emulated-tenant"
PROTOCOL = "2025-06-18"

_addresses = itertools.count(10)


def client_address() -> str:
    """A distinct documentation-range client address per simulated client (sent as X-Forwarded-For from the
    trusted loopback proxy), so per-IP limits apply per client as they would behind a real proxy."""
    n = next(_addresses)
    return f"198.51.{(n // 250) % 250}.{n % 250 + 1}"


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("GRAPHGATE_") or k.startswith("GRAPHGATE_TEST_")}


def wait_for_line(path: str, pattern: str, proc: subprocess.Popen, timeout: float = 60.0) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            m = re.search(pattern, f.read(), re.M)
        if m:
            return m
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"no line matching {pattern!r} in {path}")


class Sandbox:
    """`graphgate sandbox --port 0` with its output captured in `workdir`."""

    def __init__(self, workdir: str, extra_args=()):
        self.out = os.path.join(workdir, "sandbox.stdout.log")
        self.err = os.path.join(workdir, "sandbox.stderr.log")
        self.proc = subprocess.Popen([graphgate_bin(), "sandbox", "--port", "0", *extra_args],
                                     stdout=open(self.out, "w"), stderr=open(self.err, "w"), env=clean_env())
        self.url = wait_for_line(self.out, r"^graphgate sandbox listening on (https?://\S+)$", self.proc).group(1)

    def control(self, method: str, path: str, **kwargs):
        r = httpx.request(method, f"{self.url}/_sandbox/{path}", timeout=60, **kwargs)
        r.raise_for_status()
        return r.json() if r.content else None

    def users(self) -> list[dict]:
        return self.control("GET", "users")["value"]

    def ensure_users(self, n: int) -> list[dict]:
        users = self.users()
        if len(users) < n:
            self.control("POST", "users", json={"count": n - len(users)})
            users = self.users()
        return sorted(users, key=lambda u: u["index"])

    def set_faults(self, **faults):
        return self.control("PUT", "faults", json=faults)

    def secret_values(self) -> set[str]:
        """Every token, code, cookie and secret the tenant ever issued."""
        found: set[str] = set()

        def walk(value):
            if isinstance(value, str):
                if len(value) >= 8:
                    found.add(value)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)
        walk(self.control("GET", "secrets"))
        return found

    def stop(self):
        stop_process(self.proc)


class GraphGate:
    """`graphgate serve` in production mode against a `Sandbox`, restartable on the same database."""

    def __init__(self, sandbox: Sandbox, workdir: str, database_url: str | None = None, extra_env: dict | None = None):
        self.sandbox, self.workdir = sandbox, workdir
        self.database_url = database_url or f"sqlite:{workdir}/graphgate.sqlite"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = clean_env()
        self.env.update({
            "GRAPHGATE_SANDBOX": "0", "GRAPHGATE_MS_CLIENT_ID": CLIENT_ID, "GRAPHGATE_MS_CLIENT_SECRET": CLIENT_SECRET,
            "GRAPHGATE_MS_TENANT": TENANT_ID, "GRAPHGATE_MS_AUTHORITY": sandbox.url, "GRAPHGATE_GRAPH_URL": sandbox.url,
            "GRAPHGATE_KEYRING_KEY": "1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "GRAPHGATE_TRUSTED_PROXIES": "127.0.0.1", "GRAPHGATE_RATE_LIMIT": "100000",
            "GRAPHGATE_DATABASE_URL": self.database_url, "GRAPHGATE_LOG_LEVEL": "debug",
            # The attack and load suites fail authentication on purpose many times; the monitor's automatic
            # block (tested on its own in MonitorTests) would otherwise lock the test clients out mid-suite.
            "GRAPHGATE_ALERT_THRESHOLDS": "failed_auth=100000/5m",
        })
        self.env.update(extra_env or {})
        self.starts = 0
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def log_files(self) -> list[str]:
        return [os.path.join(self.workdir, f) for f in sorted(os.listdir(self.workdir)) if f.startswith("graphgate.") and f.endswith(".log")]

    def start(self, timeout: float = 90.0):
        self.starts += 1
        out = open(os.path.join(self.workdir, f"graphgate.{self.starts}.stdout.log"), "w")
        err = open(os.path.join(self.workdir, f"graphgate.{self.starts}.stderr.log"), "w")
        self.proc = subprocess.Popen([graphgate_bin(), "serve", "--port", str(self.port)], stdout=out, stderr=err,
                                     env=self.env, cwd=self.workdir)
        wait_healthy(self.proc, self.base, err.name, timeout)

    def alive(self) -> bool:
        try:
            return self.proc.poll() is None and httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        """Runs `graphgate ARGS` with this server's configuration (database, keyring), e.g. `admin block USER`."""
        return subprocess.run([graphgate_bin(), *args], env=self.env, cwd=self.workdir, capture_output=True, text=True,
                              timeout=timeout)

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(next(line for line in f if line.startswith("VmRSS:")).split()[1])

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int:
        return stop_process(self.proc)


@contextlib.contextmanager
def sandbox_stack(prefix: str, users: int = 0, extra_env: dict | None = None,
                  survived: str = "graphgate did not stop cleanly"):
    """An emulated tenant (with at least `users` users) and graphgate against it, in a fresh work directory.
    On exit the tenant's faults are cleared, graphgate must stop cleanly (exit code 0: it survived the suite), and
    the tenant stops."""
    workdir = fresh_workdir(prefix)
    sandbox = Sandbox(workdir)
    try:
        if users:
            sandbox.ensure_users(users)
        graphgate = GraphGate(sandbox, workdir, extra_env=extra_env)
        try:
            yield sandbox, graphgate
        finally:
            sandbox.set_faults()
            assert graphgate.stop() == 0, survived
    finally:
        sandbox.stop()


def wait_healthy(proc: subprocess.Popen, base: str, log: str, timeout: float = 90.0):
    """Waits until graphgate at `base` answers /healthz; raises with the tail of `log` if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log) as f:
                raise RuntimeError(f"graphgate exited with {proc.returncode}: " + f.read()[-2000:])
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("graphgate did not become healthy")


def stop_process(proc: subprocess.Popen | None, timeout: float = 20.0) -> int | None:
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class _HttpxWithAddress:
    """Stands in for the `httpx` module inside `test_mcp_oauth_e2e` so its `play_browser` sends X-Forwarded-For."""

    def __init__(self, address: str):
        self.address = address

    def __getattr__(self, name):
        return getattr(httpx, name)

    def Client(self, *args, **kwargs):  # noqa: N802 (mirrors httpx.Client)
        kwargs.setdefault("headers", {})["X-Forwarded-For"] = self.address
        return httpx.Client(*args, **kwargs)


_browser_lock = threading.Lock()


def play_browser_from(address: str, authorize_url: str, user_index: int, decision: str = "allow") -> dict:
    """`play_browser` of the SDK end-to-end test, as a browser at `address` (behind the trusted proxy)."""
    with _browser_lock:
        test_mcp_oauth_e2e.httpx = _HttpxWithAddress(address)
        try:
            return play_browser(authorize_url, user_index, decision)
        finally:
            test_mcp_oauth_e2e.httpx = httpx


class Login:
    """One person signed in through the real flow: DCR, PKCE S256, the tenant's picker + consent, our consent."""

    def __init__(self, base: str, user_index: int, address: str | None = None, client_name: str | None = None,
                 auth_method: str = "none"):
        """`client_name`: the app's name (the same metadata registered again gets the same client id);
        `auth_method`: the token endpoint's (`client_secret_post` registers a client with a secret)."""
        self.base, self.user_index = base, user_index
        self.address = address or client_address()
        headers = {"X-Forwarded-For": self.address}
        reg = httpx.post(f"{base}/oauth/register", headers=headers, timeout=30, json={
            "client_name": client_name or f"proof user {user_index}", "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": auth_method,
            "grant_types": ["authorization_code", "refresh_token"]})
        assert reg.status_code == 201, reg.text
        self.client_id = reg.json()["client_id"]
        self.client_secret = reg.json().get("client_secret")
        secret = {"client_secret": self.client_secret} if self.client_secret else {}
        self.verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        url = f"{base}/oauth/authorize?" + urllib.parse.urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": REDIRECT_URI, "state": secrets.token_urlsafe(8),
            "code_challenge": challenge, "code_challenge_method": "S256", "resource": f"{base}/mcp"})
        result = play_browser_from(self.address, url, user_index)
        self.upn = result["_upn"]
        self.code = result["code"]
        tokens = httpx.post(f"{base}/oauth/token", headers=headers, timeout=30, data={
            "grant_type": "authorization_code", "code": self.code, "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI, "code_verifier": self.verifier, **secret})
        assert tokens.status_code == 200, tokens.text
        self.access_token = tokens.json()["access_token"]
        self.refresh_token = tokens.json()["refresh_token"]
        self.issued = {self.code, self.verifier, self.access_token, self.refresh_token}

    def refresh(self) -> httpx.Response:
        r = httpx.post(f"{self.base}/oauth/token", headers={"X-Forwarded-For": self.address}, timeout=60, data={
            "grant_type": "refresh_token", "refresh_token": self.refresh_token, "client_id": self.client_id,
            **({"client_secret": self.client_secret} if self.client_secret else {})})
        if r.status_code == 200:
            self.access_token = r.json()["access_token"]
            self.refresh_token = r.json()["refresh_token"]
            self.issued |= {self.access_token, self.refresh_token}
        return r


class ToolError(Exception):
    pass


def parse_rpc(response: httpx.Response) -> dict:
    """A JSON-RPC response from a Streamable HTTP answer (plain JSON or one SSE event)."""
    kind = response.headers.get("content-type", "")
    if kind.startswith("text/event-stream"):
        for line in response.text.splitlines():
            if line.startswith("data:") and line[5:].strip():
                message = json.loads(line[5:])
                if "id" in message:
                    return message
        raise ValueError("no JSON-RPC response in the event stream")
    return response.json()


class McpClient:
    """A minimal Streamable HTTP MCP client for one login (one session)."""

    def __init__(self, http: httpx.AsyncClient, login: Login):
        self.http, self.login = http, login
        self.session_id: str | None = None
        self.ids = itertools.count(1)

    def headers(self) -> dict:
        h = {"Authorization": f"Bearer {self.login.access_token}", "Content-Type": "application/json",
             "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": PROTOCOL,
             "X-Forwarded-For": self.login.address}
        if self.session_id:
            h["Mcp-Session-Id"] = self.session_id
        return h

    async def post(self, message: dict) -> httpx.Response:
        return await self.http.post(f"{self.login.base}/mcp", headers=self.headers(), json=message)

    async def initialize(self, capabilities: dict | None = None):
        r = await self.post({"jsonrpc": "2.0", "id": next(self.ids), "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": capabilities or {},
            "clientInfo": {"name": "ggharness", "version": "1"}}})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        self.session_id = r.headers.get("mcp-session-id")
        await self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return parse_rpc(r)

    async def rpc(self, method: str, params: dict | None = None) -> tuple[httpx.Response, dict | None]:
        r = await self.post({"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": params or {}})
        return r, (parse_rpc(r) if r.status_code == 200 else None)

    async def call_tool(self, name: str, arguments: dict) -> tuple[bool, str, dict]:
        """Returns (isError, all text content, raw result). Raises ToolError on a transport/JSON-RPC failure."""
        r, message = await self.rpc("tools/call", {"name": name, "arguments": arguments})
        if r.status_code == 404 and self.session_id:  # the server closed the session (cap, idle): start anew
            self.session_id = None
            await self.initialize()
            r, message = await self.rpc("tools/call", {"name": name, "arguments": arguments})
        if message is None:
            raise ToolError(f"HTTP {r.status_code}: {r.text[:200]}")
        if "error" in message:
            raise ToolError(f"JSON-RPC error {message['error'].get('code')}: {message['error'].get('message')}")
        result = message["result"]
        text = "\n".join(c.get("text", "") for c in result.get("content", []))
        if result.get("structuredContent") is not None:
            text += "\n" + json.dumps(result["structuredContent"])
        return bool(result.get("isError")), text, result


async def open_sessions(logins: list, n: int, client=McpClient, parallel: int = 16) -> list:
    """n initialized legacy-era sessions spread round-robin over the logins, `parallel` handshakes at a time."""
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=2 * parallel)) as http:
        clients = [client(http, logins[i % len(logins)]) for i in range(n)]
        gate = asyncio.Semaphore(parallel)

        async def initialize(c):
            async with gate:
                await c.initialize()
        await asyncio.gather(*(initialize(c) for c in clients))
        return clients


def encodings(secret: str) -> set[str]:
    """The forms a leaked secret could take in a file or log line."""
    raw = secret.encode()
    forms = {secret, base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("="),
             binascii.hexlify(raw).decode(), urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    return {f for f in forms if len(f) >= 8}


def scan(blobs: dict[str, bytes], secrets_: set[str]) -> list[tuple[str, str, str]]:
    """(where, which form, secret prefix) for every secret found in any blob, case-insensitively for hex."""
    hits = []
    lowered = {name: blob.lower() for name, blob in blobs.items()}
    for secret in secrets_:
        for form in encodings(secret):
            needle = form.encode()
            for name, blob in blobs.items():
                if needle in blob or needle.lower() in lowered[name]:
                    hits.append((name, form[:12] + "…", secret[:6] + "…"))
    return hits


def fresh_workdir(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=prefix)


def run(coro):
    return asyncio.run(coro)


class Browser:
    """One person's browser: a cookie jar and one client address (behind the trusted proxy). `walk` follows
    redirects and answers the emulated tenant's account picker and consent pages as the `user_index`-th user;
    graphgate's own pages, and the redirect to the client's `REDIRECT_URI`, are returned to the caller."""

    def __init__(self, address: str | None = None):
        self.address = address or client_address()
        self.http = httpx.Client(follow_redirects=False, timeout=30, headers={"X-Forwarded-For": self.address})
        self.upn: str | None = None  # the account last picked at the tenant

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.http.close()

    def cookie(self, name: str = "gg_session") -> str | None:
        """The value of graphgate's browser-session cookie (on loopback http it is `gg_session`)."""
        return next((c.value for c in self.http.cookies.jar if c.name == name), None)

    def plant(self, value: str, name: str = "gg_session"):
        """Sets a cookie for 127.0.0.1 as an attacker who can write this browser's cookies would."""
        self.http.cookies.set(name, value, domain="127.0.0.1", path="/")

    def walk(self, url: str, user_index: int) -> httpx.Response:
        r = self.http.get(url)
        for _ in range(12):
            if r.status_code in (301, 302, 303):
                location = urllib.parse.urljoin(str(r.request.url), r.headers["location"])
                if location.startswith(REDIRECT_URI):
                    return r
                r = self.http.get(location)
                continue
            page, here = r.text, str(r.request.url)
            if r.status_code == 200 and "/login/select" in page:
                users = re.findall(r'name="user" value="([0-9a-f-]{36})" data-upn="([^"]+)"', page, re.I)
                action = html.unescape(re.search(r'action="([^"]+/login/select)"', page).group(1))
                self.upn = html.unescape(users[user_index][1]).lower()
                r = self.http.post(urllib.parse.urljoin(here, action), data={
                    "user": users[user_index][0], "return_to": hidden(page, "return_to")})
            elif r.status_code == 200 and 'action="/account/consent"' in page:
                # graphgate's own "grant Microsoft permission" page: its button posts the form (POST + CSRF).
                r = self.http.post(urllib.parse.urljoin(here, "/account/consent"), data={
                    "scope": hidden(page, "scope"), "csrf": hidden(page, "csrf")})
            elif r.status_code == 200 and "/login/consent" in page:
                action = html.unescape(re.search(r'action="([^"]+/login/consent)"', page).group(1))
                r = self.http.post(urllib.parse.urljoin(here, action), data={
                    "decision": "accept", "return_to": hidden(page, "return_to")})
            else:
                return r
        raise AssertionError(f"too many redirects from {url}")

    def consent_username(self, base: str, client_id: str) -> str | None:
        """Whom this browser's graphgate session is: starts an authorize request for `client_id` (a client this
        person never approved) without signing in; the consent page names the signed-in account. None when the
        browser has no session (graphgate sends it to Microsoft instead)."""
        r = self.http.get(f"{base}/oauth/authorize?" + urllib.parse.urlencode(authorize_params(base, client_id)))
        assert r.status_code in (302, 303), (r.status_code, r.text[:300])
        location = urllib.parse.urljoin(base, r.headers["location"])
        if not location.startswith(base + "/oauth/consent"):
            return None
        page = self.http.get(location)
        assert page.status_code == 200, page.text[:300]
        m = re.search(r"[A-Za-z0-9._-]+@contoso\.sandbox", page.text)
        assert m, page.text[:500]
        return m.group(0).lower()


def hidden(page: str, name: str) -> str:
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    assert m, f"no hidden {name} in page: {page[:400]}"
    return html.unescape(m.group(1))


def register_client(base: str, name: str | None = None, address: str | None = None) -> str:
    """A dynamically registered public client with the test redirect URI; returns its client id. The default name
    is unique, so each call is a new client (the same metadata again would return the same client)."""
    name = name or f"proof client {secrets.token_hex(4)}"
    r = httpx.post(f"{base}/oauth/register", headers={"X-Forwarded-For": address or client_address()}, timeout=30,
                   json={"client_name": name, "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"})
    assert r.status_code == 201, r.text
    return r.json()["client_id"]


def authorize_params(base: str, client_id: str, **extra) -> dict:
    """A valid authorize request (PKCE S256) for `client_id`; `extra` overrides or adds parameters."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
            "state": secrets.token_urlsafe(8), "code_challenge": challenge, "code_challenge_method": "S256",
            "resource": f"{base}/mcp", **extra}


class Postgres:
    """A throwaway PostgreSQL started like scripts/test does: Debian's binaries (/usr/lib/postgresql/*/bin), a
    temp data directory, a free loopback port, as the `postgres` user when running as root. Skips the calling test
    when the binaries are missing."""

    def __init__(self):
        import pytest
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            pytest.skip("PostgreSQL binaries not found (scripts/test installs Debian's postgresql)")
        self.bin = os.path.dirname(found[-1])
        self.dir = tempfile.mkdtemp(prefix="gg-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        password = secrets.token_hex(12)
        with open(os.path.join(self.dir, "pw"), "w") as f:
            f.write(password + "\n")
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
            shutil.chown(os.path.join(self.dir, "pw"), "postgres")
        self._as_pg("initdb", "-D", self.data, "-U", "graphgate", f"--pwfile={self.dir}/pw", "-A", "scram-sha-256")
        self.start()
        self.env = dict(os.environ, PGPASSWORD=password)
        subprocess.run([f"{self.bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "graphgate", "graphgate"],
                       env=self.env, check=True, capture_output=True, timeout=60)
        self.url = f"postgres://graphgate:{password}@127.0.0.1:{self.port}/graphgate?sslmode=disable"

    def _as_pg(self, tool: str, *args: str, timeout: float = 120):
        # No pipes: the server pg_ctl starts would inherit them and keep them open.
        command = [f"{self.bin}/{tool}", *args]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        with open(os.path.join(self.dir, "ctl.log"), "a") as log:
            subprocess.run(command, check=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=timeout)

    def start(self):
        self._as_pg("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-w", "-o",
                    f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                    "-c fsync=off -c max_connections=200", "start")

    def ctl(self, action: str, mode: str = "fast"):
        """`pg_ctl ACTION -m MODE -w` for `stop` and `restart` (restart keeps the options it was started with)."""
        self._as_pg("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-m", mode, "-w", action)

    def query(self, sql: str) -> list[str]:
        out = subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "graphgate", "-At",
                              "-d", "graphgate", "-c", sql], env=self.env, check=True, capture_output=True, text=True,
                             timeout=60)
        return out.stdout.splitlines()

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            try:
                self.ctl("stop", "immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
