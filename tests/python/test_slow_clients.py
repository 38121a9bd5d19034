"""Issue 9, slow clients: `slowhttptest` (Debian) holds a few hundred connections open against graphgate —
slowloris (headers that never end, `-H`) and R-U-Dead-Yet (a body that trickles in, `-B`) — for a bounded time,
while a normal MCP client keeps calling tools. The normal client's calls keep succeeding in every window of the
attack (counted, not timed), graphgate's memory stays bounded, and it is alive afterwards.
"""
import asyncio
import os
import re
import shutil
import subprocess
import threading
import time

import httpx
import pytest

from ggharness import sandbox_stack, GraphGate, Login, McpClient, Sandbox, fresh_workdir, stop_process

SLOWHTTPTEST = shutil.which("slowhttptest")
pytestmark = pytest.mark.skipif(not SLOWHTTPTEST, reason="slowhttptest not installed (scripts/test installs it)")
CONNECTIONS = 400
SECONDS = 15
WINDOW = 1.0


@pytest.fixture(scope="module")
def stack():
    with sandbox_stack("gg-slow-", users=1, extra_env={"GRAPHGATE_LOG_LEVEL": "info"}) as pair:
        yield pair


class NormalClient:
    """One MCP client calling `list_messages` on a thread, four times a second (well inside its address's request
    budget); records the time of every success."""

    def __init__(self, login: Login):
        self.login = login
        self.successes: list[float] = []
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run()))
        self.thread.start()

    async def run(self):
        async with httpx.AsyncClient(timeout=30) as http:
            client = McpClient(http, self.login)
            await client.initialize()
            while not self.stop.is_set():
                await asyncio.sleep(0.25)
                try:
                    error, text, _ = await client.call_tool("list_messages", {"page_size": 3})
                    if error:
                        self.failures.append(text[:200])
                    else:
                        self.successes.append(time.monotonic())
                except Exception as e:  # a transport failure is a starved client
                    self.failures.append(repr(e)[:200])

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=60)


def attack(graphgate: GraphGate, mode: str, path: str) -> tuple[list[int], int, int, str]:
    """Runs slowhttptest `mode` against `path` while a normal client calls tools; returns the normal client's
    successes per window of the attack, graphgate's RSS before and at its highest (KiB), and slowhttptest's
    output."""
    login = Login(graphgate.base, 0)
    normal = NormalClient(login)
    try:
        while not normal.successes and normal.thread.is_alive():
            time.sleep(0.05)
        before = graphgate.rss_kib()
        args = [SLOWHTTPTEST, mode, "-c", str(CONNECTIONS), "-r", "200", "-i", "5", "-l", str(SECONDS), "-p", "3",
                "-u", graphgate.base + path, "-x", "24"]
        if mode == "-B":
            args += ["-s", "8000", "-t", "POST"]  # under the 16 KiB body limit (a larger one gets 413 at once)
        out = open(os.path.join(graphgate.workdir, f"slowhttptest{mode}{path.replace('/', '_')}.log"), "w+")
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        highest = before
        started = time.monotonic()
        try:
            while proc.poll() is None and time.monotonic() - started < SECONDS + 30:
                highest = max(highest, graphgate.rss_kib())
                time.sleep(0.2)
        finally:
            stop_process(proc)
        ended = time.monotonic()
        out.seek(0)
        report = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.read())
    finally:
        normal.finish()
    # The windows of the attack after its connections are up (200 per second: two seconds).
    windows = []
    t = started + 2
    while t + WINDOW <= ended:
        windows.append(sum(1 for s in normal.successes if t <= s < t + WINDOW))
        t += WINDOW
    assert not normal.failures, normal.failures[:5]
    return windows, before, highest, report


# Slow bodies go to /oauth/revoke: /mcp answers 401 before reading the body of a request without a bearer token,
# and the login and registration budgets of /oauth/token and /oauth/register (30/min, 10/h per address) refuse all
# but a few dozen of the attacker's connections before their bodies are read.
@pytest.mark.parametrize("mode,path", [("-H", "/mcp"), ("-H", "/oauth/authorize"), ("-B", "/oauth/revoke")])
def test_slow_clients_do_not_starve_a_normal_client(stack, mode, path):
    _, graphgate = stack
    windows, before, highest, report = attack(graphgate, mode, path)
    held = max(map(int, re.findall(r"connected:\s+(\d+)", report)), default=0)
    print(f"slowhttptest {mode} {path}: {held} connections held at most; successes per {WINDOW:.0f} s window "
          f"{windows}; RSS {before // 1024} → {highest // 1024} MiB")
    assert held >= CONNECTIONS // 2, f"the attack did not hold its connections: {report[-1500:]}"
    # The attack may end early because graphgate closed its connections (header and idle timeouts, issue 16).
    cut_off = "No open connections left" in report
    assert len(windows) >= SECONDS - 4 or (cut_off and len(windows) >= 5), (windows, report[-1500:])
    assert all(n > 0 for n in windows), f"the normal client was starved in some windows: {windows}"
    assert (highest - before) / 1024 < 150, f"RSS grew by {(highest - before) // 1024} MiB under slow clients"
    assert graphgate.alive()
