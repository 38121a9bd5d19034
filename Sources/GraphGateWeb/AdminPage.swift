import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import Storage

/// The HTML of `/admin` (what `AdminRoutes` gathered, rendered), its confirmation step and its answers.
/// Uses `WebPage`'s layout and stylesheet (the only one the CSP allows); no script. Tables stack into cards on
/// narrow screens. Stable ids for tests and the screenshot walk: `users` (rows carry `data-user-id`), `blocked`,
/// `alerts`, `counters`, `keys`, `security-events`; action buttons are `name="action"`, and the confirmation's
/// final button is `id="confirm"`.
enum AdminPage {
    /// The form field values of the three actions.
    enum Action: String, CaseIterable {
        case block, unblock, revoke

        var verb: String {
            switch self {
            case .block: "Block"
            case .unblock: "Unblock"
            case .revoke: "Revoke"
            }
        }
    }

    struct UserRow {
        var id: String
        var displayName: String
        var username: String
        var status: String
        var blocked: Bool
        var lastSeen: String
        var clients: Int
        var isSelf: Bool
    }

    struct BlockRow {
        var who: String
        var until: String
        var reason: String
        var createdBy: String
        /// Set for user blocks (which have an Unblock button); IP blocks expire on their own.
        var userId: String?
    }

    struct AlertRow {
        var firedAt: String
        var rule: String
        var subject: String
        var count: Int64
        var windowStart: String
    }

    struct CounterRow {
        var signal: String
        var byAddress: String
        var byUser: String
        var byClient: String
    }

    struct KeyRow {
        var id: UInt32
        var status: String
        var created: String
        var tokens: Int
        var pendingSignIns: Int
    }

    struct EventRow {
        var at: String
        var type: String
        var outcome: String
        var user: String
        var sourceIP: String
        var details: String
    }

    struct Overview {
        var adminName: String
        var adminUsername: String
        var sandbox: Bool
        var csrf: String
        var users: [UserRow]
        var usersTruncated: Bool
        var blocked: [BlockRow]
        var alerts: [AlertRow]
        var counters: [CounterRow]
        var primaryKey: String
        var keys: [KeyRow]
        var events: [EventRow]
    }

    struct Confirmation {
        var action: Action
        var userId: String
        var displayName: String
        var username: String
        /// What the admin typed (kept as typed, so the confirmed request is the one shown).
        var duration: String
        var summary: String
        var effects: [String]
        var csrf: String
    }

