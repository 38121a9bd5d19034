"""Driver of scripts/bench-ab: two graphgate builds compared side by side, each serving at the same time under its
own wrk load, so that whatever else the machine is doing slows both alike.

One canned Graph upstream (`canned.py`) and one emulated tenant serve both builds; each build gets its own data
directory and eight signed-in users. Each round runs `wrk` against both at once (`list_messages`, 2026 era unless
`--eras` says otherwise, C connections each, D seconds), reads each server's CPU from /proc and prints CPU µs per
call for both and B/A. The median B/A of the rounds is the result: on a shared 2-core machine one build's CPU per
call moved by ±25% from run to run, while B/A of the same pair of builds stayed within a few percent. Asserts
nothing beyond "no errors".
"""
import argparse
import asyncio
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.dirname(__file__))
import canned  # noqa: E402
from bench_canned import measure, row, session_credentials, wrk, write_creds  # noqa: E402
from ggharness import GraphGate, Login, Sandbox, fresh_workdir  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a", help="graphgate binary A (the baseline)")
    parser.add_argument("b", help="graphgate binary B (the candidate)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16, help="per build")
    parser.add_argument("--duration", type=int, default=8, help="seconds per round")
    parser.add_argument("--eras", default="2026,2026", help="the MCP era of A's load and of B's (legacy or 2026)")
    args = parser.parse_args()
    eras = dict(zip("AB", args.eras.split(",")))
    workdir = fresh_workdir("gg-ab-")
    upstream_port, proxy_port = canned.free_port(), canned.free_port()
    upstream, proxy, _ = canned.start(workdir, upstream_port, proxy_port)
    sandbox, servers, started = None, {}, []
    try:
        os.environ["GRAPHGATE_BIN"] = args.a
        sandbox = Sandbox(workdir)
        sandbox.ensure_users(8)
        for tag, binary in (("A", args.a), ("B", args.b)):
            os.environ["GRAPHGATE_BIN"] = os.path.abspath(binary)
            directory = os.path.join(workdir, tag)
            os.makedirs(directory)
            graphgate = GraphGate(sandbox, directory, extra_env={
                "GRAPHGATE_GRAPH_URL": f"http://127.0.0.1:{upstream_port}", "GRAPHGATE_LOG_LEVEL": "warning",
                "GRAPHGATE_RATE_LIMIT": "1000000"})
            started.append(graphgate)
            logins = [Login(graphgate.base, i) for i in range(8)]
            rows = (asyncio.run(session_credentials(logins, 16)) if eras[tag] == "legacy"
                    else [(login.access_token, "-") for login in logins])
            creds = write_creds(os.path.join(directory, "creds"), rows)
            servers[tag] = (graphgate, creds)

        results = {}

        def load(tag):
            graphgate, creds = servers[tag]
            result, cpu = measure([graphgate.proc.pid],
                                  lambda: wrk(graphgate.base, eras[tag], creds, args.connections, args.duration))
            results[tag] = row(tag, result, cpu)

        for tag in "AB":
            load(tag)  # warm-up, one at a time
        ratios = []
        for index in range(args.rounds):
            threads = [threading.Thread(target=load, args=(tag,)) for tag in "AB"]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            a, b = results["A"], results["B"]
            if a["errors"] or b["errors"]:
                raise RuntimeError(f"errors: A {a['errors']}, B {b['errors']}")
            ratios.append(b["cpu"] / a["cpu"])
            print(f"round {index + 1}: A {a['cpu']:.0f} µs/call {a['rate']:.0f}/s p99 {a['p99']:.0f} ms | "
                  f"B {b['cpu']:.0f} µs/call {b['rate']:.0f}/s p99 {b['p99']:.0f} ms | B/A CPU per call "
                  f"{ratios[-1]:.3f}", flush=True)
        ratios.sort()
        print(f"median B/A CPU per call over {len(ratios)} rounds: {ratios[len(ratios) // 2]:.3f} "
              f"(range {ratios[0]:.3f}–{ratios[-1]:.3f})")
    finally:
        for graphgate in started:
            graphgate.stop()
        if sandbox:
            sandbox.stop()
        upstream.stop()
        proxy.stop()


if __name__ == "__main__":
    main()
