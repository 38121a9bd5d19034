"""Suite 2, isolation under load: 20 people sign in through the real flow (DCR, PKCE, the emulated tenant's
sign-in, graphgate's consent), then 20 concurrent clients make 25 tool calls each (list_messages, get_message,
search_messages). Every mailbox item carries its owner's canary: each person must see their own canary and never
another's, and the emulated tenant's request log must show every Graph call for mailbox X carried a token issued to
X, with token fingerprints that map 1:1 to mailboxes.
"""
import asyncio
import re

import httpx
import pytest

from ggharness import sandbox_stack, GraphGate, Login, McpClient, Sandbox, fresh_workdir

USERS = 20
CALLS = 25
IDS = re.compile(r"id=([A-Za-z0-9=_+-]+)")


async def user_workload(http: httpx.AsyncClient, login: Login, calls: int) -> list[str]:
    """`calls` tool calls by one person; returns every text result (for the canary scan)."""
    client = McpClient(http, login)
    await client.initialize()
    texts = []
    error, text, _ = await client.call_tool("list_messages", {"page_size": 20})
    assert not error, text
    texts.append(text)
    ids = IDS.findall(text)
    assert len(ids) >= 10, text[:500]
    queries = ["budget", "renewal", "offsite", "invoice", "launch"]
    for i in range(calls - 1):
        kind = i % 3
        if kind == 0:
            error, text, _ = await client.call_tool("get_message", {"id": ids[i % len(ids)]})
        elif kind == 1:
            error, text, _ = await client.call_tool("search_messages", {"query": queries[i % len(queries)], "page_size": 10})
        else:
            error, text, _ = await client.call_tool("list_messages", {"folder": ["inbox", "sentitems", "archive"][i % 3], "page_size": 10})
        assert not error, text[:500]
        texts.append(text)
    return texts


async def run_load(logins: list[Login], calls: int) -> list[list[str]]:
    limits = httpx.Limits(max_connections=len(logins) * 2, max_keepalive_connections=len(logins) * 2)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        return await asyncio.gather(*(user_workload(http, login, calls) for login in logins))


def check_canaries(logins: list[Login], users_by_upn: dict, results: list[list[str]]):
    canaries = {u["canary"] for u in users_by_upn.values()}
    for login, texts in zip(logins, results):
        own = users_by_upn[login.upn.lower()]["canary"]
        joined = "\n".join(texts)
        assert own in joined, f"{login.upn} never saw their own canary"  # the scan can find canaries at all
        foreign = {c for c in canaries - {own} if c in joined}
        assert not foreign, f"{login.upn} saw foreign canaries {foreign}"


def check_request_log(sandbox: Sandbox, logins: list[Login], users_by_upn: dict):
    fingerprint_owner: dict[str, str] = {}
    for login in logins:
        oid = users_by_upn[login.upn.lower()]["id"]
        entries = [e for e in sandbox.control("GET", "requests", params={"user": oid})["value"]
                   if e["path"].startswith("/v1.0/")]
        assert entries, f"no Graph calls logged for {login.upn}"
        for e in entries:
            assert e["mailbox"] in (None, oid) or e["mailbox"].lower() == oid, e
            assert e["tokenUser"] == oid, e
            fp = e["tokenFingerprint"]
            assert fp, e
            assert fingerprint_owner.setdefault(fp, oid) == oid, f"token {fp} used for two mailboxes"
    # And in the whole log: a mailbox is only ever reached with its owner's tokens.
    for e in sandbox.control("GET", "requests")["value"]:
        if e["path"].startswith("/v1.0/") and e.get("mailbox"):
            assert e["tokenUser"] == e["mailbox"], e
    owners = set(fingerprint_owner.values())
    assert len(owners) == len(logins)


@pytest.fixture(scope="module")
def stack():
    with sandbox_stack("gg-isolation-") as pair:
        yield pair


def test_twenty_users_under_concurrent_load_see_only_their_own_mail(stack):
    sandbox, graphgate = stack
    users = sandbox.ensure_users(USERS)
    users_by_upn = {u["userPrincipalName"].lower(): u for u in users}
    logins = [Login(graphgate.base, i) for i in range(USERS)]
    assert len({l.upn.lower() for l in logins}) == USERS
    sandbox.control("DELETE", "requests")

    results = asyncio.run(run_load(logins, CALLS))

    assert sum(len(r) for r in results) == USERS * CALLS
    check_canaries(logins, users_by_upn, results)
    check_request_log(sandbox, logins, users_by_upn)
    assert graphgate.alive()
