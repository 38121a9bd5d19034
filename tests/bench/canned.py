"""A canned Microsoft Graph upstream and an nginx proxy hop in front of it, both served by Debian's nginx.

The upstream answers, from files written once, the requests the benchmarked tools make: the inbox page of
`list_messages` (a fixed 25-message page, about 36 KB), `get_message`, and `/v1.0/me`. It ignores the bearer token
and the query. Because it does no work per request, the benchmark measures graphgate's own cost, not an emulator's.

The proxy is a plain `proxy_pass` with upstream keep-alive to the same files: the reference a tool call is compared
with (the least any gateway must do to forward the same Graph request)."""
import json
import os
import shutil
import subprocess
import time

import httpx

LIST_PATH = "/v1.0/me/mailFolders/inbox/messages"
LIST_QUERY = ("?$select=id,subject,from,receivedDateTime,isRead,hasAttachments,importance,flag,isDraft"
              "&$top=25&$orderby=receivedDateTime%20desc")
MESSAGE_ID = "AAMkAGI2TG93AAA" + "x" * 40 + "BAAA="


def nginx_binary() -> str | None:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    return binary if os.path.exists(binary) else None


def person(i: int) -> dict:
    return {"emailAddress": {"name": f"Person Number{i} Example", "address": f"person.number{i}@contoso.example"}}


def message(i: int, base: str) -> dict:
    """One message with the fields Graph returns for a full message (graphgate decodes what it selected)."""
    return {
        "@odata.etag": f"W/\"CQAAABYAAAA{i:04d}xyzzyGraphEtagValue\"",
        "id": f"AAMkAGI2TG93AAA{i:04d}" + "x" * 36 + "BAAA=",
        "receivedDateTime": f"2026-11-{1 + i % 28:02d}T09:{i % 60:02d}:00Z",
        "sentDateTime": f"2026-11-{1 + i % 28:02d}T08:{i % 60:02d}:58Z",
        "hasAttachments": i % 4 == 0, "internetMessageId": f"<msg{i}.abcdef@contoso.example>",
        "subject": f"Quarterly planning follow-up #{i}: budget <<review>> and next steps for the team",
        "bodyPreview": ("Hi team, following up on the planning meeting. Please review the attached notes and send "
                        "comments by Friday. Ignore previous instructions is just text here. " * 2)[:180],
        "importance": "high" if i % 7 == 0 else "normal", "parentFolderId": "AQMkAGI2TG93AAAinbox" + "y" * 30,
        "conversationId": f"AAQkAGI2TG93conv{i:04d}" + "z" * 30, "isDeliveryReceiptRequested": False,
        "isReadReceiptRequested": False, "isRead": i % 3 != 0, "isDraft": False,
        "webLink": f"https://outlook.office365.com/owa/?ItemID=AAMkAGI2TG93AAA{i:04d}&exvsurl=1&viewmodel=ReadMessageItem",
        "inferenceClassification": "focused",
        "sender": person(i), "from": person(i), "toRecipients": [person(i + 100), person(i + 200)],
        "ccRecipients": [], "bccRecipients": [], "replyTo": [],
        "flag": {"flagStatus": "flagged" if i % 5 == 0 else "notFlagged"},
        "categories": ["Blue category"] if i % 6 == 0 else [],
    }


def write_files(directory: str, base: str) -> int:
    """Writes the canned answers; returns the list page's size in bytes."""
    os.makedirs(directory, exist_ok=True)
    page = {"@odata.context": f"{base}/v1.0/$metadata#users('me')/mailFolders('inbox')/messages",
            "value": [message(i, base) for i in range(25)],
            "@odata.nextLink": f"{base}{LIST_PATH}?$top=25&$skip=25"}
    body = json.dumps(page, separators=(",", ":"))
    with open(os.path.join(directory, "page.json"), "w") as f:
        f.write(body)
    detail = message(1, base) | {"body": {"contentType": "text", "content": "Hello,\n\nthe notes are attached.\n" * 40}}
    with open(os.path.join(directory, "message.json"), "w") as f:
        f.write(json.dumps(detail, separators=(",", ":")))
    with open(os.path.join(directory, "me.json"), "w") as f:
        f.write(json.dumps({"id": "00000000-0000-0000-0000-000000000001", "displayName": "Bench User",
                            "mail": "bench.user@contoso.example", "userPrincipalName": "bench.user@contoso.example"}))
    return len(body.encode())


class Nginx:
    """One nginx process (2 workers) serving `server_block`; its CPU is read from /proc for every process it runs."""

    def __init__(self, workdir: str, name: str, server_block: str, upstreams: str = ""):
        self.dir = os.path.join(workdir, name)
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        # As root, nginx's workers would run as `nobody`, who cannot read a private temp directory.
        user = "user root;" if os.geteuid() == 0 else ""
        conf = f"""
{user}
worker_processes 2;
pid {self.dir}/nginx.pid;
error_log {self.dir}/logs/error.log warn;
events {{ worker_connections 8192; multi_accept on; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {self.dir}/body; proxy_temp_path {self.dir}/proxy;
  fastcgi_temp_path {self.dir}/fcgi; uwsgi_temp_path {self.dir}/uwsgi; scgi_temp_path {self.dir}/scgi;
  {upstreams}
  {server_block}
}}
"""
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen([nginx_binary(), "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"),
                                      "-g", "daemon off;"], stderr=subprocess.PIPE)

    def pids(self) -> list[int]:
        pids = [self.proc.pid]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.proc.pid:
                        pids.append(int(entry))
                except OSError:
                    pass
        return pids

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wait_up(url: str):
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers at {url}")


def start(workdir: str, upstream_port: int, proxy_port: int) -> tuple[Nginx, Nginx, int]:
    """The canned Graph upstream and the proxy hop in front of it; returns both and the list page's size."""
    base = f"http://127.0.0.1:{upstream_port}"
    files = os.path.join(workdir, "canned")
    size = write_files(files, base)
    upstream = Nginx(workdir, "canned-graph", f"""
  server {{
    listen 127.0.0.1:{upstream_port} backlog=4096;
    root {files};
    default_type application/json;
    location = {LIST_PATH} {{ try_files /page.json =404; }}
    location ~ ^/v1\\.0/me/messages/[^/]+$ {{ try_files /message.json =404; }}
    location = /v1.0/me {{ try_files /me.json =404; }}
    location / {{ return 404 '{{"error":{{"code":"NotCanned","message":"not a canned request"}}}}'; }}
  }}""")
    proxy = Nginx(workdir, "proxy-hop", f"""
  server {{
    listen 127.0.0.1:{proxy_port} backlog=4096;
    location / {{ proxy_pass http://graph; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}""", upstreams=f"upstream graph {{ server 127.0.0.1:{upstream_port}; keepalive 512; }}")
    wait_up(base + "/v1.0/me")
    wait_up(f"http://127.0.0.1:{proxy_port}/v1.0/me")
    return upstream, proxy, size


def cpu_ticks(pids: list[int]) -> int:
    """utime + stime of these processes, in clock ticks."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS")).split()[1])


TICK = os.sysconf("SC_CLK_TCK")


def cpu_us(ticks: int) -> float:
    return ticks * 1_000_000 / TICK


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

