"""Authorization that holds (issue 15), end to end against the emulated tenant with raw JSON-RPC over httpx:

- consent accumulates: a tool needing several Microsoft permissions asks for all of them in one link, granting
  never takes one away, a new client's sign-in keeps them, and /account shows what is granted;
- every path that makes Microsoft mail someone goes through the send guard (answers to invitations, updates of
  meetings with attendees), and where the mail is refused but the action is possible, it happens without it;
- confirmation fails closed: a client that cannot ask gets a confirmation link bound to the person and the exact
  message, and nothing is sent until the person confirms there (once);
- consent starts are POST + CSRF and never offered in read-only mode; grants have an absolute lifetime; the
  pending sign-in row holds a hash of the authorize request's handle, not the handle.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import json
import re
import sqlite3
import urllib.parse

import httpx
import pytest

from ggharness import Browser, Login, McpClient, authorize_params, parse_rpc, register_client, sandbox_stack


async def session_for(http, login) -> McpClient:
    client = McpClient(http, login)
    await client.initialize()
    return client


def consent_link(text: str) -> str | None:
    m = re.search(r"https?://\S+/account/consent\?\S+", text)
    return m.group(0).rstrip(".,)") if m else None


def link_scopes(link: str) -> set[str]:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    return set(query["scope"][0].split())


async def grant_for(client: McpClient, browser: Browser, login: Login, tool: str, args: dict):
    """Calls `tool`; when it answers with a consent link, the person opens it once and the call is retried.
    Returns (isError, text, raw, number of consent links followed)."""
    error, text, raw = await client.call_tool(tool, args)
    followed = 0
    while error and (link := consent_link(text)) and followed < 4:
        page = await asyncio.to_thread(browser.walk, link, login.user_index)
        assert page.status_code == 200 and "Permission granted" in page.text, page.text[:400]
        followed += 1
        error, text, raw = await client.call_tool(tool, args)
    return error, text, raw, followed


def month_window() -> dict:
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"start": (now - datetime.timedelta(days=45)).isoformat(), "end": (now + datetime.timedelta(days=45)).isoformat()}


def test_forward_asks_for_every_missing_permission_in_one_link_and_consent_accumulates():
    with sandbox_stack("gg-authz-consent-", users=4) as (sandbox, graphgate):
        login = Login(graphgate.base, 0)
        colleague = sandbox.users()[1]["mail"]

        async def scenario():
            async with httpx.AsyncClient(timeout=60) as http:
                client = await session_for(http, login)
                error, text, raw = await client.call_tool("list_messages", {"page_size": 1})
                assert not error, text[:300]
                message_id = raw["structuredContent"]["messages"][0]["id"]
                args = {"id": message_id, "to": [colleague], "comment": "FYI"}
                error, text, _ = await client.call_tool("forward_message", args)
                link = consent_link(text)
                assert error and link, text[:300]
                assert {"Mail.ReadWrite", "Mail.Send"} <= link_scopes(link), link
                with Browser(login.address) as browser:
                    error, text, _, followed = await grant_for(client, browser, login, "forward_message", args)
                    assert not error and followed == 1, (followed, text[:300])
                    # Granting the calendar permission later keeps both mail permissions (granted ∪ needed).
                    page = await asyncio.to_thread(browser.walk, f"{graphgate.base}/account/consent?scope=Calendars.ReadWrite", 0)
                    assert "Permission granted" in page.text, page.text[:300]
                    account = browser.http.get(f"{graphgate.base}/account")
                    section = account.text.split('id="scopes"')[1].split("</section>")[0]
                    for scope in ("Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "Mail.Read"):
                        assert f"<strong>{scope}</strong>" in section, (scope, section[:600])
                    assert "<strong>Contacts.ReadWrite</strong>" not in section
                error, text, _ = await client.call_tool("forward_message", args)
                assert not error, text[:300]

                # A new client's sign-in (a fresh browser, plain read scopes) does not reduce the grant.
                second = Login(graphgate.base, 0)
                other = await session_for(http, second)
                error, text, _ = await other.call_tool("send_message", {"to": [colleague], "subject": "still allowed", "body": "b"})
                assert not error, text[:300]
                error, text, _ = await client.call_tool("forward_message", args)
                assert not error, text[:300]

        asyncio.run(scenario())


def test_event_answers_and_meeting_updates_go_through_the_send_guard():
    # contoso.sandbox (every organizer and attendee of the emulated tenant) is outside the allowed domains.
    with sandbox_stack("gg-authz-guard-", users=4, extra_env={"GRAPHGATE_SEND_ALLOWED_DOMAINS": "example.org"}) as (sandbox, graphgate):
        login = Login(graphgate.base, 0)

        async def scenario():
            async with httpx.AsyncClient(timeout=60) as http:
                client = await session_for(http, login)
                error, text, raw = await client.call_tool("list_events", {**month_window(), "page_size": 100})
                assert not error, text[:300]
                events = raw["structuredContent"]["events"]
                invitation = next(e for e in events if e["response"] not in ("organizer", None) and e["organizer"])
                own = [e for e in events if e["response"] == "organizer"]
                meeting = None
                for event in own:
                    _, _, detail = await client.call_tool("get_event", {"id": event["id"]})
                    if detail["structuredContent"]["attendees"]:
                        meeting = detail["structuredContent"]
                        break
                assert meeting, "the seeded calendar has a meeting this user organises with attendees"

                before = sandbox.control("GET", "meeting-mail")["value"]
                with Browser(login.address) as browser:
                    error, text, _, _ = await grant_for(client, browser, login, "respond_to_event", {
                        "id": invitation["id"], "response": "decline", "comment": "Cannot make it"})
                assert not error, text[:300]
                assert "without telling the organizer" in text and "example.org" in text, text[:300]
                _, _, detail = await client.call_tool("get_event", {"id": invitation["id"]})
                assert detail["structuredContent"]["event"]["response"] == "declined"

                # A body change of a meeting with outside attendees would mail them: refused, nothing changed.
                error, text, _ = await client.call_tool("update_event", {"id": meeting["event"]["id"], "body": "New agenda"})
                assert error and "Refused" in text and "contoso.sandbox" in text, text[:300]
                _, _, after = await client.call_tool("get_event", {"id": meeting["event"]["id"]})
                assert "New agenda" not in after["structuredContent"]["body"]
                assert sandbox.control("GET", "meeting-mail")["value"] == before, "meeting mail went out unguarded"
                # So would emptying its attendee list (Microsoft mails each removed attendee a cancellation).
                error, text, _ = await client.call_tool("update_event", {"id": meeting["event"]["id"], "attendees": []})
                assert error and "Refused" in text and "contoso.sandbox" in text, text[:300]
                _, _, after = await client.call_tool("get_event", {"id": meeting["event"]["id"]})
                assert after["structuredContent"]["attendees"], "the attendees were removed unguarded"
                # So would deleting it (a cancellation): refused, the meeting stays.
                error, text, _ = await client.call_tool("delete_event", {"id": meeting["event"]["id"]})
                assert error and "Refused" in text, text[:300]
                error, _, _ = await client.call_tool("get_event", {"id": meeting["event"]["id"]})
                assert not error
                assert sandbox.control("GET", "meeting-mail")["value"] == before

                # Telling nobody is always possible.
                error, text, _ = await client.call_tool("respond_to_event", {
                    "id": invitation["id"], "response": "accept", "send_response": False})
                assert not error and "not told" in text, text[:300]
                assert sandbox.control("GET", "meeting-mail")["value"] == before

        asyncio.run(scenario())


def test_event_answer_is_mailed_to_the_organizer_when_the_policy_allows():
    with sandbox_stack("gg-authz-answer-", users=4) as (sandbox, graphgate):
        login = Login(graphgate.base, 0)

        async def scenario():
            async with httpx.AsyncClient(timeout=60) as http:
                client = await session_for(http, login)
                _, _, raw = await client.call_tool("list_events", {**month_window(), "page_size": 100})
                invitation = next(e for e in raw["structuredContent"]["events"]
                                  if e["response"] not in ("organizer", None) and e["organizer"])
                with Browser(login.address) as browser:
                    error, text, _, _ = await grant_for(client, browser, login, "respond_to_event", {
                        "id": invitation["id"], "response": "tentative"})
                assert not error and "the organizer was told" in text, text[:300]
                mail = sandbox.control("GET", "meeting-mail")["value"]
                assert [m["to"].lower() for m in mail] == [invitation["organizer"]["address"].lower()], mail

        asyncio.run(scenario())


def test_confirmation_fails_closed_with_a_link_bound_to_the_person_and_the_message():
    with sandbox_stack("gg-authz-confirm-", users=4, extra_env={"GRAPHGATE_CONFIRM_SENDS": "1"}) as (sandbox, graphgate):
        login = Login(graphgate.base, 2)
        outside = "partner@example.org"
        args = {"to": [outside], "subject": "Quarterly numbers", "body": "Attached below."}

        async def scenario():
            async with httpx.AsyncClient(timeout=60) as http:
                client = await session_for(http, login)
                with Browser(login.address) as browser, Browser() as stranger:
                    # The client declared no elicitation capability: the send ends with a confirmation link.
                    error, text, _, _ = await grant_for(client, browser, login, "send_message", args)
                    assert error and outside in text, text[:400]
                    m = re.search(r"https?://\S+/confirm\?m=[A-Za-z0-9_-]+", text)
                    assert m, text[:400]
                    link = m.group(0)
                    assert not sandbox.control("GET", "outbound")["value"], "sent before any confirmation"
                    assert "Attached below" not in link

                    # Someone else, signed in as another person, cannot confirm it.
                    await asyncio.to_thread(stranger.walk, f"{graphgate.base}/account/signin", 3)
                    assert stranger.http.get(link).status_code == 403
                    # A tampered link opens nothing.
                    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
                    assert browser.http.get(tampered).status_code == 400

                    page = browser.http.get(link)
                    assert page.status_code == 200, page.text[:300]
                    assert outside in page.text and "Quarterly numbers" in page.text
                    assert "Attached below." in page.text, "the person must see what is sent, not only to whom"
                    assert "more characters" not in page.text
                    sealed = re.search(r'name="m" value="([^"]+)"', page.text).group(1)
                    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
                    # No CSRF token, or another person's: nothing is recorded.
                    assert browser.http.post(f"{graphgate.base}/confirm", data={"m": sealed, "decision": "confirm"}).status_code == 403
                    assert stranger.http.post(f"{graphgate.base}/confirm", data={"m": sealed, "decision": "confirm", "csrf": csrf}).status_code == 403
                    declined = browser.http.post(f"{graphgate.base}/confirm", data={"m": sealed, "decision": "decline", "csrf": csrf})
                    assert declined.status_code == 200 and "Nothing was sent" in declined.text
                    error, text, _ = await client.call_tool("send_message", args)
                    assert error and "/confirm?m=" in text, text[:300]
                    assert not sandbox.control("GET", "outbound")["value"]

                    # A different message is not covered by the confirmation of this one.
                    confirmed = browser.http.post(f"{graphgate.base}/confirm", data={"m": sealed, "decision": "confirm", "csrf": csrf})
                    assert confirmed.status_code == 200 and "Confirmed" in confirmed.text, confirmed.text[:300]
                    error, text, _ = await client.call_tool("send_message", {**args, "body": "Something else."})
                    assert error and "/confirm?m=" in text, text[:300]
                    assert not sandbox.control("GET", "outbound")["value"]

                    # The identical retry sends, once.
                    error, text, _ = await client.call_tool("send_message", args)
                    assert not error, text[:300]
                    sent = sandbox.control("GET", "outbound")["value"]
                    assert [s["to"] for s in sent] == [outside], sent
                    error, text, _ = await client.call_tool("send_message", args)
                    assert error and "/confirm?m=" in text, "a confirmation is used once"
                    assert len(sandbox.control("GET", "outbound")["value"]) == 1

        asyncio.run(scenario())


def test_consent_starts_are_post_with_csrf_and_refused_in_read_only_mode():
    with sandbox_stack("gg-authz-post-", users=2) as (sandbox, graphgate):
        base = graphgate.base
        with Browser() as browser, Browser() as attacker:
            page = browser.http.get(f"{base}/account/consent?scope=Mail.Send")
            assert page.status_code == 200 and 'method="post"' in page.text, page.status_code
            # A cross-site POST (no token, or a token from another browser) starts nothing.
            assert browser.http.post(f"{base}/account/consent", data={"scope": "Mail.Send"}).status_code == 403
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            assert attacker.http.post(f"{base}/account/consent", data={"scope": "Mail.Send", "csrf": token}).status_code == 403
            started = browser.http.post(f"{base}/account/consent", data={"scope": "Mail.Send", "csrf": token})
            assert started.status_code == 302 and "/oauth2/v2.0/authorize" in started.headers["location"]
            assert "Mail.Send" in urllib.parse.parse_qs(urllib.parse.urlsplit(started.headers["location"]).query)["scope"][0]
    with sandbox_stack("gg-authz-ro-", users=1, extra_env={"GRAPHGATE_READ_ONLY": "1"}) as (sandbox, graphgate):
        with Browser() as browser:
            assert browser.http.get(f"{graphgate.base}/account/consent?scope=Mail.Send").status_code == 400
            assert browser.http.post(f"{graphgate.base}/account/consent", data={"scope": "Mail.Send"}).status_code == 400


def test_grants_end_after_the_absolute_lifetime_and_pending_sign_ins_hold_only_a_hash():
    with sandbox_stack("gg-authz-life-", users=2, extra_env={"GRAPHGATE_GRANT_MAX_DAYS": "2"}) as (sandbox, graphgate):
        base = graphgate.base
        database = graphgate.database_url.removeprefix("sqlite:")
        # An authorize request without a graphgate session goes to Microsoft; the row that waits for the answer
        # names the request by its hash only.
        with Browser() as browser:
            client_id = register_client(base, address=browser.address)
            r = browser.http.get(f"{base}/oauth/authorize?" + urllib.parse.urlencode(authorize_params(base, client_id)))
            assert r.status_code in (302, 303) and "/oauth2/v2.0/authorize" in r.headers["location"]
            with sqlite3.connect(database) as db:
                continuations = [row[0] for row in db.execute("SELECT continuation FROM pending_sign_ins")]
            assert continuations and all(re.fullmatch(r"pending:[0-9a-f]{64}", c) for c in continuations), continuations

        login = Login(base, 0)
        assert login.refresh().status_code == 200
        with Browser(login.address) as browser:
            browser.walk(f"{base}/account/signin", 0)
            page = browser.http.get(f"{base}/account")
            expires = re.findall(r'class="expires">([^<]+)<', page.text)
            in_two_days = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%Y-%m-%d")
            assert any(e.startswith(in_two_days) for e in expires), expires
        with sqlite3.connect(database, timeout=30) as db:
            db.execute("UPDATE oauth_grants SET created_at = created_at - ?", (3 * 86400,))
        r = login.refresh()
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
        assert "older than 2 days" in r.json().get("error_description", "")


def test_admin_and_allow_list_rights_follow_the_person_not_the_username():
    from ggharness import GraphGate, Sandbox, TENANT_ID, fresh_workdir
    workdir = fresh_workdir("gg-authz-rename-")
    sandbox = Sandbox(workdir)
    try:
        first, _, third = sandbox.ensure_users(3)[:3]
        name = first["mail"]
        graphgate = GraphGate(sandbox, workdir, extra_env={
            "GRAPHGATE_ADMINS": name,
            # The first user by username; the third by (tenant id, object id).
            "GRAPHGATE_ALLOWED_USERS": f"{name},{TENANT_ID}/{third['id']}"})
        try:
            base = graphgate.base
            with Browser() as admin:
                admin.walk(f"{base}/account/signin", 0)
                assert admin.http.get(f"{base}/admin").status_code == 200
            # The first user is renamed; the third user gets the first user's old name.
            sandbox.control("POST", f"users/{first['id']}/rename", json={"mail": "former.admin@contoso.sandbox"})
            sandbox.control("POST", f"users/{third['id']}/rename", json={"mail": name})
            with Browser() as newcomer:
                page = newcomer.walk(f"{base}/account/signin", 2)
                assert page.status_code == 200 and newcomer.upn == name.lower(), (newcomer.upn, page.text[:300])
                # Signed in (allowed as a principal), but the admin username belongs to the first user.
                assert newcomer.http.get(f"{base}/admin").status_code == 403
            with Browser() as renamed:
                page = renamed.walk(f"{base}/account/signin", 0)
                assert renamed.upn == "former.admin@contoso.sandbox" and page.status_code == 200, page.text[:300]
                assert renamed.http.get(f"{base}/admin").status_code == 200, "the renamed admin keeps the role"
            # The second user is on no list: refused.
            with Browser() as outsider:
                page = outsider.walk(f"{base}/account/signin", 1)
                assert page.status_code in (400, 403) and "not allowed" in page.text.lower(), page.text[:300]
        finally:
            assert graphgate.stop() == 0
    finally:
        sandbox.stop()


async def draft_ready_to_send(client, login, colleague) -> str:
    """A draft to `colleague`, with Mail.Send already granted (one message sent): its id."""
    draft = {"to": [colleague], "subject": "abandoned on the way", "body": "b"}
    with Browser(login.address) as browser:
        error, text, raw, _ = await grant_for(client, browser, login, "create_draft", draft)
        assert not error, text[:300]
        error, text, _, _ = await grant_for(
            client, browser, login, "send_message", {"to": [colleague], "subject": "granted", "body": "b"})
        assert not error, text[:300]
    return raw["structuredContent"]["id"]


async def cancel_by_notification(http, graphgate, client, login, call) -> None:
    """Cancels `call` with `notifications/cancelled` in its session: its POST ends at once with "Request
    cancelled" (-32800). Another session's cancellation of the same id changes nothing."""
    pending = asyncio.create_task(http.post(f"{graphgate.base}/mcp", headers=client.headers(), json=call))
    await asyncio.sleep(0.5)
    other = await session_for(http, login)
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled",
              "params": {"requestId": call["id"], "reason": "the user changed their mind"}}
    assert (await http.post(f"{graphgate.base}/mcp", headers=other.headers(), json=cancel)).status_code == 202
    assert not pending.done()
    r = await http.post(f"{graphgate.base}/mcp", headers=client.headers(), json=cancel)
    assert r.status_code == 202, r.text[:300]
    answer = await asyncio.wait_for(pending, 1.0)  # at once, not after the draft's read
    assert parse_rpc(answer) == {"jsonrpc": "2.0", "id": call["id"],
                                 "error": {"code": -32800, "message": "Request cancelled"}}