    static let template = try! MustacheTemplate(
        string: WebPage.layout + """
            <h1>graphgate administration</h1>
            <p class="muted">Signed in as <strong>{{adminName}}</strong> ({{adminUsername}}). <a href="/">Home</a></p>
            {{#sandbox}}<div class="box warn"><p><strong>Sandbox mode:</strong> the users below signed in to the \
            emulated Microsoft 365 tenant.</p></div>{{/sandbox}}
            <section id="alerts" aria-labelledby="alerts-title">
            <h2 id="alerts-title">Alerts (last 24 hours)</h2>
            {{#hasAlerts}}<table class="stack"><thead><tr><th scope="col">Fired</th><th scope="col">Rule</th>\
            <th scope="col">Subject</th><th scope="col" class="num">Count</th><th scope="col">Window from</th>\
            </tr></thead><tbody>
            {{#alerts}}<tr><td data-label="Fired">{{firedAt}}</td><td data-label="Rule">{{rule}}</td>\
            <td data-label="Subject">{{subject}}</td><td data-label="Count" class="num">{{count}}</td>\
            <td data-label="Window from">{{windowStart}}</td></tr>
            {{/alerts}}</tbody></table>
            <p class="muted">Automatic blocks appear under Blocked and in the security events.</p>{{/hasAlerts}}
            {{^hasAlerts}}<p>No alert in the last 24 hours.</p>{{/hasAlerts}}
            </section>
            <section id="counters" aria-labelledby="counters-title">
            <h2 id="counters-title">Security counters (last 24 hours)</h2>
            <table class="stack"><thead><tr><th scope="col">Signal</th><th scope="col" class="num">By address</th>\
            <th scope="col" class="num">By user</th><th scope="col" class="num">By client</th></tr></thead><tbody>
            {{#counters}}<tr><th scope="row">{{signal}}</th><td data-label="By address" class="num">{{byAddress}}</td>\
            <td data-label="By user" class="num">{{byUser}}</td>\
            <td data-label="By client" class="num">{{byClient}}</td></tr>
            {{/counters}}</tbody></table>
            <p class="muted">The monitor's counters: each event counts once for every subject it concerns (its source \
            address and its user, or the rate-limited client), so the columns do not add up. In brackets: how many \
            distinct addresses, users or clients.</p>
            </section>
            <section id="blocked" aria-labelledby="blocked-title">
            <h2 id="blocked-title">Blocked</h2>
            {{#hasBlocked}}<table class="stack"><thead><tr><th scope="col">Who</th><th scope="col">Until</th>\
            <th scope="col">Reason</th><th scope="col">By</th><th scope="col"><span class="muted">Action</span></th>\
            </tr></thead><tbody>
            {{#blocked}}<tr{{#userId}} data-user-id="{{userId}}"{{/userId}}><td data-label="Who">{{who}}</td>\
            <td data-label="Until">{{until}}</td><td data-label="Reason">{{reason}}</td>\
            <td data-label="By">{{createdBy}}</td>\
            <td>{{#userId}}<form class="row" method="post" action="/admin/action">\
            <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="user" value="{{userId}}">\
            <button type="submit" name="action" value="unblock">Unblock</button></form>{{/userId}}\
            {{^userId}}<span class="muted">expires by itself</span>{{/userId}}</td></tr>
            {{/blocked}}</tbody></table>{{/hasBlocked}}
            {{^hasBlocked}}<p>Nobody is blocked.</p>{{/hasBlocked}}
            </section>
            <section id="users" aria-labelledby="users-title">
            <h2 id="users-title">Users</h2>
            <table class="stack"><thead><tr><th scope="col">User</th><th scope="col">Status</th>\
            <th scope="col">Last seen</th><th scope="col" class="num">Clients</th><th scope="col">Actions</th></tr>\
            </thead><tbody>
            {{#users}}<tr data-user-id="{{id}}"><td data-label="User"><strong>{{displayName}}</strong><br>{{username}}\
            {{#isSelf}} <span class="muted">(you)</span>{{/isSelf}}</td>\
            <td data-label="Status">{{#blocked}}<strong>{{status}}</strong>{{/blocked}}\
            {{^blocked}}{{status}}{{/blocked}}</td>\
            <td data-label="Last seen">{{lastSeen}}</td><td data-label="Clients" class="num">{{clients}}</td>
            <td><form class="row" method="post" action="/admin/action">\
            <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="user" value="{{id}}">\
            {{^isSelf}}{{^blocked}}<label for="duration-{{id}}">Block for</label> <input type="text" \
            id="duration-{{id}}" name="duration" size="7" maxlength="16" placeholder="e.g. 2h"> \
            <button type="submit" name="action" value="block">Block</button>{{/blocked}}{{/isSelf}}\
            {{#blocked}}<button type="submit" name="action" value="unblock">Unblock</button>{{/blocked}}\
            <button class="danger" type="submit" name="action" value="revoke">Revoke</button></form></td></tr>
            {{/users}}</tbody></table>
            {{#usersTruncated}}<p class="muted">Only the first {{userCount}} users are listed; use \
            <code>graphgate admin</code> for the others.</p>{{/usersTruncated}}
            <p class="muted">Block for: a duration such as 30m, 12h or 7d; empty blocks until you unblock. Every \
            action asks for confirmation first.</p>
            </section>
            <section id="keys" aria-labelledby="keys-title">
            <h2 id="keys-title">Token encryption keys</h2>
            <p>{{primaryKey}}</p>
            <table class="stack"><thead><tr><th scope="col">Key id</th><th scope="col">Status</th>\
            <th scope="col">Created</th><th scope="col" class="num">Token blobs</th>\
            <th scope="col" class="num">Pending sign-ins</th></tr></thead><tbody>
            {{#keys}}<tr><th scope="row" data-label="Key id">{{id}}</th><td data-label="Status">{{status}}</td>\
            <td data-label="Created">{{created}}</td><td data-label="Token blobs" class="num">{{tokens}}</td>\
            <td data-label="Pending sign-ins" class="num">{{pendingSignIns}}</td></tr>
            {{/keys}}</tbody></table>
            <p class="muted">The keyring this server started with; rotate and rewrap with \
            <code>graphgate keys</code>.</p>
            </section>
            <section id="security-events" aria-labelledby="events-title">
            <h2 id="events-title">Recent security events</h2>
            {{#hasEvents}}<table class="stack"><thead><tr><th scope="col">Time</th><th scope="col">Event</th>\
            <th scope="col">Outcome</th><th scope="col">User</th><th scope="col">Address</th>\
            <th scope="col">Details</th></tr></thead><tbody>
            {{#events}}<tr><td data-label="Time">{{at}}</td><td data-label="Event">{{type}}</td>\
            <td data-label="Outcome">{{outcome}}</td><td data-label="User">{{user}}</td>\
            <td data-label="Address">{{sourceIP}}</td><td data-label="Details"><code>{{details}}</code></td></tr>
            {{/events}}</tbody></table>{{/hasEvents}}
            {{^hasEvents}}<p>No security event recorded yet.</p>{{/hasEvents}}
            </section>
            </body></html>
            """)

    static let confirmTemplate = try! MustacheTemplate(
        string: WebPage.layout + """
            <h1>{{verb}} {{displayName}}?</h1>
            <div class="box warn"><p>{{summary}}</p><ul>{{#effects}}<li>{{.}}</li>{{/effects}}</ul></div>
            <form method="post" action="/admin/action">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="action" value="{{action}}">
            <input type="hidden" name="user" value="{{userId}}">
            <input type="hidden" name="duration" value="{{duration}}">
            {{^unblock}}<p><label for="reason">Reason, for the audit log (optional)</label><br>\
            <input type="text" id="reason" name="reason" maxlength="200" class="wide"></p>{{/unblock}}
            <button id="confirm" class="{{buttonClass}}" type="submit" name="confirm" value="yes">{{verb}} \
            {{username}}</button>
            <a href="/admin">Cancel</a>
            </form>
            </body></html>
            """)

