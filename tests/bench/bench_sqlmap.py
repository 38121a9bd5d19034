"""sqlmap against graphgate (run by scripts/bench-sqlmap; not a test). Starts the emulated tenant and graphgate in
production mode against it, signs one person in for a bearer
token, then runs sqlmap in batch mode (level 3, risk 2, bounded time per target) on the OAuth endpoints and on
tool arguments at /mcp. sqlmap's `xforwardedfor` tamper gives every request a random client address (graphgate
trusts X-Forwarded-For from loopback here), so the per-address login and registration budgets do not answer in
graphgate's place. Prints one row per target: parameters tested, findings, 4xx and 5xx answers seen.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from ggharness import GraphGate, Login, Sandbox, fresh_workdir, register_client  # noqa: E402
from test_mcp_oauth_e2e import REDIRECT_URI  # noqa: E402

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def targets(base: str, login: Login, client_id: str) -> list[dict]:
    mcp_headers = [f"Authorization: Bearer {login.access_token}", "Accept: application/json, text/event-stream",
                   "MCP-Protocol-Version: 2025-06-18"]

    def tool(name: str, arguments: dict) -> dict:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
        return {"endpoint": f"POST /mcp {name}", "url": f"{base}/mcp", "data": json.dumps(body),
                "headers": mcp_headers + ["Content-Type: application/json"], "params": ["name", *arguments]}

    return [
        {"endpoint": "GET /oauth/authorize", "url": f"{base}/oauth/authorize?response_type=code&client_id={client_id}"
                                                    f"&redirect_uri={REDIRECT_URI}&state=s&code_challenge={CHALLENGE}"
                                                    f"&code_challenge_method=S256&resource={base}/mcp&scope=mcp",
         "data": None, "headers": [],
         "params": ["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method",
                    "resource", "scope"]},
        {"endpoint": "POST /oauth/token (code)", "url": f"{base}/oauth/token",
         "data": f"grant_type=authorization_code&code=ggc_x&client_id={client_id}&redirect_uri={REDIRECT_URI}"
                 f"&code_verifier={'v' * 43}", "headers": [],
         "params": ["grant_type", "code", "client_id", "redirect_uri", "code_verifier"]},
        {"endpoint": "POST /oauth/token (refresh)", "url": f"{base}/oauth/token",
         "data": f"grant_type=refresh_token&refresh_token=ggr_x&client_id={client_id}&scope=mcp", "headers": [],
         "params": ["grant_type", "refresh_token", "client_id", "scope"]},
        {"endpoint": "POST /oauth/register (JSON)", "url": f"{base}/oauth/register",
         "data": json.dumps({"client_name": "sqlmap", "redirect_uris": [REDIRECT_URI],
                             "token_endpoint_auth_method": "none", "client_uri": "https://example.com"}),
         "headers": ["Content-Type: application/json"],
         "params": ["client_name", "redirect_uris", "token_endpoint_auth_method", "client_uri"]},
        {"endpoint": "POST /oauth/revoke", "url": f"{base}/oauth/revoke",
         "data": f"token=ggr_x&client_id={client_id}&token_type_hint=refresh_token", "headers": [],
         "params": ["token", "client_id", "token_type_hint"]},
        tool("search_messages", {"query": "budget"}),
        tool("list_messages", {"folder": "inbox", "from": "AdeleV@contoso.sandbox", "cursor": "x"}),
        tool("get_message", {"id": "AAkALgAAAAAAHYQDEapmEc2byACqAC"}),
        tool("list_contacts", {"query": "Adele"}),
    ]


def run_sqlmap(sqlmap: str, target: dict, workdir: str, seconds: int, level: int, risk: int) -> dict:
    command = [sqlmap, "-u", target["url"], "--batch", f"--level={level}", f"--risk={risk}", "--flush-session",
               f"--output-dir={workdir}", "--tamper=xforwardedfor", "--disable-coloring", "--timeout=15",
               "--retries=1", "--time-sec=3", "--threads=2", "--skip-waf", "--answers=follow=N"]
    if target["data"] is not None:
        command += ["--data", target["data"], "--method", "POST"]
    for header in target["headers"]:
        command += ["-H", header]
    # Named explicitly: sqlmap otherwise skips parameters whose names look like anti-CSRF tokens (refresh_token).
    command += ["-p", ",".join(target["params"])]
    started = time.monotonic()
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds).stdout
        finished = True
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        finished = False
    tested = sorted(set(re.findall(r"testing if (?:\(custom\) )?\w+ parameter '([^']+)' is dynamic", out))
                    | set(re.findall(r"(?:heuristic \(basic\) test shows that|testing) (?:\(custom\) )?\w+ parameter "
                                     r"'([^']+)'", out)))
    injectable = sorted(set(re.findall(r"\w+ parameter '([^']+)' (?:is|appears to be) '[^']+' injectable", out)))
    identified = "identified the following injection point" in out
    errors = re.findall(r"(\d{3}) \([^)]*\) - (\d+) times", out)
    server_errors = sum(int(n) for code, n in errors if code.startswith("5"))
    client_errors = sum(int(n) for code, n in errors if code.startswith("4"))
    return {"endpoint": target["endpoint"], "tested": tested, "injectable": injectable, "identified": identified,
            "server_errors": server_errors, "client_errors": client_errors, "http_errors": errors,
            "finished": finished, "seconds": time.monotonic() - started,
            "tail": out[-1200:], "out": out}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=300, help="time limit per target")
    parser.add_argument("--level", type=int, default=3)
    parser.add_argument("--risk", type=int, default=2)
    parser.add_argument("--only", help="run only targets whose name contains this")
    args = parser.parse_args()
    sqlmap = shutil.which("sqlmap")
    if not sqlmap:
        sys.exit("sqlmap not found")
    workdir = fresh_workdir("gg-sqlmap-")
    sandbox = Sandbox(workdir)
    sandbox.ensure_users(1)
    graphgate = GraphGate(sandbox, workdir, extra_env={
        "GRAPHGATE_LOG_LEVEL": "info", "GRAPHGATE_RATE_LIMIT": "1000000"})
    results = []
    try:
        login = Login(graphgate.base, 0)
        client_id = register_client(graphgate.base, "sqlmap target")
        out_dir = tempfile.mkdtemp(prefix="gg-sqlmap-out-")
        for target in targets(graphgate.base, login, client_id):
            if args.only and args.only not in target["endpoint"]:
                continue
            print(f"== sqlmap {target['endpoint']} (≤ {args.seconds} s)", flush=True)
            result = run_sqlmap(sqlmap, target, out_dir, args.seconds, args.level, args.risk)
            result["alive"] = graphgate.alive()
            results.append(result)
            print(f"   tested {', '.join(result['tested']) or '-'}; injectable {result['injectable'] or 'none'}; "
                  f"HTTP errors {result['http_errors'] or 'none'}; {result['seconds']:.0f} s"
                  + ("" if result["finished"] else " (time limit)"), flush=True)
            if os.environ.get("SQLMAP_VERBOSE"):
                print(result["out"], flush=True)
            elif not result["tested"]:
                print(result["tail"], flush=True)
    finally:
        code = graphgate.stop()
        sandbox.stop()
    print()
    print(f"sqlmap level {args.level}, risk {args.risk}, ≤ {args.seconds} s per target; graphgate exit code {code}")
    print()
    print("| endpoint | parameters tested | findings | 4xx answers | 5xx answers | completed |")
    print("|---|---|---|---|---|---|")
    for r in results:
        findings = "injectable: " + ", ".join(r["injectable"]) if r["injectable"] or r["identified"] else "none"
        print(f"| {r['endpoint']} | {', '.join(r['tested']) or '-'} | {findings} | {r['client_errors']} | "
              f"{r['server_errors']} | "
              f"{'yes' if r['finished'] else 'time limit'}{'' if r['alive'] else ', graphgate down'} |")
    if any(r["injectable"] or r["identified"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
