import Authorization
import Foundation
import Hummingbird
import MicrosoftGraph
import Mustache
import Storage
import TokenVault

/// `/account`: what graphgate holds for the signed-in user and the controls over it (revoke an assistant, sign
/// out everywhere, download or delete the data). Rendered with `WebPage.layout` and `WebPage.style` only: no
/// script, no inline style attribute, no external asset. Every form posts a purpose-scoped CSRF token.
///
/// Element ids are stable (a screenshot test and the docs rely on them): `linked-account`, `scopes`, `clients`
/// (rows carry `data-client-id`, their button `name="revoke"`), `sessions`, `mcp-sessions`,
/// `signout-everywhere`, `events`, `notices`, `download-data`, `delete-data`.
package enum AccountPage {
    /// CSRF purposes of the page's forms (`BrowserSessions.csrfToken(session:purpose:)`).
    enum Purpose {
        static let revoke = "account:revoke"
        static let signOutEverywhere = "account:signout-everywhere"
        static let download = "account:download"
        static let delete = "account:delete"
        /// The consent page's sign-out form, reused here.
        static let signOut = "signout"
    }

    static let template = try! MustacheTemplate(
        string: WebPage.layout + """
            <main>
            <h1>Your graphgate account</h1>
            <p>Signed in as <strong>{{displayName}}</strong> <span class="muted">({{username}})</span></p>
            <form class="inline" method="post" action="/oauth/signout">
            <input type="hidden" name="csrf" value="{{signOutCSRF}}">
            <button type="submit">Sign out</button></form> <a href="/">Home</a>
            {{#flash}}<div class="box" role="status"><p>{{flash}}</p></div>{{/flash}}

            <section id="notices" aria-labelledby="notices-title">
            <h2 id="notices-title">Security notices</h2>
            {{#notices}}<div class="box{{#warn}} warn{{/warn}}"><p>{{text}}{{#hasLink}} <a href="{{link}}">{{linkText}}</a>\
            {{/hasLink}}</p></div>{{/notices}}
            {{^notices}}<p class="muted">Nothing needs your attention.</p>{{/notices}}
            </section>

            <section id="linked-account" aria-labelledby="account-title">
            <h2 id="account-title">Your Microsoft account</h2>
            {{#accounts}}<table>
            <tr><th scope="row" class="nowrap">Name</th><td>{{name}}</td></tr>
            <tr><th scope="row" class="nowrap">Username</th><td>{{username}}</td></tr>
            <tr><th scope="row" class="nowrap">Tenant</th><td><code>{{tenant}}</code></td></tr>
            <tr><th scope="row" class="nowrap">Status</th><td>{{status}}</td></tr>
            </table>{{/accounts}}
            {{^accounts}}<p>No Microsoft account is linked. <a href="/account/signin">Sign in with Microsoft</a></p>\
            {{/accounts}}
            </section>

            <section id="scopes" aria-labelledby="scopes-title">
            <h2 id="scopes-title">Microsoft permissions</h2>
            <p class="muted">What Microsoft allows graphgate to do for you, and why it is needed.</p>
            {{#scopes}}<ul>{{#items}}<li><strong>{{name}}</strong>: {{why}}</li>{{/items}}</ul>{{/scopes}}
            {{^scopes}}<p>None granted.</p>{{/scopes}}
            {{#grantLinks}}<p><a href="{{href}}">{{label}}</a> <span class="muted">{{why}}</span></p>{{/grantLinks}}
            </section>

            <section id="clients" aria-labelledby="clients-title">
            <h2 id="clients-title">Connected assistants</h2>
            {{#clients}}<table class="stack">
            <caption class="muted">Assistants (MCP clients) you allowed. Revoke ends their access and their open \
            connections at once.</caption>
            <thead><tr><th scope="col">Assistant</th><th scope="col">Returns to</th><th scope="col">Access</th>\
            <th scope="col">Allowed (UTC)</th><th scope="col">Last used (UTC)</th>\
            <th scope="col">Sign-in again by (UTC)</th><th scope="col">Open now</th>\
            <th scope="col">Action</th></tr></thead>
            <tbody>
            {{#items}}<tr data-client-id="{{id}}"><td data-label="Assistant">{{name}}{{^verified}} <span \
            class="muted">(name given by the assistant)</span>{{/verified}}</td><td data-label="Returns to">\
            <code>{{hosts}}</code></td><td data-label="Access">{{access}}</td><td data-label="Allowed">{{created}}</td>\
            <td data-label="Last used">{{lastUse}}</td><td data-label="Sign-in again by" class="expires">{{expires}}</td>\
            <td data-label="Open now">{{live}}</td><td>\
            <form class="row" method="post" action="/account/revoke">\
            <input type="hidden" name="csrf" value="{{revokeCSRF}}">\
            <button class="nowrap" type="submit" name="revoke" value="{{id}}" aria-label="Revoke {{name}}">\
            Revoke</button></form>\
            </td></tr>
            {{/items}}</tbody></table>{{/clients}}
            {{^clients}}<p class="muted">No assistant is connected. Add the MCP URL from the <a href="/">home page</a> \
            to one.</p>{{/clients}}
            </section>

            <section id="sessions" aria-labelledby="sessions-title">
            <h2 id="sessions-title">Where you are signed in</h2>
            <p><strong id="mcp-sessions">{{mcpSessions}}</strong> assistant connection(s) open now; \
            {{browserCount}} browser session(s):</p>
            <table class="stack">
            <thead><tr><th scope="col">Signed in (UTC)</th><th scope="col">Last seen (UTC)</th>\
            <th scope="col">Ends (UTC)</th><th scope="col">Browser</th></tr></thead>
            <tbody>{{#browsers}}<tr><td data-label="Signed in">{{created}}</td><td data-label="Last seen">{{lastSeen}}\
            </td><td data-label="Ends">{{expires}}</td><td data-label="Browser">{{#current}}<strong>this browser</strong>\
            {{/current}}{{^current}}other{{/current}}</td></tr>
            {{/browsers}}</tbody></table>
            <form id="signout-everywhere" method="post" action="/account/signout-everywhere">
            <input type="hidden" name="csrf" value="{{signOutEverywhereCSRF}}">
            <button type="submit">Sign out everywhere</button></form>
            <p class="muted">Ends graphgate's sign-in in every browser, this one included. Connected assistants keep \
            working until you revoke them.</p>
            </section>

            <section id="events" aria-labelledby="events-title">
            <h2 id="events-title">Recent activity</h2>
            {{#events}}<table class="stack">
            <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Event</th><th scope="col">Outcome</th>\
            <th scope="col">Assistant</th></tr></thead>
            <tbody>{{#items}}<tr><td data-label="Time">{{time}}</td><td data-label="Event">{{event}}</td>\
            <td data-label="Outcome">{{outcome}}</td><td data-label="Assistant">{{client}}</td></tr>
            {{/items}}</tbody></table>{{/events}}
            {{^events}}<p class="muted">No activity recorded yet.</p>{{/events}}
            </section>

            <section aria-labelledby="data-title">
            <h2 id="data-title">Your data</h2>
            <form id="download-data" method="post" action="/account/data">
            <input type="hidden" name="csrf" value="{{downloadCSRF}}">
            <button type="submit">Download my data</button></form>
            <p class="muted">A JSON file with your user record, linked account (never its tokens), permissions, \
            assistants, sessions and your audit events.</p>
            <form id="delete-data" method="post" action="/account/delete">
            <input type="hidden" name="csrf" value="{{deleteCSRF}}">
            <p>Deleting your data removes Microsoft's tokens, every assistant's access and open connection, your \
            sign-in sessions, the linked account and your user record, and signs you out. {{retention}} \
            graphgate never stores your mail, calendar or contacts.</p>
            {{#blocked}}<p class="muted">While your access is blocked, only the administrator can delete your data.</p>\
            {{/blocked}}
            <p><label><input type="checkbox" name="confirm" value="yes" required> I understand: delete my graphgate \
            data now</label></p>
            <button class="danger" type="submit">Delete my data</button></form>
            </section>

            <section aria-labelledby="microsoft-title">
            <h2 id="microsoft-title">Remove graphgate at Microsoft</h2>
            <p>Revoking or deleting here does not withdraw the permissions you gave graphgate at Microsoft. To do that, \
            remove graphgate under <a href="https://myapps.microsoft.com" rel="noopener noreferrer">My Apps</a> (work \
            or school account: open the app's menu, then "Manage your application") or under "Apps and services" of \
            <a href="https://account.live.com/consent/Manage" rel="noopener noreferrer">your Microsoft account</a> \
            (personal account).</p>
            </section>
            </main>
            </body></html>
            """)

    static let signInTemplate = try! MustacheTemplate(
        string: WebPage.layout + """
            <main>
            <h1>Your graphgate account</h1>
            <div class="box">
            <p>Sign in to see which assistants can use your Microsoft 365, what they did, and to revoke them or \
            delete your data.</p>
            <form method="get" action="/account/signin"><button class="primary" type="submit">Sign in with \
            Microsoft</button></form>
            </div>
            <p><a href="/">Home</a></p>
            </main>
            </body></html>
            """)

    /// Why graphgate needs each Microsoft permission, one line each.
    package static let scopeReasons: [String: String] = [
        "user.read": "your name and username, to show who is signed in and to key your data to you.",
        "mail.read": "read your mail, so an assistant can list, search and read messages.",
        "mail.readwrite": "change your mail (drafts, moving, flagging, deleting), for the mail-editing tools.",
        "mail.send": "send mail as you, for the send, reply and forward tools.",
        "calendars.read": "read your calendar, so an assistant can list events and find free time.",
        "calendars.readwrite": "create and change calendar events, and answer invitations.",
        "contacts.read": "read your contacts, so an assistant can look people up.",
        "contacts.readwrite": "create and change your contacts.",
        "offline_access": "keep access while you are away, so you sign in once rather than every hour.",
        "openid": "sign you in with Microsoft.",
        "profile": "know your name at sign-in.",
        "email": "know your email address at sign-in.",
    ]

    /// Links that ask Microsoft for a write permission not granted yet, with what it enables.
    static let writeLinks: [(scope: String, label: String, why: String)] = [
        ("Mail.Send", "Grant send permission", "Lets assistants send, reply and forward mail as you."),
        ("Mail.ReadWrite", "Grant mail editing permission", "Lets assistants draft, move, flag and delete mail."),
        ("Calendars.ReadWrite", "Grant calendar permission", "Lets assistants create and change events."),
        ("Contacts.ReadWrite", "Grant contacts permission", "Lets assistants create and change contacts."),
    ]

    /// The short texts of audit event types shown in "Recent activity".
    static let eventNames: [String: String] = [
        "tool.call": "Tool call", "login.success": "Signed in", "login": "Sign-in", "logout": "Signed out",
        "token.issue": "Assistant connected", "token.refresh": "Access renewed",
        "token.store": "Microsoft tokens stored", "login.microsoft": "Microsoft sign-in", "token.code": "Sign-in code",
        "token.revoke": "Access revoked", "oauth.consent.allow": "Assistant allowed",
        "oauth.consent.deny": "Assistant denied", "oauth.consent.withdraw": "Assistant revoked",
        "oauth.grant.revoke": "Assistant revoked", "oauth.revoke_all": "All access revoked",
        "consent.microsoft": "Microsoft permission", "admin.block": "Blocked by administrator",
        "admin.unblock": "Unblocked by administrator", "admin.revoke": "Revoked by administrator",
        "security.auto_block": "Blocked automatically", "account.client.revoke": "Assistant revoked",
        "account.signout_everywhere": "Signed out everywhere", "account.export": "Data downloaded",
        "mcp.auth": "Assistant authentication", "token.refresh_reuse": "Old token presented again",
        "token.code_replay": "Sign-in code reused", "mcp.session.cross_user": "Foreign connection refused",
    ]

    struct Context {
        var data: AccountData
        var cookie: String
        var currentSessionHash: String
        var readOnly: Bool
        var retentionDays: Int
        var flash: String?
    }

    static func render(_ page: Context) -> Response {
        let data = page.data
        let csrf = { (purpose: String) in BrowserSessions.csrfToken(session: page.cookie, purpose: purpose) }
        var values: [String: Any] = [
            "title": "Your account", "style": WebPage.style, "wide": true, "displayName": data.user.displayName,
            "username": data.user.username, "signOutCSRF": csrf(Purpose.signOut),
            "revokeCSRF": csrf(Purpose.revoke), "signOutEverywhereCSRF": csrf(Purpose.signOutEverywhere),
            "downloadCSRF": csrf(Purpose.download), "deleteCSRF": csrf(Purpose.delete),
            "blocked": data.block != nil, "retention": retentionText(days: page.retentionDays),
        ]
        if let flash = page.flash { values["flash"] = flash }
        values["notices"] = data.notices().map {
            [
                "text": $0.text, "hasLink": $0.link != nil, "link": $0.link ?? "", "linkText": $0.linkText ?? "",
                "warn": $0.warn,
            ]
                as [String: Any]
        }
        values["accounts"] = data.accounts.map {
            [
                "name": data.user.displayName, "username": $0.username, "tenant": $0.tenantId,
                "status": $0.status == .active ? "connected" : "sign-in needed",
            ]
        }
        let granted = MicrosoftScopes.normalize(
            (data.primaryAccount?.grantedScopes ?? "").split(separator: " ").map(String.init))
        if !granted.isEmpty {
            values["scopes"] = [
                "items": granted.map { ["name": $0, "why": scopeReasons[$0.lowercased()] ?? "granted by Microsoft."] }
            ]
        }
        if !page.readOnly, data.primaryAccount != nil {
            let have = Set(granted)
            values["grantLinks"] = writeLinks.filter { !MicrosoftScopes.covers(have, $0.scope) }.map {
                ["href": TokenVault.consentPath + "?scope=" + $0.scope, "label": $0.label, "why": $0.why]
            }
        }
        if !data.clients.isEmpty {
            values["clients"] = [
                "items": data.clients.map { client -> [String: Any] in
                    [
                        "id": client.clientId, "name": client.name, "verified": client.verified,
                        "hosts": client.redirectHosts.isEmpty ? "—" : client.redirectHosts.joined(separator: ", "),
                        "access": access(client.scopes, active: !client.grantIds.isEmpty),
                        "created": utc(client.createdAt), "lastUse": utc(client.lastUsedAt),
                        "expires": utc(client.expiresAt),
                        "live": data.liveSessions[client.clientId] ?? 0,
                    ]
                }
            ]
        }
        values["mcpSessions"] = data.liveSessions.values.reduce(0, +)
        values["browserCount"] = data.browserSessions.count
        values["browsers"] = data.browserSessions.map {
            [
                "created": utc($0.createdAt), "lastSeen": utc($0.lastSeenAt), "expires": utc($0.expiresAt),
                "current": $0.idHash == page.currentSessionHash,
            ] as [String: Any]
        }
        let names = data.clientNames
        let shown = data.events.prefix(AccountData.eventsShown)
        if !shown.isEmpty {
            values["events"] = [
                "items": shown.map { row in
                    [
                        "time": utc(row.at), "event": eventText(row), "outcome": row.outcome,
                        "client": row.clientId.map { names[$0] ?? "unknown assistant" } ?? "—",
                    ]
                }
            ]
        }
        return WebPage.html(template.render(values), status: .ok)
    }

    static func signIn() -> Response {
        WebPage.html(
            signInTemplate.render(["title": "Your account", "style": WebPage.style] as [String: Any]), status: .ok)
    }

    /// What the access of a client means, in words.
    static func access(_ scopes: [String], active: Bool) -> String {
        let base = scopes.contains(OAuthScopes.write) ? "read and write" : "read"
        return active ? base : base + " (approval remembered, not connected)"
    }

    static func eventText(_ row: AuditRow) -> String {
        let name = eventNames[row.eventType] ?? row.eventType
        if row.eventType == "tool.call", let tool = AccountData.safeDetails(row)["tool"] { return name + ": " + tool }
        return name
    }

    static func retentionText(days: Int) -> String {
        days == 0
            ? "Audit records of what happened are kept (this server keeps them without limit)."
            : "Audit records of what happened are kept for \(days) days, then deleted."
    }

    /// `2025-01-31 14:05` in UTC, or a dash.
    static func utc(_ seconds: Int64?) -> String {
        guard let seconds else { return "—" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return String(
            format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }
}