    static let resultTemplate = try! MustacheTemplate(
        string: WebPage.layout + """
            <h1>{{title}}</h1>
            <div class="box"><p>{{message}}</p>{{#hint}}<p class="muted">{{hint}}</p>{{/hint}}</div>
            <p><a href="/admin">Back to the admin page</a></p>
            </body></html>
            """)

    static let signInTemplate = try! MustacheTemplate(
        string: WebPage.layout + """
            <h1>Sign in to administer graphgate</h1>
            <div class="box"><p>The admin page is for the administrators of this server. Sign in with your \
            Microsoft account, then open <code>/admin</code> again.</p>
            <form method="get" action="/account/signin"><input type="hidden" name="next" value="admin"><button class="primary" type="submit">Sign in with \
            Microsoft</button></form></div>
            </body></html>
            """)

    static func render(_ page: Overview) -> Response {
        let csrf = page.csrf
        var values: [String: Any] = [
            "title": "Administration", "style": WebPage.style, "wide": true, "adminName": page.adminName,
            "adminUsername": page.adminUsername, "sandbox": page.sandbox,
            "users": page.users.map {
                [
                    "id": $0.id, "displayName": $0.displayName, "username": $0.username, "status": $0.status,
                    "blocked": $0.blocked, "lastSeen": $0.lastSeen, "clients": $0.clients, "isSelf": $0.isSelf,
                    "csrf": csrf,
                ] as [String: Any]
            },
            "usersTruncated": page.usersTruncated, "userCount": page.users.count,
            "hasBlocked": !page.blocked.isEmpty,
            "blocked": page.blocked.map {
                var row: [String: Any] = [
                    "who": $0.who, "until": $0.until, "reason": $0.reason, "createdBy": $0.createdBy, "csrf": csrf,
                ]
                if let userId = $0.userId { row["userId"] = userId }
                return row
            },
            "hasAlerts": !page.alerts.isEmpty,
            "alerts": page.alerts.map {
                [
                    "firedAt": $0.firedAt, "rule": $0.rule, "subject": $0.subject, "count": $0.count,
                    "windowStart": $0.windowStart,
                ] as [String: Any]
            },
            "counters": page.counters.map {
                ["signal": $0.signal, "byAddress": $0.byAddress, "byUser": $0.byUser, "byClient": $0.byClient]
            },
            "primaryKey": page.primaryKey,
            "keys": page.keys.map {
                [
                    "id": $0.id, "status": $0.status, "created": $0.created, "tokens": $0.tokens,
                    "pendingSignIns": $0.pendingSignIns,
                ] as [String: Any]
            },
            "hasEvents": !page.events.isEmpty,
        ]
        values["events"] = page.events.map {
            [
                "at": $0.at, "type": $0.type, "outcome": $0.outcome, "user": $0.user, "sourceIP": $0.sourceIP,
                "details": $0.details,
            ]
        }
        return WebPage.html(template.render(values), status: .ok)
    }

    static func confirm(_ page: Confirmation) -> Response {
        let values: [String: Any] = [
            "title": "Confirm: \(page.action.verb)", "style": WebPage.style, "verb": page.action.verb,
            "action": page.action.rawValue, "displayName": page.displayName, "username": page.username,
            "userId": page.userId, "duration": page.duration, "summary": page.summary, "effects": page.effects,
            "csrf": page.csrf, "unblock": page.action == .unblock,
            "buttonClass": page.action == .unblock ? "primary" : "danger",
        ]
        return WebPage.html(confirmTemplate.render(values), status: .ok)
    }

    /// The answer to an action, or a refusal (with the status that says why).
    static func result(title: String, message: String, hint: String? = nil, status: HTTPResponse.Status) -> Response {
        var values: [String: Any] = ["title": title, "message": message, "style": WebPage.style]
        if let hint { values["hint"] = hint }
        return WebPage.html(resultTemplate.render(values), status: status)
    }

    /// For a browser without a graphgate session: 401 with the way to sign in.
    static func signInOffer() -> Response {
        WebPage.html(
            signInTemplate.render(["title": "Sign in", "style": WebPage.style] as [String: Any]),
            status: .unauthorized)
    }

    // MARK: Formatting

    static func time(_ seconds: Int64) -> String {
        Timestamp.date(seconds).formatted(.iso8601)
    }

    /// `45 s`, `12 min`, `5 h`, `3 d`.
    static func span(_ seconds: Int64) -> String {
        let seconds = max(0, seconds)
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min" }
        if seconds < 86_400 { return "\(seconds / 3600) h" }
        return "\(seconds / 86_400) d"
    }
}
