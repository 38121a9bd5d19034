"""Issue 16, Client ID Metadata Documents: the official MCP Python SDK (2.x, `OAuthClientProvider(
client_metadata_url=…)`) signs in with an https `client_id` whose document graphgate fetches — served here over https
on loopback with a throwaway CA (`GRAPHGATE_CLIENT_METADATA_HOSTS`, `GRAPHGATE_CLIENT_METADATA_CA`) — and never
calls `/oauth/register`. A document that does not name itself and a host that is not listed are refused on
graphgate's error page, nothing is redirected, and the unlisted host is never contacted.
"""
import asyncio
import datetime
import ipaddress
import json
import os
import ssl
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import httpx2  # mcp 2.x's HTTP client
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from ggharness import PROTOCOL, parse_rpc, sandbox_stack
from test_mcp_oauth_e2e import REDIRECT_URI, MemoryStorage, play_browser


def throwaway_pki(directory: str) -> tuple[str, str, str]:
    """A CA and a server certificate for localhost / 127.0.0.1 signed by it; returns (ca, cert, key) paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "graphgate test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths[0], paths[1], paths[2]


class DocumentServer:
    """An https server on 127.0.0.1 that serves `documents` (path → JSON) and records every request path."""

    def __init__(self, cert: str, key: str):
        self.documents: dict[str, dict] = {}
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                owner.requests.append(self.path)
                document = owner.documents.get(self.path)
                body = json.dumps(document).encode() if document is not None else b"{}"
                self.send_response(200 if document is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=300")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"https://localhost:{self.port}{path}"

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def stack():
    pki = tempfile.mkdtemp(prefix="gg-cimd-pki-")
    ca, cert, key = throwaway_pki(pki)
    listed, unlisted = DocumentServer(cert, key), DocumentServer(cert, key)
    env = {"GRAPHGATE_CLIENT_METADATA_HOSTS": f"localhost:{listed.port}", "GRAPHGATE_CLIENT_METADATA_CA": ca}
    try:
        with sandbox_stack("gg-cimd-", users=2, extra_env=env) as (_, graphgate):
            yield graphgate, listed, unlisted
    finally:
        listed.stop()
        unlisted.stop()


def document(client_id: str, **extra) -> dict:
    return {"client_id": client_id, "client_name": "graphgate CIMD e2e (MCP Python SDK 2.x)",
            "redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"], "token_endpoint_auth_method": "none", **extra}


def test_metadata_advertises_client_id_metadata_documents(stack):
    graphgate, _, _ = stack
    metadata = httpx.get(f"{graphgate.base}/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["client_id_metadata_document_supported"] is True
    assert "none" in metadata["token_endpoint_auth_methods_supported"]


def test_sdk_signs_in_with_a_metadata_document_and_never_registers(stack):
    graphgate, listed, _ = stack
    client_id = listed.url("/clients/sdk.json")
    listed.documents["/clients/sdk.json"] = document(client_id)
    storage, outcome, sent = MemoryStorage(), {}, []

    async def redirect_handler(url: str) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        assert query["client_id"] == [client_id]
        outcome.update(await asyncio.to_thread(play_browser, url, 0))

    async def callback_handler() -> AuthorizationCodeResult:
        assert "code" in outcome, outcome
        return AuthorizationCodeResult(code=outcome["code"], state=outcome.get("state"), iss=outcome.get("iss"))

    async def record(request):
        sent.append((request.method, request.url.path))

    provider = OAuthClientProvider(
        server_url=f"{graphgate.base}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="graphgate CIMD e2e", redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
            token_endpoint_auth_method="none"),
        storage=storage, redirect_handler=redirect_handler, callback_handler=callback_handler,
        client_metadata_url=client_id)
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "cimd-e2e", "version": "1"}}}

    async def sign_in():
        async with httpx2.AsyncClient(auth=provider, event_hooks={"request": [record]}, timeout=60) as http:
            return await http.post(f"{graphgate.base}/mcp", json=initialize,
                                   headers={"Accept": "application/json, text/event-stream"})

    response = asyncio.run(sign_in())
    assert response.status_code == 200, response.text[:300]
    assert outcome.get("_consent_page_seen") is True
    assert ("POST", "/oauth/token") in sent
    assert not [path for _, path in sent if path.startswith("/oauth/register")], sent
    assert "/clients/sdk.json" in listed.requests, "graphgate fetched the document"
    assert storage.client_info.client_id == client_id
    # The token works for a tool call (raw HTTP, the SDK's session layer is not what is tested here).
    token = storage.tokens.access_token
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": PROTOCOL}
    if response.headers.get("mcp-session-id"):
        headers["Mcp-Session-Id"] = response.headers["mcp-session-id"]
        httpx.post(f"{graphgate.base}/mcp", headers=headers, timeout=30,
                   json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    call = httpx.post(f"{graphgate.base}/mcp", headers=headers, timeout=60, json={
        "jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_profile", "arguments": {}}})
    assert call.status_code == 200, call.text[:300]
    result = parse_rpc(call)["result"]
    assert not result.get("isError"), result
    # Cached within its max-age: a second authorize request does not fetch again.
    before = listed.requests.count("/clients/sdk.json")
    again = httpx.get(f"{graphgate.base}/oauth/authorize", timeout=30, params={
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "state": "s",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"})
    assert again.status_code in (302, 303), again.text[:300]
    assert listed.requests.count("/clients/sdk.json") == before


def authorize(graphgate, client_id: str, **extra) -> httpx.Response:
    return httpx.get(f"{graphgate.base}/oauth/authorize", timeout=30, follow_redirects=False, params={
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "state": "st",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256", **extra})


def test_a_document_that_does_not_name_itself_is_refused_on_our_page(stack):
    graphgate, listed, _ = stack
    listed.documents["/clients/liar.json"] = document(listed.url("/clients/someone-else.json"))
    r = authorize(graphgate, listed.url("/clients/liar.json"))
    assert r.status_code == 400 and "location" not in r.headers
    assert "does not name itself" in r.text
    assert "/clients/liar.json" in listed.requests


def test_documents_of_real_clients_are_accepted(stack):
    """Claude's documents list the jwt-bearer grant, VS Code's the device-code grant, ChatGPT's sign their token
    requests (private_key_jwt): each is a client of ours for the code flow. A document with a shared-secret
    method is refused (a public document cannot carry a secret)."""
    graphgate, listed, _ = stack
    shapes = {
        "claude": {"grant_types": ["authorization_code", "refresh_token",
                                   "urn:ietf:params:oauth:grant-type:jwt-bearer"]},
        "vscode": {"grant_types": ["authorization_code", "refresh_token",
                                   "urn:ietf:params:oauth:grant-type:device_code"],
                   "application_type": "native"},
        "chatgpt": {"token_endpoint_auth_method": "private_key_jwt",
                    "jwks_uri": listed.url("/clients/chatgpt-jwks.json")},
    }
    for name, extra in shapes.items():
        client_id = listed.url(f"/clients/{name}.json")
        listed.documents[f"/clients/{name}.json"] = document(client_id, **extra)
        r = authorize(graphgate, client_id)
        assert r.status_code in (302, 303), (name, r.status_code, r.text[:300])
    # The document is fetched at its URL as written: a trailing slash and escapes are kept.
    written = "/clients/my%20app/"
    listed.documents[written] = document(listed.url(written))
    r = authorize(graphgate, listed.url(written))
    assert r.status_code in (302, 303), (r.status_code, r.text[:300], listed.requests[-3:])
    listed.documents["/clients/secret.json"] = document(
        listed.url("/clients/secret.json"), token_endpoint_auth_method="client_secret_post")
    r = authorize(graphgate, listed.url("/clients/secret.json"))
    assert r.status_code == 400 and "location" not in r.headers
    assert "token_endpoint_auth_method none" in r.text
    # Registration likewise: the client is registered for our grant types, and the answer says which.
    registered = httpx.post(f"{graphgate.base}/oauth/register", timeout=30, json={
        "client_name": "VS Code-like", "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"]})
    assert registered.status_code == 201, registered.text[:300]
    assert registered.json()["grant_types"] == ["authorization_code", "refresh_token"]


def test_a_host_not_listed_is_never_fetched(stack):
    graphgate, _, unlisted = stack
    unlisted.documents["/clients/other.json"] = document(unlisted.url("/clients/other.json"))
    r = authorize(graphgate, unlisted.url("/clients/other.json"))
    assert r.status_code == 400 and "location" not in r.headers
    assert "does not fetch client metadata documents from that host" in r.text
    assert unlisted.requests == [], "no request reached the unlisted host"
    # Not https, or a query: refused before any fetch.
    assert authorize(graphgate, f"https://localhost:{unlisted.port}/c.json?x=1").status_code == 400
    assert unlisted.requests == []


def test_authorize_errors_of_self_registered_clients_are_never_redirected(stack):
    """RFC 9700 §4.11.2: until the person has signed in, an error is shown here, not sent to a redirect URI that
    whoever registered the client chose (the open-redirector case)."""
    graphgate, listed, _ = stack
    client_id = listed.url("/clients/sdk.json")
    listed.documents.setdefault("/clients/sdk.json", document(client_id))
    for extra in ({"response_type": "token"}, {"code_challenge_method": "plain"}, {"scope": "nope"}):
        r = authorize(graphgate, client_id, **extra)
        assert r.status_code == 400, (extra, r.status_code)
        assert "location" not in r.headers
    registered = httpx.post(f"{graphgate.base}/oauth/register", timeout=30, json={
        "client_name": "open redirect probe", "redirect_uris": ["https://attacker.example/landing"]}).json()
    r = httpx.get(f"{graphgate.base}/oauth/authorize", timeout=30, params={
        "response_type": "token", "client_id": registered["client_id"],
        "redirect_uri": "https://attacker.example/landing"})
    assert r.status_code == 400 and "location" not in r.headers


def test_without_a_host_list_only_port_443_is_fetched():
    """Without GRAPHGATE_CLIENT_METADATA_HOSTS a document is fetched from port 443 only (any other port of a public
    host would make graphgate a port prober), refused before the name is even looked up."""
    server = DocumentServer(*throwaway_pki(tempfile.mkdtemp(prefix="gg-cimd-"))[1:])
    try:
        server.documents["/c.json"] = document(server.url("/c.json"))
        with sandbox_stack("gg-cimd-open-") as (_, graphgate):
            r = authorize(graphgate, server.url("/c.json"))
            assert r.status_code == 400 and "location" not in r.headers
            assert "port 443" in r.text, r.text[:300]
        assert server.requests == []
    finally:
        server.stop()
