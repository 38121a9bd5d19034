"""graphgate's pages in a real browser: headless Debian Chromium driven by Selenium.

Shared by `test_browser_pages.py` (which starts graphgate with `ggharness`) and `scripts/screenshots` (which runs
`python tests/python/browser_pages.py OUTDIR` against `graphgate serve` in sandbox mode). `tour` is the whole
walk: `/` → an MCP client's authorization (the emulated tenant's account picker and consent, then graphgate's
consent page, Allow) → `/account` (desktop and phone width) → `/admin` → Revoke on `/account` ends the client's
MCP session. Every page is checked for the elements people rely on, for no script, for its stylesheet being
applied and for no Content-Security-Policy complaint in the browser console; screenshots are written when asked.

Nothing is downloaded: the browser and its driver are Debian's `chromium` and `chromium-driver`.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import http.server
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import types
import urllib.parse
from dataclasses import dataclass, field

import httpx
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

import ggharness
from ggharness import McpClient, clean_env, free_port, stop_process

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP = (1280, 900)
PHONE = (390, 844)
CLIENT_NAME = "Example assistant"
# The first named user of the emulated tenant (Sources/Sandbox/Data/SandboxDirectory.swift).
SANDBOX_ADMIN = "AdeleV@contoso.sandbox"
ACCOUNT_IDS = ("linked-account", "scopes", "clients", "sessions", "signout-everywhere", "events", "notices",
               "download-data", "delete-data")
ADMIN_IDS = ("users", "blocked", "alerts", "counters", "keys", "security-events")


def browser_available() -> bool:
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def chromium() -> webdriver.Chrome:
    """Headless Chromium at desktop size, console messages kept for `Pages.console`."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                 "--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
                 f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class CallbackListener:
    """The MCP client's loopback redirect URI (RFC 8252): records the query the browser is sent back with."""

    def __init__(self):
        received: queue.Queue = queue.Queue()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                received.put(dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query)))
                body = b"<!doctype html><title>Signed in</title><p>You can close this window."
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.received = received
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def result(self, timeout: float = 30) -> dict:
        return self.received.get(timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@dataclass
class AuthorizedClient:
    """An MCP client authorized through the browser: its registration, its tokens, what its consent page said."""
    client_id: str
    redirect_uri: str
    access_token: str
    refresh_token: str
    consent: dict = field(default_factory=dict)


class Pages:
    """One browser on one graphgate; `shots` is the directory screenshots go to (None: none are written)."""

    def __init__(self, base: str, driver: webdriver.Chrome, shots: str | None = None):
        self.base, self.driver, self.shots = base, driver, shots
        self.console: list[dict] = []
        self.screenshots: list[str] = []

    # --- navigation and checks common to every page --------------------------------------------------------------

    def open(self, path: str):
        self.driver.get(self.base + path)
        self._loaded()
        assert self.driver.current_url.startswith(self.base + path.split("?")[0]), self.driver.current_url

    def click(self, element: WebElement):
        """Clicks a submit button and waits for the next page."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, 60).until(lambda _: self._detached(page))
        self._loaded()

    @staticmethod
    def _detached(element: WebElement) -> bool:
        """Whether the page `element` belongs to has been replaced. Chromedriver says so either as a stale element
        or, while the old document is being torn down, as an inspector error naming a node that "does not belong to
        the document"."""
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise

    def _loaded(self):
        WebDriverWait(self.driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def one(self, css: str, within: WebElement | None = None) -> WebElement:
        try:
            return (within or self.driver).find_element(By.CSS_SELECTOR, css)
        except NoSuchElementException:
            raise AssertionError(f"no {css!r} on {self.driver.current_url}") from None

    def all(self, css: str, within: WebElement | None = None) -> list[WebElement]:
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def has_ids(self, *ids: str):
        missing = [i for i in ids if not self.all(f"#{i}")]
        assert not missing, f"{self.driver.current_url} lacks id(s) {missing}"

    def check_page(self):
        """graphgate's pages run no script, get their stylesheet past the CSP, and cause no CSP complaint."""
        self.check_console()
        state = self.driver.execute_script("""
            const sheets = [...document.querySelectorAll('style, link[rel=stylesheet]')];
            return {scripts: document.scripts.length, sheets: sheets.length,
                    applied: sheets.filter(s => s.sheet && s.sheet.cssRules.length > 0).length};""")
        assert state["scripts"] == 0, f"{self.driver.current_url} has a <script>"
        assert state["sheets"] >= 1 and state["applied"] == state["sheets"], \
            f"stylesheet not applied on {self.driver.current_url} {state}: {self.one('body').text[:300]!r}"

    def check_console(self):
        entries = self.driver.get_log("browser")
        self.console += entries
        csp = [e["message"] for e in entries if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]
        assert not csp, f"CSP violations on {self.driver.current_url}: {csp}"

    def viewport(self, width: int, height: int, mobile: bool):
        """Emulates a screen (a phone honours `<meta name=viewport>` only when `mobile` is set)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def fits_width(self):
        """No horizontal scrolling: the page is as wide as the screen it is shown on."""
        widths = self.driver.execute_script(
            "return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth}")
        assert widths["scroll"] <= widths["inner"], f"{self.driver.current_url} scrolls sideways: {widths}"
        return widths

    def screenshot(self, name: str, max_height: int = 6000):
        """The whole page (up to `max_height` CSS pixels) at the current width, as `shots/name`."""
        if not self.shots:
            return
        width = self.driver.execute_script("return window.innerWidth")
        height = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(max(height, 1), max_height), "scale": 1}})
        os.makedirs(self.shots, exist_ok=True)
        path = os.path.join(self.shots, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        self.screenshots.append(path)

    # --- the pages ------------------------------------------------------------------------------------------------

    def home(self, shot: str | None = "home.png"):
        """`/`: the MCP URL, and client configurations that carry it."""
        self.open("/")
        self.check_page()
        mcp_url = f"{self.base}/mcp"
        assert self.one("#mcp-url").text == mcp_url
        snippets = [t for t in self.all("textarea") if t.get_attribute("readonly") is not None]
        with_url = [t for t in snippets if mcp_url in t.get_attribute("value")]
        assert len(with_url) >= 3, f"expected Claude, VS Code and Cursor snippets with {mcp_url}"
        if shot:
            self.screenshot(shot)

    def authorize(self, upn: str, client_name: str = CLIENT_NAME, shot: str | None = "consent.png") -> AuthorizedClient:
        """An MCP client registers (RFC 7591) and sends the browser to `/oauth/authorize` (PKCE S256); the person
        picks `upn` at the emulated tenant, accepts its consent, and allows the client on graphgate's consent page.
        The client then redeems the code."""
        listener = CallbackListener()
        try:
            reg = httpx.post(f"{self.base}/oauth/register", timeout=30, json={
                "client_name": client_name, "redirect_uris": [listener.redirect_uri], "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"]})
            assert reg.status_code == 201, reg.text
            client_id = reg.json()["client_id"]
            verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            self.driver.get(f"{self.base}/oauth/authorize?" + urllib.parse.urlencode({
                "response_type": "code", "client_id": client_id, "redirect_uri": listener.redirect_uri, "state": state,
                "code_challenge": challenge, "code_challenge_method": "S256", "resource": f"{self.base}/mcp"}))
            self._loaded()
            consent = None
            for _ in range(8):
                if self.driver.current_url.startswith(listener.redirect_uri):
                    break
                if self.all("button[data-upn]"):  # the tenant's account picker
                    self.click(self.one(f'button[data-upn="{upn}"]'))
                elif self.all('form[action$="/login/consent"]'):  # the tenant's own consent prompt
                    self.click(self.one('button[name="decision"][value="accept"]'))
                elif self.all('form[action="/oauth/consent"]'):
                    consent = self.consent(client_name, upn, shot)
                    self.click(self.one('button[name="decision"][value="allow"]'))
                else:
                    raise AssertionError(f"unexpected page {self.driver.current_url}: {self.driver.page_source[:400]}")
            else:
                raise AssertionError("the browser did not come back to the client")
            assert consent is not None, "graphgate's consent page was not shown"
            result = listener.result()
        finally:
            listener.close()
        assert result.get("state") == state and result.get("iss") == self.base and "code" in result, result
        tokens = httpx.post(f"{self.base}/oauth/token", timeout=30, data={
            "grant_type": "authorization_code", "code": result["code"], "client_id": client_id,
            "redirect_uri": listener.redirect_uri, "code_verifier": verifier})
        assert tokens.status_code == 200, tokens.text
        return AuthorizedClient(client_id, listener.redirect_uri, tokens.json()["access_token"],
                                tokens.json()["refresh_token"], consent)

    def consent(self, client_name: str, upn: str, shot: str | None) -> dict:
        """graphgate's consent page: who asks, as whom, for what; Allow and Deny; a CSRF token."""
        self.check_page()
        heading = self.one("h1").text
        assert client_name in heading, heading
        assert upn.lower() in self.one("body").text.lower(), "the consent page does not name the signed-in account"
        capabilities = [li.text for li in self.all("ul li")]
        assert capabilities, "the consent page lists no capability"
        assert self.one('input[type="hidden"][name="csrf"]').get_attribute("value")
        for decision in ("allow", "deny"):
            assert self.one(f'button[name="decision"][value="{decision}"]').is_displayed()
        if shot:
            self.screenshot(shot)
        return {"heading": heading, "capabilities": capabilities}

    def account(self, client: AuthorizedClient, upn: str, shot: str | None = "account.png"):
        """`/account`: the linked Microsoft account, scopes, connected clients (with Revoke), sessions, events,
        notices, and the data download/delete controls."""
        self.open("/account")
        self.check_page()
        self.has_ids(*ACCOUNT_IDS)
        assert upn.lower() in self.one("#linked-account").text.lower()
        row = self.one(f'#clients [data-client-id="{client.client_id}"]')
        assert CLIENT_NAME in row.text or client.client_id in row.text, row.text
        self.one('button[name="revoke"]', within=row)
        assert int(self.one("#mcp-sessions").text) >= 1, "the open MCP session is not counted"
        if shot:
            self.screenshot(shot)

    def on_phone(self, path: str, shot: str | None = None) -> dict:
        """`path` on a phone-sized screen: the viewport meta is honoured and nothing scrolls sideways."""
        self.viewport(*PHONE, mobile=True)
        try:
            self.open(path)
            self.check_page()
            widths = self.fits_width()
            assert widths["inner"] == PHONE[0], f"viewport not honoured on {path}: {widths}"
            if shot:
                self.screenshot(shot)
            return widths
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def admin(self, upns: list[str], shot: str | None = "admin.png"):
        """`/admin`: users (with block/revoke actions), blocked, alerts, counters, keys, security events."""
        self.open("/admin")
        self.check_page()
        self.has_ids(*ADMIN_IDS)
        rows = self.all("#users [data-user-id]")
        listed = " ".join(r.text.lower() for r in rows)
        for upn in upns:
            assert upn.lower() in listed, f"{upn} not among the users on /admin"
        assert self.all('#users button[name="action"][value="block"]'), "no Block button on /admin"
        if shot:
            self.screenshot(shot)

    def revoke(self, client: AuthorizedClient):
        """Clicks the client's Revoke on `/account` (and a confirmation, if the page asks for one)."""
        self.open("/account")
        row = self.one(f'#clients [data-client-id="{client.client_id}"]')
        self.click(self.one('button[name="revoke"]', within=row))
        self.check_page()
        if self.all("#confirm"):
            self.click(self.one("#confirm"))
            self.check_page()
        self.open("/account")
        assert not self.all(f'#clients [data-client-id="{client.client_id}"]'), "the client is still listed"
        assert self.one("#mcp-sessions").text == "0", "the revoked client's MCP session is still open"


def mcp_session(base: str, client: AuthorizedClient) -> McpClient:
    """`ggharness`'s Streamable HTTP client on the browser-authorized token."""
    login = types.SimpleNamespace(base=base, access_token=client.access_token, address=ggharness.client_address())
    return McpClient(httpx.AsyncClient(timeout=60), login)


def tour(base: str, admin_upn: str, other_upns: list[str], shots: str | None = None) -> Pages:
    """The whole walk (see the module doc). `admin_upn` must be in GRAPHGATE_ADMINS; `other_upns` signed in
    before (they are expected on /admin)."""
    driver = chromium()
    pages = Pages(base, driver, shots)
    try:
        pages.home()
        client = pages.authorize(admin_upn)
        with asyncio.Runner() as runner:
            mcp = mcp_session(base, client)
            try:
                runner.run(mcp.initialize())
                assert mcp.session_id, "graphgate opened no MCP session"
                failed, text, _ = runner.run(mcp.call_tool("get_profile", {}))
                assert not failed and admin_upn.lower() in text.lower(), text[:300]
                pages.account(client, admin_upn)
                pages.on_phone("/account", "account-phone.png")
                pages.admin([admin_upn, *other_upns])
                pages.on_phone("/")
                pages.on_phone("/admin")
                pages.revoke(client)
                # The same MCP session, the same bearer token: refused now.
                response, _ = runner.run(mcp.rpc("tools/call", {"name": "get_profile", "arguments": {}}))
                assert response.status_code == 401, f"the revoked client's MCP session answered {response.status_code}"
                assert 'error="invalid_token"' in response.headers.get("www-authenticate", "")
            finally:
                runner.run(mcp.http.aclose())
        pages.check_console()
        return pages
    finally:
        driver.quit()


class SandboxModeServer:
    """`graphgate serve` in sandbox mode (the emulated tenant in-process) on a free port with a fresh store."""

    def __init__(self, admins: str):
        self.workdir = tempfile.mkdtemp(prefix="gg-screens-")
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = clean_env() | {"GRAPHGATE_ADMINS": admins, "GRAPHGATE_LOG_FORMAT": "text"}
        log = os.path.join(self.workdir, "serve.log")
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [ggharness.graphgate_bin(), "serve", "--port", str(port), "--database-url",
                 f"sqlite:{self.workdir}/graphgate.sqlite"], env=env, cwd=self.workdir, stdout=out,
                stderr=subprocess.STDOUT)
        try:
            ggharness.wait_healthy(self.proc, self.base, log)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> int | None:
        """Stops graphgate and removes its throwaway store."""
        code = stop_process(self.proc)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return code


def main(argv: list[str]) -> int:
    """`scripts/screenshots [OUTDIR]`: the tour against sandbox mode, screenshots into OUTDIR."""
    outdir = os.path.abspath(argv[1] if len(argv) > 1 else "docs/screenshots")
    server = SandboxModeServer(admins=SANDBOX_ADMIN)
    try:
        other = ggharness.Login(server.base, 1)  # a second person, so /admin lists more than one user
        pages = tour(server.base, SANDBOX_ADMIN, [other.upn], shots=outdir)
    finally:
        server.stop()
    for path in pages.screenshots:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
