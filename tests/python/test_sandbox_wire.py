"""Wire-format tests of the emulated Microsoft 365 tenant with clients that are not graphgate's: MSAL and httpx.

MSAL Python accepts only https authorities and endpoints (msal.authority.canonicalize), like the real identity
platform, so these tests run the sandbox with TLS (`graphgate sandbox --tls-cert --tls-key`, a self-signed
certificate made with the openssl CLI) and give MSAL and httpx a session that trusts exactly that certificate.
"""
import base64
import html
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import urllib.parse

import httpx
import msal
import pytest
import requests

from conftest import start_announcing, stop

TENANT = "8f1e2c3d-4b5a-4c6d-9e7f-0a1b2c3d4e5f"
CLIENT_ID = "5a0c1e9b-7d3f-4e2a-8b6c-1f2e3d4c5b6a"
CLIENT_SECRET = "sandbox-secret~Gq8Q~graphgate-emulated-tenant"
PUBLIC_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
SCOPES = ["User.Read", "Mail.ReadWrite", "Mail.Send"]
REDIRECT = "http://127.0.0.1:53117/callback"


class Tenant:
    def __init__(self, base, cert):
        self.base = base
        self.cert = cert
        self.ssl = ssl.create_default_context(cafile=cert)
        self.authority = f"{base}/{TENANT}"

    def client(self):
        return httpx.Client(follow_redirects=False, timeout=60, verify=self.ssl, trust_env=False)

    def session(self):
        """A requests session for MSAL that trusts only our certificate (REQUESTS_CA_BUNDLE would override it)."""
        session = requests.Session()
        session.trust_env = False
        session.verify = self.cert
        return session


@pytest.fixture(scope="module")
def tenant():
    if not shutil.which("openssl"):
        pytest.skip("the openssl CLI is needed to make the sandbox's self-signed certificate")
    tmp = tempfile.mkdtemp()
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    proc, m = start_announcing(
        ["sandbox", "--port", "0", "--device-code-interval", "1", "--tls-cert", cert, "--tls-key", key],
        r"^graphgate sandbox listening on (https://\S+)$")
    try:
        yield Tenant(m.group(1), cert)
    finally:
        assert stop(proc) == 0
        shutil.rmtree(tmp, ignore_errors=True)


def control(t, method, path, body=None):
    with t.client() as c:
        r = c.request(method, f"{t.base}/_sandbox/{path}", json=body)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def hidden(page: str, name: str) -> str:
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    assert m, f"no {name} field in page"
    return html.unescape(m.group(1))


def browser_sign_in(base, auth_uri, upn, browser):
    """Drives the sign-in and consent pages like a user would; returns the redirect's query parameters."""
    r = browser.get(auth_uri)
    for _ in range(6):
        if r.status_code in (301, 302, 303):
            location = r.headers["location"]
            if location.startswith(REDIRECT):
                return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(location).query))
            r = browser.get(urllib.parse.urljoin(base, location))
            continue
        assert r.status_code == 200, r.text
        page = r.text
        if f'action="{REDIRECT}"' in page:  # response_mode=form_post: the auto-submitting form
            return {html.unescape(k): html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page)}
        return_to = hidden(page, "return_to")
        if "/login/select" in page:
            oid = re.search(r'value="([0-9a-f-]{36})" data-upn="%s"' % re.escape(upn), page, re.I).group(1)
            action = re.search(r'action="([^"]+/login/select)"', page).group(1)
            r = browser.post(urllib.parse.urljoin(base, html.unescape(action)), data={"user": oid, "return_to": return_to})
        elif "/login/consent" in page:
            action = re.search(r'action="([^"]+/login/consent)"', page).group(1)
            r = browser.post(urllib.parse.urljoin(base, html.unescape(action)), data={"decision": "accept", "return_to": return_to})
        else:
            raise AssertionError("unexpected page: " + page[:500])
    raise AssertionError("sign-in did not finish")


def msal_login(t, upn):
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=CLIENT_SECRET, authority=t.authority, validate_authority=False,
        instance_discovery=False, http_client=t.session())
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT, login_hint=upn, response_mode="form_post")
    with t.client() as browser:
        response = browser_sign_in(t.base, flow["auth_uri"], upn, browser)
    result = app.acquire_token_by_auth_code_flow(flow, response)
    assert "access_token" in result, result
    return app, result


def graph(t, token, path, **kw):
    headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
    with t.client() as c:
        return c.request(kw.pop("method", "GET"), path if path.startswith("http") else f"{t.base}/v1.0{path}",
                         headers=headers, **kw)


def test_msal_auth_code_login_and_exactly_one_refresh(tenant):
    control(tenant, "DELETE", "grants")
    app, result = msal_login(tenant, "AdeleV@contoso.sandbox")
    claims = result["id_token_claims"]
    assert claims["tid"] == TENANT and claims["aud"] == CLIENT_ID
    assert claims["iss"] == f"{tenant.base}/{TENANT}/v2.0"
    assert claims["preferred_username"] == "AdeleV@contoso.sandbox"
    assert 3600 <= result["expires_in"] <= 5400
    first_token = result["access_token"]
    me = graph(tenant, first_token, "/me")
    assert me.status_code == 200 and me.json()["displayName"] == "Adele Vance"
    assert me.headers.get("request-id")

    account = app.get_accounts(username="AdeleV@contoso.sandbox")[0]
    refreshed = app.acquire_token_silent(SCOPES, account=account, force_refresh=True)
    assert refreshed and refreshed["access_token"] != first_token
    grants = control(tenant, "GET", "grants")["issued"]
    assert grants.get("authorization_code") == 1
    assert grants.get("refresh_token") == 1


