"""Driver of scripts/bench: graphgate tool calls vs an nginx proxy_pass doing the same Graph request, memory, and a
refresh storm — all against one emulated tenant on loopback. Prints a Markdown table (and writes it to --out).

How it measures: every simulated user signed in through graphgate's real OAuth flow; each concurrent user runs its
own Streamable HTTP session (httpx, one keep-alive connection pool) and makes calls back to back; latency is the
client-side round trip of one `tools/call`. The nginx column sends the Graph request graphgate makes for that tool
(`GET /v1.0/me/mailFolders/inbox/messages?$top=10…` / `GET /v1.0/me/messages/{id}`) with that user's Microsoft
token through nginx to the same tenant. Client, graphgate, nginx and the tenant share the machine's cores.
"""
import argparse
import asyncio
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from ggharness import GraphGate, Login, McpClient, Sandbox, client_address, fresh_workdir, open_sessions  # noqa: E402


class BenchClient(McpClient):
    """Each request names a new client address (X-Forwarded-For from the trusted loopback proxy), so graphgate's
    per-IP budget (600/min) measures nothing here; per-user budgets are raised by GRAPHGATE_RATE_LIMIT."""

    def headers(self) -> dict:
        return {**super().headers(), "X-Forwarded-For": client_address()}

SELECT = "id,subject,from,receivedDateTime,isRead,hasAttachments,importance,flag"


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


async def timed_loop(n_users, calls_per_user, make_call):
    latencies = []

    async def one(u):
        for i in range(calls_per_user):
            t = time.perf_counter()
            await make_call(u, i)
            latencies.append(time.perf_counter() - t)
    started = time.perf_counter()
    await asyncio.gather(*(one(u) for u in range(n_users)))
    return latencies, time.perf_counter() - started


# The tenant allows 10,000 requests per mailbox per 10 minutes (Outlook's budget): the low-concurrency rows, which
# put thousands of calls on one or a few mailboxes, each get mailboxes of their own.
OFFSETS = {("list_messages", 1): 199, ("get_message", 1): 198, ("list_messages", 16): 100, ("get_message", 16): 116}