async def cancel_by_disconnecting(http, graphgate, client, login, call) -> None:
    """Sends `call` on a connection of its own and closes it half a second later."""
    async with httpx.AsyncClient(timeout=60) as leaving:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(leaving.post(f"{graphgate.base}/mcp", headers=client.headers(), json=call), 0.5)


@contextlib.asynccontextmanager
async def draft_at_slow_graph(sandbox, graphgate, http, capabilities, latency: float):
    """A session of person 0 (declaring `capabilities`) with a draft to person 1 ready to send; Graph's request log
    emptied, and Graph answering every request `latency` seconds late until the block ends."""
    login = Login(graphgate.base, 0)
    client = McpClient(http, login)
    await client.initialize(capabilities)
    draft_id = await draft_ready_to_send(client, login, sandbox.users()[1]["mail"])
    sandbox.control("DELETE", "requests")
    sandbox.set_faults(latencyMilliseconds=int(latency * 1000))
    try:
        yield client, login, draft_id
    finally:
        sandbox.set_faults()


def graph_paths(sandbox) -> list[str]:
    return [e["path"] for e in sandbox.control("GET", "requests")["value"]]


@pytest.mark.parametrize("capabilities", [{}, {"elicitation": {}}], ids=["plain", "elicitation"])
@pytest.mark.parametrize("cancel", [cancel_by_notification, cancel_by_disconnecting], ids=["notification", "disconnect"])
def test_a_cancelled_call_sends_nothing(cancel, capabilities):
    """MCP: `notifications/cancelled` stops the request it names, and a client's disconnect counts as cancelling
    its request. Either way a send_draft still reading its draft from Graph must not go on to send it, also from
    a client that can be asked in-band (its call may answer on a stream, so it runs in a task of its own)."""
    with sandbox_stack("gg-authz-cancel-", users=2) as (sandbox, graphgate):
        async def scenario():
            async with httpx.AsyncClient(timeout=60) as http:
                async with draft_at_slow_graph(sandbox, graphgate, http, capabilities, 1.5) as (client, login, draft):
                    call = {"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                            "params": {"name": "send_draft", "arguments": {"id": draft}}}
                    await cancel(http, graphgate, client, login, call)
                    await asyncio.sleep(5)  # what the draft's read and the send would take
                paths = graph_paths(sandbox)
                assert any(draft in urllib.parse.unquote(p) for p in paths), f"the call did not reach Graph: {paths}"
                assert not any(p.endswith("/send") for p in paths), f"the cancelled send_draft was sent: {paths}"
                # The session and the server carry on.
                error, text, _ = await client.call_tool("get_profile", {})
                assert not error, text[:300]

        asyncio.run(scenario())


@pytest.mark.parametrize("capabilities", [{}, {"elicitation": {}}], ids=["plain", "elicitation"])
def test_a_send_already_at_graph_is_answered_with_what_happened(capabilities):
    """A cancellation that arrives while the send itself is at Graph cannot stop it: the mail goes, and the POST is
    answered with the send's result (what happened), not "Request cancelled" (which would invite a second send)."""
    with sandbox_stack("gg-authz-cancel-late-", users=2) as (sandbox, graphgate):
        async def scenario():
            async with httpx.AsyncClient(timeout=60) as http:
                latency = 1.5
                async with draft_at_slow_graph(sandbox, graphgate, http, capabilities, latency) as (client, _, draft):
                    call = {"jsonrpc": "2.0", "id": 11, "method": "tools/call",
                            "params": {"name": "send_draft", "arguments": {"id": draft}}}
                    pending = asyncio.create_task(http.post(f"{graphgate.base}/mcp", headers=client.headers(),
                                                            json=call))
                    # The draft's read takes one latency; the send then waits at Graph for another.
                    await asyncio.sleep(latency * 1.5)
                    paths = graph_paths(sandbox)
                    assert any(p.endswith("/send") for p in paths), f"the send had not started: {paths}"
                    assert not pending.done()
                    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled",
                              "params": {"requestId": call["id"], "reason": "too slow"}}
                    r = await http.post(f"{graphgate.base}/mcp", headers=client.headers(), json=cancel)
                    assert r.status_code == 202, r.text[:300]
                    answer = parse_rpc(await asyncio.wait_for(pending, 10))
                assert "error" not in answer, answer
                assert answer["result"]["isError"] is False, answer
                sent = await client.call_tool("list_messages", {"folder": "sentitems", "page_size": 50})
                assert "abandoned on the way" in json.dumps(sent[2]), "the mail the answer reports was not sent"

        asyncio.run(scenario())


