"""`graphgate stdio` benchmark: cold start to first tool result, then N sequential `list_messages` calls (25 per
page) in one session, with the server's CPU per call (utime + stime from /proc) and the wall time.

By default Graph is the canned upstream of `canned.py` (nginx serving a fixed 25-message page), so the numbers are
graphgate's own; sign-in (device code) is the emulated tenant's, used as a real authority with the tenant's public
client. `--tenant-graph` measures against the emulated tenant's Graph instead (its cost included). Speaks
newline-delimited JSON-RPC on the pipes directly, so no client library's cost is in the numbers. Prints numbers;
asserts nothing beyond "the calls succeeded"."""
import argparse
import json
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.dirname(__file__))
import canned  # noqa: E402
from conftest import start_announcing, stop  # noqa: E402
from test_desktop_stdio import approve_device_code, desktop_env  # noqa: E402

BIN = os.environ["GRAPHGATE_BIN"]


TENANT = "8f1e2c3d-4b5a-4c6d-9e7f-0a1b2c3d4e5f"
PUBLIC_CLIENT = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def login(sandbox, env, graph_url=None):
    """Device-code login; with `graph_url`, as a production login (the tenant as authority, Graph elsewhere)."""
    where = (["--client-id", PUBLIC_CLIENT, "--tenant", TENANT, "--authority", sandbox, "--graph-url", graph_url]
             if graph_url else ["--sandbox-url", sandbox])
    proc = subprocess.Popen([BIN, "login", *where], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(proc.stderr.read())
        m = re.search(r"enter the code (\S+)", line)
        if m:
            break
    approve_device_code(sandbox, m.group(1), "MeganB@contoso.sandbox")
    out, err = proc.communicate(timeout=30)
    if proc.returncode != 0:
        raise RuntimeError(err)


class Stdio:
    def __init__(self, env, sandbox_mode):
        self.proc = subprocess.Popen([BIN, "stdio", *(["--sandbox"] if sandbox_mode else [])],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.next_id = 0

    def call(self, method, params=None):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()
        while True:
            frame = json.loads(self.proc.stdout.readline())
            if frame.get("id") == self.next_id:
                return frame

    def notify(self, method):
        self.proc.stdin.write((json.dumps({"jsonrpc": "2.0", "method": method}) + "\n").encode())
        self.proc.stdin.flush()

    def initialize(self):
        self.call("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                 "clientInfo": {"name": "bench", "version": "1"}})
        self.notify("notifications/initialized")

    def list_messages(self):
        frame = self.call("tools/call", {"name": "list_messages", "arguments": {"page_size": 25}})
        if "error" in frame or frame["result"].get("isError"):
            raise RuntimeError(json.dumps(frame)[:500])
        return frame

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(next(l for l in f if l.startswith("VmRSS")).split()[1])

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=20)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--cold-starts", type=int, default=5)
    parser.add_argument("--tenant-graph", action="store_true", help="Graph from the emulated tenant, not canned")
    args = parser.parse_args()
    sandbox_proc, m = start_announcing(["sandbox", "--port", "0", "--device-code-interval", "1"],
                                       r"^graphgate sandbox listening on (https?://\S+)$")
    home = tempfile.mkdtemp(prefix="gg-bench-stdio-")
    env = desktop_env(home, GRAPHGATE_LOG_LEVEL="warning")
    upstream = proxy = None
    graph_url = None
    try:
        sandbox = m.group(1)
        if not args.tenant_graph:
            port = canned.free_port()
            upstream, proxy, _ = canned.start(home, port, canned.free_port())
            graph_url = f"http://127.0.0.1:{port}"
        login(sandbox, env, graph_url)
        sandbox_mode = graph_url is None
        cold = []
        for _ in range(args.cold_starts):
            started = time.perf_counter()
            session = Stdio(env, sandbox_mode)
            session.initialize()
            session.list_messages()
            cold.append((time.perf_counter() - started) * 1000)
            session.close()
        session = Stdio(env, sandbox_mode)
        session.initialize()
        frame = session.list_messages()
        text = "".join(c.get("text", "") for c in frame["result"]["content"])
        latencies = []
        cpu_before = canned.cpu_ticks([session.proc.pid])
        started = time.perf_counter()
        for _ in range(args.calls):
            t = time.perf_counter()
            session.list_messages()
            latencies.append((time.perf_counter() - t) * 1000)
        total = time.perf_counter() - started
        cpu = canned.cpu_us(canned.cpu_ticks([session.proc.pid]) - cpu_before)
        rss = session.rss_kib()
        session.close()
        print(f"binary: {BIN}")
        print(f"Graph: {graph_url or 'the emulated tenant'}; {text.count('id=')} messages per page")
        print(f"cold start -> first list_messages result: median {statistics.median(cold):.0f} ms, "
              f"min {min(cold):.0f} ms, max {max(cold):.0f} ms ({args.cold_starts} runs)")
        print(f"{args.calls} sequential list_messages over stdio: {total:.2f} s, {args.calls / total:.0f} calls/s, "
              f"p50 {percentile(latencies, 50):.2f} ms, p95 {percentile(latencies, 95):.2f} ms, "
              f"p99 {percentile(latencies, 99):.2f} ms, max {max(latencies):.2f} ms")
        print(f"server CPU per call: {cpu / args.calls:.0f} µs (utime + stime of the stdio process)")
        print(f"stdio process RSS after the run: {rss / 1024:.1f} MiB")
    finally:
        subprocess.run([BIN, "logout"], env=env, capture_output=True)
        stop(sandbox_proc)
        for nginx in (upstream, proxy):
            if nginx:
                nginx.stop()


if __name__ == "__main__":
    main()
