"""Driver of scripts/bench: graphgate's cost per tool call against a canned Graph upstream, side by side with an
nginx proxy_pass hop to the same upstream, in the same run.

- Upstream: nginx serving fixed answers (`canned.py`): the 25-message inbox page `list_messages` asks for (~36 KB)
  and the message `get_message` asks for. Sign-in (and the vault's token endpoint) is the emulated tenant's; only
  Graph is pointed at the canned upstream (`GRAPHGATE_GRAPH_URL`). Microsoft tokens are fresh: no refresh runs.
- Load: wrk (`mcp_load.lua`) with C keep-alive connections for a fixed time. graphgate gets `tools/call` POSTs;
  the nginx column gets the Graph GET graphgate makes for the same tool. Errors (non-200, JSON-RPC or tool
  errors) are counted and reported. graphgate and nginx take turns (`--rounds`, 3 by default): on a shared machine
  either side's rate moved by a quarter from one minute to the next, so each ratio compares runs seconds apart,
  and the table gives the median round's ratio with the range over the rounds.
- Server CPU per call: utime + stime of the server's processes from /proc/PID/stat, before and after the run,
  divided by the calls answered. RSS: VmRSS of graphgate after each run.
- Eras: `legacy` (initialize, then Mcp-Session-Id on every call; sessions opened beforehand) and `2026`
  (stateless POSTs carrying `_meta` and Mcp-Method / Mcp-Name; needs graphgate's own protocol core).
- RSS run: N calls through S legacy sessions (100,000 through 1,000 by default), then graphgate's RSS.
- Profile (`--profile`): `perf record -g` on graphgate during a 64-connection run; the top symbols are printed.

Client, graphgate, the tenant and both nginx share the machine's cores; the ratios are the fair comparison.
Prints a Markdown table (and writes it to --out). Asserts nothing beyond "the calls succeeded".
"""
import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import httpx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.dirname(__file__))
import canned  # noqa: E402
from ggharness import GraphGate, Login, McpClient, Sandbox, fresh_workdir, open_sessions  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = {
    "list_messages": ('{"page_size":25}', canned.LIST_PATH + canned.LIST_QUERY),
    "get_message": ('{"id":"%s"}' % canned.MESSAGE_ID,
                    f"/v1.0/me/messages/{canned.MESSAGE_ID}?$select=id,subject,body,from,sender,toRecipients"),
}
# What the nginx column forwards as the bearer: Microsoft access tokens are JWTs of about this size.
FAKE_MS_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "A" * 1400 + "." + "B" * 342


def wrk(url, mode, creds, connections, duration, tool="list_messages", threads=None):
    arguments, _ = TOOLS[tool]
    threads = threads or max(1, min(2, connections))
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", "--timeout", "30s",
           "-s", os.path.join(HERE, "mcp_load.lua"), url, "--", mode, creds, arguments, tool]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 600)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")


def write_creds(path, rows):
    with open(path, "w") as f:
        for token, extra in rows:
            f.write(f"{token}\t{extra}\n")
    return path


async def session_credentials(logins, n):
    """n legacy sessions spread over the logins: (token, session id) each."""
    return [(c.login.access_token, c.session_id) for c in await open_sessions(logins, n)]


def measure(pids, run):
    """Runs `run()` and returns (its result, CPU µs the processes spent)."""
    before = canned.cpu_ticks(pids)
    result = run()
    return result, canned.cpu_us(canned.cpu_ticks(pids) - before)