def test_a_client_with_a_secret_must_authenticate_to_revoke_its_tokens():
    """RFC 7009 §2.1: the server first validates a confidential client's credentials. A wrong or missing secret
    (body or Basic) revokes nothing; the right one revokes the grant."""
    with sandbox_stack("gg-authz-revoke-", users=1) as (_, graphgate):
        login = Login(graphgate.base, 0, auth_method="client_secret_post")
        assert login.client_secret
        revoke = f"{graphgate.base}/oauth/revoke"
        wrong_basic = "Basic " + base64.b64encode(f"{login.client_id}:ggcs_wrong".encode()).decode()
        for data, headers in (({"client_id": login.client_id, "client_secret": "ggcs_wrong"}, {}),
                              ({"client_id": login.client_id}, {}), ({}, {}), ({}, {"Authorization": wrong_basic})):
            r = httpx.post(revoke, data={"token": login.refresh_token, **data}, headers=headers, timeout=30)
            assert r.status_code == 401 and r.json()["error"] == "invalid_client", (data, headers, r.status_code, r.text)
        assert login.refresh().status_code == 200, "a refused revocation revoked the grant"
        r = httpx.post(revoke, data={"token": login.refresh_token, "client_id": login.client_id,
                                     "client_secret": login.client_secret}, timeout=30)
        assert r.status_code == 200, r.text
        assert login.refresh().status_code == 400, "the authenticated revocation did not revoke the grant"
