"""Driver of scripts/bench-mcp: starts graphgate, logs in once, measures /mcp and the token endpoint."""
import argparse
import asyncio
import itertools
import base64
import hashlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import httpx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from test_mcp_oauth_e2e import REDIRECT_URI, free_port, play_browser  # noqa: E402

addresses = itertools.count(1)
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
PING = {"jsonrpc": "2.0", "id": 3, "method": "ping"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}


def start(stateless: bool):
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="gg-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHGATE_")}
    env["GRAPHGATE_LOG_LEVEL"] = "warning"
    env["GRAPHGATE_RATE_LIMIT"] = "1000000"
    # Requests name their own client address (X-Forwarded-For from the trusted loopback proxy), so the per-IP
    # limits (600/min) do not cap the benchmark.
    env["GRAPHGATE_TRUSTED_PROXIES"] = "127.0.0.1"
    if stateless:
        env["GRAPHGATE_MCP_STATELESS"] = "1"
    proc = subprocess.Popen([os.environ["GRAPHGATE_BIN"], "serve", "--port", str(port), "--database-url",
                             f"sqlite:{workdir}/db.sqlite"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, cwd=workdir)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("graphgate did not start: " + proc.stderr.read().decode()[-2000:])


def login(base):
    client_id = httpx.post(base + "/oauth/register", json={"client_name": "bench", "redirect_uris": [REDIRECT_URI]}).json()["client_id"]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = base + "/oauth/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "state": "b",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": base + "/mcp"})
    code = play_browser(url, 0)["code"]
    tokens = httpx.post(base + "/oauth/token", data={"grant_type": "authorization_code", "code": code, "client_id": client_id,
                                                     "redirect_uri": REDIRECT_URI, "code_verifier": verifier}).json()
    return client_id, tokens


def report(name, latencies, elapsed):
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"  {name:<38} {len(latencies) / elapsed:9.0f}/s   p50 {p(0.5):6.2f} ms   p99 {p(0.99):6.2f} ms")


async def run(mode, requests, concurrency):
    proc, base = start(mode == "stateless")
    try:
        client_id, tokens = login(base)
        headers = {"Authorization": f"Bearer {tokens['access_token']}", "Content-Type": "application/json",
                   "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
        print(f"graphgate /mcp ({mode}), {requests} requests, concurrency {concurrency}")
        limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
        async with httpx.AsyncClient(limits=limits, timeout=60) as http:
            sessions = []
            if mode == "stateful":
                t0 = time.perf_counter()
                lat = []
                for _ in range(concurrency):
                    s = time.perf_counter()
                    r = await http.post(base + "/mcp", headers=headers, json=INIT)
                    lat.append(time.perf_counter() - s)
                    sessions.append(r.headers["mcp-session-id"])
                report("initialize (new session)", lat, time.perf_counter() - t0)

            async def worker(index, count, lat, body=LIST):
                h = dict(headers)
                if sessions:
                    h["Mcp-Session-Id"] = sessions[index]
                for _ in range(count):
                    n = next(addresses)
                    h["X-Forwarded-For"] = f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250 + 1}"
                    s = time.perf_counter()
                    r = await http.post(base + "/mcp", headers=h, json=body)
                    assert r.status_code == 200, r.text
                    lat.append(time.perf_counter() - s)

            for name, body in (("ping", PING), ("tools/list", LIST)):
                lat = []
                t0 = time.perf_counter()
                await worker(0, min(requests, 250), lat, body)
                report(f"{name} sequential", lat, time.perf_counter() - t0)
            lat = []
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(i, requests // concurrency, lat, PING) for i in range(concurrency)))
            report(f"ping x{concurrency} concurrent", lat, time.perf_counter() - t0)
            lat = []
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(i, requests // concurrency, lat) for i in range(concurrency)))
            report(f"tools/list x{concurrency} concurrent", lat, time.perf_counter() - t0)

            lat = []
            refresh = tokens["refresh_token"]
            t0 = time.perf_counter()
            for i in range(200):
                s = time.perf_counter()
                answer = (await http.post(base + "/oauth/token", headers={"X-Forwarded-For": f"10.2.0.{i + 1}"}, data={
                    "grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id})).json()
                refresh = answer["refresh_token"]
                lat.append(time.perf_counter() - s)
            report("refresh_token grant (rotation)", lat, time.perf_counter() - t0)

            lat = []
            t0 = time.perf_counter()
            for _ in range(500):
                s = time.perf_counter()
                await http.post(base + "/mcp", headers={"Authorization": "Bearer gga_" + "x" * 43,
                                                        "X-Forwarded-For": "10.3.0.1"}, json=LIST)
                lat.append(time.perf_counter() - s)
            report("rejected bearer (401)", lat, time.perf_counter() - t0)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="stateful")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(run(args.mode, args.requests, args.concurrency))