async def graphgate_run(logins, ids, tool, concurrency, calls):
    limits = httpx.Limits(max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        clients = [BenchClient(http, login) for login in logins[:concurrency]]
        await asyncio.gather(*(c.initialize() for c in clients))
        failures = 0

        async def call(u, i):
            nonlocal failures
            if tool == "list_messages":
                error, _, _ = await clients[u].call_tool("list_messages", {"page_size": 10})
            else:
                user_ids = ids[u]
                error, _, _ = await clients[u].call_tool("get_message", {"id": user_ids[i % len(user_ids)]})
            failures += error
        await call(0, 0)  # warm
        lat, elapsed = await timed_loop(concurrency, calls, call)
        return lat, elapsed, failures


async def nginx_run(nginx_url, ms_tokens, ids, tool, concurrency, calls):
    limits = httpx.Limits(max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        failures = 0

        async def call(u, i):
            nonlocal failures
            headers = {"Authorization": f"Bearer {ms_tokens[u]}", "Prefer": 'outlook.body-content-type="text", IdType="ImmutableId"'}
            if tool == "list_messages":
                r = await http.get(f"{nginx_url}/v1.0/me/mailFolders/inbox/messages", headers=headers,
                                   params={"$top": "10", "$select": SELECT})
            else:
                user_ids = ids[u]
                r = await http.get(f"{nginx_url}/v1.0/me/messages/{user_ids[i % len(user_ids)]}", headers=headers)
            failures += r.status_code != 200
        await call(0, 0)
        lat, elapsed = await timed_loop(concurrency, calls, call)
        return lat, elapsed, failures


def start_nginx(workdir, upstream):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        return None, None
    port = int(re.search(r":(\d+)$", upstream).group(1))
    listen = GraphGate.__init__.__globals__["free_port"]()
    os.makedirs(f"{workdir}/nginx/logs", exist_ok=True)
    conf = f"""
worker_processes 2;
pid {workdir}/nginx/nginx.pid;
error_log {workdir}/nginx/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/nginx/body; proxy_temp_path {workdir}/nginx/proxy;
  fastcgi_temp_path {workdir}/nginx/fcgi; uwsgi_temp_path {workdir}/nginx/uwsgi; scgi_temp_path {workdir}/nginx/scgi;
  upstream tenant {{ server 127.0.0.1:{port}; keepalive 512; }}
  server {{
    listen 127.0.0.1:{listen};
    location / {{ proxy_pass http://tenant; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
"""
    with open(f"{workdir}/nginx/nginx.conf", "w") as f:
        f.write(conf)
    proc = subprocess.Popen([binary, "-p", f"{workdir}/nginx", "-c", f"{workdir}/nginx/nginx.conf", "-g", "daemon off;"],
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{listen}"
    for _ in range(100):
        try:
            httpx.get(url + "/_sandbox/health", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    return None, None


def microsoft_tokens(sandbox, logins):
    """Each user's current Microsoft access token (as graphgate holds it), found through the tenant's `/v1.0/me`."""
    by_upn = {}
    for token in sandbox.control("GET", "secrets")["accessTokens"]:
        r = httpx.get(f"{sandbox.url}/v1.0/me", headers={"Authorization": f"Bearer {token}"})
        if r.status_code == 200:
            by_upn[r.json()["userPrincipalName"].lower()] = token
    return [by_upn[login.upn.lower()] for login in logins]


async def refresh_storm(sandbox, logins, total):
    for login in logins:
        sandbox.control("POST", f"users/{login.upn}/expire-access-tokens")
    sandbox.control("DELETE", "grants")
    per_user = total // len(logins)
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=total + 8)) as http:
        clients = [BenchClient(http, login) for login in logins]
        await asyncio.gather(*(c.initialize() for c in clients))
        t = time.perf_counter()
        results = await asyncio.gather(*(c.call_tool("list_messages", {"page_size": 5}) for c in clients for _ in range(per_user)))
        elapsed = time.perf_counter() - t
    grants = sandbox.control("GET", "grants")
    return (grants.get("requested", {}).get("refresh_token", 0), grants.get("issued", {}).get("refresh_token", 0),
            sum(1 for e, _, _ in results if e), len(results), elapsed)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="1,16,64,256")
    parser.add_argument("--calls", type=int, default=3000, help="calls per level (split across users)")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--storm", type=int, default=500)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    clients = max(levels + [64])
    users = min(clients, 200)  # the tenant's account picker lists 200 users; more clients share mailboxes

    workdir = fresh_workdir("gg-bench-")
    sandbox = Sandbox(workdir)
    sandbox.ensure_users(users)
    graphgate = GraphGate(sandbox, workdir, extra_env={"GRAPHGATE_LOG_LEVEL": "warning", "GRAPHGATE_RATE_LIMIT": "1000000"})
    nginx, nginx_url = start_nginx(workdir, sandbox.url)
    rows, notes = [], []
    try:
        time.sleep(1)
        rss_idle = graphgate.rss_kib()
        t = time.perf_counter()
        logins = [Login(graphgate.base, i % users) for i in range(clients)]
        notes.append(f"{clients} clients ({users} distinct users) signed in through the full OAuth flow in "
                     f"{time.perf_counter() - t:.1f} s")

        async def collect_ids():
            async with httpx.AsyncClient(timeout=60) as http:
                async def one(login):
                    c = BenchClient(http, login)
                    await c.initialize()
                    _, text, _ = await c.call_tool("list_messages", {"page_size": 20})
                    return re.findall(r"id=([A-Za-z0-9=_+-]+)", text)
                return await asyncio.gather(*(one(l) for l in logins))
        ids = asyncio.run(collect_ids())
        ms_tokens = microsoft_tokens(sandbox, logins)

        for tool in ("list_messages", "get_message"):
            for c in levels:
                calls = max(4, args.calls // c)
                o = OFFSETS.get((tool, c), 0)
                lat, elapsed, fails = asyncio.run(graphgate_run(logins[o:], ids[o:], tool, c, calls))
                g = (len(lat) / elapsed, pct(lat, 0.5), pct(lat, 0.99), fails)
                if nginx_url:
                    lat2, elapsed2, fails2 = asyncio.run(nginx_run(nginx_url, ms_tokens[o:], ids[o:], tool, c, calls))
                    n = (len(lat2) / elapsed2, pct(lat2, 0.5), pct(lat2, 0.99), fails2)
                else:
                    n = (float("nan"),) * 3 + (0,)
                rows.append((tool, c, len(lat), g, n))
                print(f"{tool:14} c={c:<4} graphgate {g[0]:7.0f}/s p50 {g[1]:7.1f} ms p99 {g[2]:7.1f} ms fail {g[3]} | "
                      f"nginx {n[0]:7.0f}/s p50 {n[1]:7.1f} p99 {n[2]:7.1f} fail {n[3]}", flush=True)
        rss_after_run = graphgate.rss_kib()
        opened = len({c.session_id for c in asyncio.run(open_sessions(logins, args.sessions, BenchClient, parallel=32))})
        rss_sessions = graphgate.rss_kib()
        storm_logins = logins[:50]
        requested, issued, storm_errors, storm_calls, storm_s = asyncio.run(refresh_storm(sandbox, storm_logins, args.storm))
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait()
        graphgate.stop()
        sandbox.stop()

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    lines = [f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; commit {commit}"
             f"{' + uncommitted changes' if dirty else ''}; binary {os.environ.get('GRAPHGATE_BIN', '')}.", "",
             "| tool | concurrent users | calls | graphgate calls/s | p50 ms | p99 ms | nginx→Graph req/s | p50 ms | p99 ms | throughput ratio gg/nginx | p50 ratio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for tool, c, n_calls, g, n in rows:
        lines.append(f"| {tool} | {c} | {n_calls} | {g[0]:.0f} | {g[1]:.1f} | {g[2]:.1f} | {n[0]:.0f} | {n[1]:.1f} | {n[2]:.1f} | "
                     f"{g[0] / n[0]:.2f} | {g[1] / n[1]:.1f} |" + (f" ({g[3]} tool errors)" if g[3] else ""))
    lines += ["", "| memory (graphgate RSS) | MiB |", "|---|---:|",
              f"| idle, after start | {rss_idle / 1024:.0f} |",
              f"| after the {max(levels)}-user runs | {rss_after_run / 1024:.0f} |",
              f"| with {opened} open MCP sessions (plus the above) | {rss_sessions / 1024:.0f} |",
              "", "| refresh storm | value |", "|---|---:|",
              f"| concurrent tool calls right after every Microsoft access token was expired | {storm_calls} ({len(storm_logins)} users × {storm_calls // len(storm_logins)}) |",
              f"| refresh_token grants requested from the tenant | {requested} |",
              f"| refresh_token grants issued | {issued} |",
              f"| calls that failed | {storm_errors} |",
              f"| wall time for the storm | {storm_s:.1f} s |", ""] + [f"- {n}" for n in notes]
    table = "\n".join(lines)
    print()
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