def counted(pid, run):
    """Runs `run()` under `perf stat` on pid; returns (its result, {event: count}). Context switches per call (and
    instructions, where the machine exposes the counter) depend less on how busy a shared box is than CPU time."""
    events = "instructions,context-switches"
    stat = subprocess.Popen(["perf", "stat", "-x", ",", "-e", events, "-p", str(pid)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    result = run()
    stat.send_signal(2)
    counts = {}
    for line in stat.communicate(timeout=30)[1].splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[0].strip().isdigit():
            counts[parts[2].split(":")[0]] = int(parts[0])
    return result, counts


def row(name, result, cpu_us):
    calls = result["requests"]
    seconds = result["duration_us"] / 1e6
    return {"name": name, "calls": calls, "rate": calls / seconds if seconds else 0.0,
            "p50": result["p50_us"] / 1000, "p99": result["p99_us"] / 1000,
            "cpu": cpu_us / calls if calls else float("nan"), "errors": result["errors"] + result["socket_errors"],
            "sample": result.get("sample", "")}


def combined(rounds):
    """Rows of several rounds as one: calls and CPU summed, rates and latencies the median round's."""
    middle = lambda key: sorted(r[key] for r in rounds)[len(rounds) // 2]  # noqa: E731
    calls = sum(r["calls"] for r in rounds)
    cpu = sum(r["cpu"] * r["calls"] for r in rounds if r["calls"])
    return {"name": rounds[0]["name"], "calls": calls, "rate": middle("rate"), "p50": middle("p50"),
            "p99": middle("p99"), "cpu": cpu / calls if calls else float("nan"),
            "errors": sum(r["errors"] for r in rounds), "sample": next((r["sample"] for r in rounds if r["sample"]), "")}


def profile(pid, seconds, out_dir, keep=None):
    """perf record -g on pid for `seconds`; returns the top lines of the report (symbols, self time). `keep`: a path
    the recording is left at, for reading callers afterwards (`perf report -i PATH --children`)."""
    if not shutil.which("perf"):
        return ["(perf not installed)"]
    data = keep or os.path.join(out_dir, "perf.data")
    rec = subprocess.run(["perf", "record", "-g", "-F", "499", "-p", str(pid), "-o", data, "--", "sleep", str(seconds)],
                         capture_output=True, text=True)
    if rec.returncode != 0:
        return [f"(perf record failed: {rec.stderr.strip()[-300:]})"]
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "--stdio",
                          "--percent-limit", "0.8", "-g", "none"], capture_output=True, text=True)
    # perf pads each line to the terminal width with empty "-" columns; keep the percentage and the symbol.
    lines = [re.sub(r"(\s+-)+\s*$", "", l).rstrip() for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")]
    return lines[:30]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="1,16,64,256")
    parser.add_argument("--duration", type=int, default=4, help="seconds per measured run (each side, each round)")
    parser.add_argument("--rounds", type=int, default=3, help="graphgate/nginx turns per table row")
    parser.add_argument("--eras", default="legacy", help="legacy and/or 2026, comma-separated")
    parser.add_argument("--tools", default="list_messages")
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--rss-calls", type=int, default=100_000)
    parser.add_argument("--rss-sessions", type=int, default=1000)
    parser.add_argument("--profile", type=int, default=0, help="seconds of perf record at 64 connections (0: off)")
    parser.add_argument("--perf-data", default=None, help="keep the --profile recording at this path")
    parser.add_argument("--counters", action="store_true",
                        help="also count graphgate's instructions and context switches per call (perf stat)")
    parser.add_argument("--log-level", default="warning",
                        help="graphgate's GRAPHGATE_LOG_LEVEL (info: one request line per call, as served by default)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    eras = args.eras.split(",")
    tools = args.tools.split(",")
    if not shutil.which("wrk") or not canned.nginx_binary():
        sys.exit("scripts/bench needs wrk and nginx (apt-get install wrk nginx)")

    workdir = fresh_workdir("gg-bench-")
    upstream_port, proxy_port = canned.free_port(), canned.free_port()
    upstream, proxy, page_bytes = canned.start(workdir, upstream_port, proxy_port)
    graph_url = f"http://127.0.0.1:{upstream_port}"
    sandbox = graphgate = None
    rows, notes, top = [], [], []
    rss = {}
    try:
        sandbox = Sandbox(workdir)
        sandbox.ensure_users(args.users)
        graphgate = GraphGate(sandbox, workdir, extra_env={
            "GRAPHGATE_GRAPH_URL": graph_url, "GRAPHGATE_LOG_LEVEL": args.log_level, "GRAPHGATE_RATE_LIMIT": "1000000"})
        pid = graphgate.proc.pid
        rss["idle"] = canned.rss_kib(pid)
        started = time.perf_counter()
        logins = [Login(graphgate.base, i) for i in range(args.users)]
        notes.append(f"{args.users} users signed in through the full OAuth flow in {time.perf_counter() - started:.1f} s")

        async def check():
            async with httpx.AsyncClient(timeout=60) as http:
                c = McpClient(http, logins[0])
                await c.initialize()
                return await c.call_tool("list_messages", {"page_size": 25})
        failed, text, _ = asyncio.run(check())
        if failed or text.count("id=") != 25:
            raise RuntimeError(f"list_messages against the canned upstream failed: {text[:400]}")
        creds_dir = tempfile.mkdtemp(prefix="creds-", dir=workdir)
        ms_creds = {tool: write_creds(os.path.join(creds_dir, f"nginx-{tool}"), [(FAKE_MS_TOKEN, TOOLS[tool][1])])
                    for tool in tools}
        gg_url = graphgate.base
        proxy_url = f"http://127.0.0.1:{proxy_port}"

        def credentials(era, n):
            """n legacy sessions opened now, or n stateless bearers (2026: no session to open)."""
            if era == "legacy":
                return asyncio.run(session_credentials(logins, n))
            return [(logins[i % len(logins)].access_token, "-") for i in range(n)]

        def gg_creds(era, connections):
            n = max(connections, 1) if era == "legacy" else len(logins)
            return write_creds(os.path.join(creds_dir, f"{era}-{connections}"), credentials(era, n))

        # Warm-up (JIT-less, but caches, connection pools and allocator arenas settle), with every person signed in:
        # otherwise the first row to use persons beyond the warm-up's measured their first calls (cold token, account
        # and Microsoft-token caches, all at the same instant) in its tail.
        warm = gg_creds(eras[0], len(logins))
        wrk(gg_url, eras[0], warm, 16, 3)
        for tool in tools:
            for era in eras:
                for c in levels:
                    creds = gg_creds(era, c)
                    load = lambda: wrk(gg_url, era, creds, c, args.duration, tool=tool)  # noqa: E731
                    # graphgate and the nginx hop take turns, `--rounds` times: both sides of each ratio ran under
                    # the same machine conditions, a few seconds apart; the table shows the median round's ratio
                    # and the range over the rounds.
                    gs, ns, counts = [], [], {}
                    for _ in range(args.rounds):
                        if args.counters:
                            (result, counted_now), cpu = measure([pid], lambda: counted(pid, load))
                            for event, value in counted_now.items():
                                counts[event] = counts.get(event, 0) + value
                        else:
                            result, cpu = measure([pid], load)
                        gs.append(row(f"graphgate {era}", result, cpu))
                        result, cpu = measure(proxy.pids(), lambda: wrk(proxy_url, "get", ms_creds[tool], c,
                                                                        args.duration, tool=tool))
                        ns.append(row("nginx", result, cpu))
                    g, n = combined(gs), combined(ns)
                    ratios = sorted(a["rate"] / b["rate"] for a, b in zip(gs, ns))
                    g["ratio"], g["ratio_range"] = ratios[len(ratios) // 2], (ratios[0], ratios[-1])
                    rss[f"after {tool} {era} c={c}"] = canned.rss_kib(pid)
                    rows.append((tool, era, c, g, n))
                    print(f"{tool} {era:6} c={c:<4} graphgate {g['rate']:8.0f}/s p50 {g['p50']:7.2f} ms p99 {g['p99']:8.2f} ms "
                          f"cpu {g['cpu']:7.0f} µs err {g['errors']} | nginx {n['rate']:8.0f}/s p50 {n['p50']:6.2f} "
                          f"p99 {n['p99']:7.2f} cpu {n['cpu']:5.0f} µs err {n['errors']} | ratio {g['ratio']:.3f} "
                          f"({g['ratio_range'][0]:.3f}–{g['ratio_range'][1]:.3f})", flush=True)
                    if counts and g["calls"]:
                        instructions = counts.get("instructions")
                        print(f"  graphgate per call: {counts.get('context-switches', 0) / g['calls']:.2f} context "
                              f"switches, " + (f"{instructions / g['calls'] / 1000:.0f}k instructions" if instructions
                                               else "instructions not counted on this machine"), flush=True)
                    if g["errors"]:
                        print(f"  first graphgate error: {g['sample']}", flush=True)
        if args.profile:
            creds = gg_creds(eras[0], 64)
            load = threading.Thread(target=lambda: wrk(gg_url, eras[0], creds, 64, args.profile + 4))
            load.start()
            time.sleep(2)
            top = profile(pid, args.profile, workdir, keep=args.perf_data)
            load.join()
        rss_run = None
        if args.rss_calls:
            era = "legacy" if "legacy" in eras else eras[0]
            sessions = credentials(era, args.rss_sessions)
            creds = write_creds(os.path.join(creds_dir, "rss"), sessions)
            # wrk runs for a duration, not a number of calls: each round lasts as long as the last measured rate
            # needs for the calls still missing, and rounds repeat until --rss-calls are made (the rate of 1,000
            # sessions can be lower than that of the table's runs); the table names the calls made.
            rates = [g["rate"] for _, e, c, g, _ in rows if e == era and c == 64] or [g["rate"] for *_, g, _ in rows]
            rate = max(rates or [100.0])

            def rss_load():
                nonlocal rate
                total = None
                while total is None or total["requests"] < args.rss_calls:
                    missing = args.rss_calls - (total["requests"] if total else 0)
                    result = wrk(gg_url, era, creds, 64, max(5, round(missing / max(rate, 1.0) * 1.1)))
                    rate = result["requests"] / (result["duration_us"] / 1e6) if result["duration_us"] else rate
                    if total is None:
                        total = dict(result)
                    else:
                        for key in ("requests", "duration_us", "errors", "socket_errors"):
                            total[key] += result[key]
                        total["p50_us"], total["p99_us"] = result["p50_us"], result["p99_us"]
                return total
            result, cpu = measure([pid], rss_load)
            rss_run = (era, len(sessions), row("rss", result, cpu), canned.rss_kib(pid))
            print(f"RSS run: {result['requests']} calls through {len(sessions)} sessions: RSS {rss_run[3] / 1024:.0f} MiB",
                  flush=True)
    finally:
        for part in (graphgate, sandbox, proxy, upstream):
            if part:
                part.stop()

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
                     platform.processor())
    lines = [f"Machine: {os.cpu_count()} cores ({cpu_model}), {platform.system()} {platform.release()}; commit {commit}"
             f"{' + uncommitted changes' if dirty else ''}; binary {os.environ.get('GRAPHGATE_BIN', '')}; "
             f"{args.rounds} rounds of {args.duration} s per side and row (graphgate and nginx taking turns; calls/s, "
             f"p50 and p99 of the median round, CPU per call over all rounds, the ratio of the median round and its "
             f"range over the rounds); canned list page {page_bytes / 1024:.1f} KiB.", "",
             "| tool | era | conns | graphgate calls/s | p50 ms | p99 ms | server CPU µs/call | nginx req/s | p50 ms "
             "| p99 ms | nginx CPU µs/req | throughput ratio (range) | p99 ratio | errors gg/nginx |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for tool, era, c, g, n in rows:
        lines.append(f"| {tool} | {era} | {c} | {g['rate']:.0f} | {g['p50']:.2f} | {g['p99']:.2f} | {g['cpu']:.0f} | "
                     f"{n['rate']:.0f} | {n['p50']:.2f} | {n['p99']:.2f} | {n['cpu']:.0f} | "
                     f"{g['ratio']:.3f} ({g['ratio_range'][0]:.2f}–{g['ratio_range'][1]:.2f}) | {g['p99'] / n['p99']:.1f} | {g['errors']}/{n['errors']} |")
    lines += ["", "| graphgate RSS | MiB |", "|---|---:|"]
    lines += [f"| {k} | {v / 1024:.0f} |" for k, v in rss.items()]
    if rss_run:
        era, sessions, r, after = rss_run
        lines.append(f"| after {r['calls']} {era} calls through {sessions} sessions (64 connections, "
                     f"{r['rate']:.0f} calls/s, {r['cpu']:.0f} µs CPU/call, {r['errors']} errors) | {after / 1024:.0f} |")
    if top:
        lines += ["", "perf top symbols (self time, graphgate, 64 connections):", "", "```", *top, "```"]
    lines += [""] + [f"- {n}" for n in notes]
    table = "\n".join(lines)
    print()
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