def test_msal_device_code_login(tenant):
    app = msal.PublicClientApplication(
        PUBLIC_CLIENT_ID, authority=tenant.authority, validate_authority=False, instance_discovery=False,
        http_client=tenant.session())
    flow = app.initiate_device_flow(scopes=["User.Read", "Mail.Read"])
    assert flow["verification_uri"].endswith("/devicelogin") and flow["user_code"]
    with tenant.client() as browser:
        r = browser.get(f"{tenant.base}/devicelogin", params={"otc": flow["user_code"]})
        page = r.text
        oid = re.search(r'value="([0-9a-f-]{36})" data-upn="MeganB@contoso.sandbox"', page, re.I).group(1)
        r = browser.post(f"{tenant.base}/{TENANT}/login/select", data={"user": oid, "return_to": hidden(page, "return_to")})
        assert r.status_code == 302
        r = browser.get(urllib.parse.urljoin(tenant.base, r.headers["location"]))
        assert "Continue" in r.text
        r = browser.post(f"{tenant.base}/devicelogin", data={"otc": flow["user_code"], "decision": "accept"})
        assert r.status_code == 200
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == "MeganB@contoso.sandbox"


def test_paging_inbox_with_next_link(tenant):
    _, result = msal_login(tenant, "AlexW@contoso.sandbox")
    token = result["access_token"]
    folder = graph(tenant, token, "/me/mailFolders/inbox").json()
    url, seen = "/me/mailFolders/inbox/messages?$top=25&$select=subject,receivedDateTime", []
    while url:
        page = graph(tenant, token, url)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["value"]) <= 25
        assert all(set(m) <= {"id", "@odata.etag", "subject", "receivedDateTime"} for m in body["value"])
        seen += [m["id"] for m in body["value"]]
        url = body.get("@odata.nextLink")
    assert len(seen) == len(set(seen)) == folder["totalItemCount"] >= 100


def test_search_and_search_with_orderby_rejected(tenant):
    _, result = msal_login(tenant, "AdeleV@contoso.sandbox")
    token = result["access_token"]
    r = graph(tenant, token, '/me/messages?$search="subject:invoice"')
    assert r.status_code == 200, r.text
    hits = r.json()["value"]
    assert hits and all("invoice" in m["subject"].lower() for m in hits)
    bad = graph(tenant, token, '/me/messages?$search="budget"&$orderby=receivedDateTime desc')
    assert bad.status_code == 400
    err = bad.json()["error"]
    assert err["code"] and err["innerError"]["request-id"]


def test_send_mail_arrives_in_another_users_inbox(tenant):
    _, adele = msal_login(tenant, "AdeleV@contoso.sandbox")
    _, alex = msal_login(tenant, "AlexW@contoso.sandbox")
    subject = "wire test " + base64.b16encode(os.urandom(4)).decode()
    message = {"message": {"subject": subject, "body": {"contentType": "Text", "content": "hello"},
                           "toRecipients": [{"emailAddress": {"address": "AlexW@contoso.sandbox"}}]}}
    r = graph(tenant, adele["access_token"], "/me/sendMail", method="POST", json=message)
    assert r.status_code == 202, r.text
    inbox = graph(tenant, alex["access_token"], "/me/mailFolders/inbox/messages?$top=5").json()["value"]
    assert inbox[0]["subject"] == subject and inbox[0]["from"]["emailAddress"]["address"] == "AdeleV@contoso.sandbox"
    sent = graph(tenant, adele["access_token"], "/me/mailFolders/sentitems/messages?$top=1").json()["value"]
    assert sent[0]["subject"] == subject


def test_injected_429_has_retry_after(tenant):
    _, result = msal_login(tenant, "AdeleV@contoso.sandbox")
    control(tenant, "PUT", "faults", {"throttleNextRequests": 1, "retryAfterSeconds": 7})
    r = graph(tenant, result["access_token"], "/me/messages")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert r.json()["error"]["code"] == "ApplicationThrottled"
    control(tenant, "PUT", "faults", {})
    assert graph(tenant, result["access_token"], "/me/messages").status_code == 200


def test_token_errors_have_microsofts_shape(sandbox):
    """Also runs the plain-HTTP sandbox (the conftest fixture), as graphgate's own tests use it."""
    r = httpx.post(f"{sandbox}/{TENANT}/oauth2/v2.0/token", trust_env=False, data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": "wrong", "code": "x",
        "redirect_uri": REDIRECT})
    body = r.json()
    assert r.status_code == 401 and body["error"] == "invalid_client"
    assert body["error_description"].startswith("AADSTS7000215:")
    assert body["error_codes"] == [7000215]
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)
