"""graphgate's pages in headless Chromium (Debian `chromium` + `chromium-driver`, installed by scripts/test):
sign-in through the emulated tenant, graphgate's consent page, /account, /admin, Revoke from the page ending the
client's MCP session, phone width, and the CSP (no script, stylesheet applied, no violation in the console).

The walk itself is `browser_pages.tour`, which `scripts/screenshots` runs too; here graphgate runs in production
mode against a separate emulated tenant (ggharness), the script uses sandbox mode.
"""
import struct

import pytest

import browser_pages
from ggharness import GraphGate, Login, Sandbox, fresh_workdir


def png_size(path: str) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def server():
    if not browser_pages.browser_available():
        pytest.skip("Debian chromium and chromium-driver are not installed (scripts/test installs them)")
    workdir = fresh_workdir("gg-browser-")
    sandbox = Sandbox(workdir)
    users = sandbox.users()
    admin = users[0]["userPrincipalName"]
    gg = GraphGate(sandbox, workdir, extra_env={"GRAPHGATE_ADMINS": admin})
    try:
        yield gg, admin
    finally:
        code = gg.stop()
        sandbox.stop()
        assert code == 0, f"graphgate exited with {code}"


def test_pages_in_chromium_from_sign_in_to_revoking_a_client(server, tmp_path):
    gg, admin = server
    other = Login(gg.base, 1)  # a second person signed in, who must appear on /admin
    assert other.upn.lower() != admin.lower()

    pages = browser_pages.tour(gg.base, admin, [other.upn], shots=str(tmp_path))

    names = sorted(p.rsplit("/", 1)[1] for p in pages.screenshots)
    assert names == ["account-phone.png", "account.png", "admin.png", "consent.png", "home.png"]
    for path in pages.screenshots:
        width, height = png_size(path)
        expected = browser_pages.PHONE[0] if path.endswith("-phone.png") else browser_pages.DESKTOP[0]
        assert width == expected and height > 200, (path, width, height)
