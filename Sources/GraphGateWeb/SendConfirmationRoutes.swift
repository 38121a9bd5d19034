import Authorization
import Foundation
import Hummingbird
import MCPGateway
import Mustache
import SecurityOps
import Storage

/// The page where a person confirms one send their assistant asked for, when the assistant's client cannot ask
/// them itself (`GRAPHGATE_CONFIRM_SENDS=1`):
///
/// - `GET /confirm?m=…`: names the recipients and the subject sealed in the link; only for the signed-in person
///   the link was made for.
/// - `POST /confirm` (`m`, `decision` = `confirm` | `decline`, `csrf`): records the confirmation (user, message
///   hash, expiry; nothing of the message) so the assistant's identical retry sends once. Declining records
///   nothing. Without the session or the CSRF token nothing is recorded.
package struct SendConfirmationRoutes {
    let users: any UserStore
    let confirmations: SendConfirmations
    let browser: BrowserSessions
    let audit: any AuditRecorder

    package init(
        users: any UserStore, confirmations: SendConfirmations, browser: BrowserSessions, audit: any AuditRecorder
    ) {
        self.users = users
        self.confirmations = confirmations
        self.browser = browser
        self.audit = audit
    }

    static let template = try! MustacheTemplate(
        string: WebPage.layout + """
            <h1>Send this {{noun}}?</h1>
            <div class="box">
            <p>Your assistant asks graphgate to send, as <strong>{{username}}</strong>:</p>
            <p><strong>To:</strong></p><ul>{{#recipients}}<li><code>{{.}}</code></li>{{/recipients}}</ul>
            {{#subject}}<p><strong>Subject:</strong> {{subject}}</p>{{/subject}}
            {{#preview}}<p><strong>Message:</strong></p><pre class="message">{{preview}}</pre>{{/preview}}
            {{#omitted}}<p class="muted">… and {{omitted}} more characters.</p>{{/omitted}}
            <p class="muted">Nothing is sent until you confirm. After confirming, return to your assistant: it sends \
            when it retries the same request, within 10 minutes.</p>
            </div>
            <form method="post" action="/confirm">
            <input type="hidden" name="m" value="{{sealed}}">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button class="primary" type="submit" name="decision" value="confirm">Confirm sending</button>
            <button type="submit" name="decision" value="decline">Do not send</button>
            </form>
            </body></html>
            """)

    package func add(to router: Router<GraphGateRequestContext>) {
        router.get("confirm") { request, context in await page(request, context) }
        router.post("confirm") { request, context in await decide(request, context) }
    }

    static func purpose(_ message: SendConfirmations.Message) -> String { "confirm-send:" + message.hash }

    static let nouns = [
        "send": "message", "reply": "reply", "forward": "forward", "invite": "invitation",
        "update": "meeting update", "cancel": "meeting cancellation", "respond": "answer to an invitation",
    ]

    func page(_ request: Request, _ context: GraphGateRequestContext) async -> Response {
        let sealed = FormParameters.query(of: request).flatMap { FormParameters.first("m", in: $0) } ?? ""
        return await withMessage(request, context, sealed: sealed) { message, cookie, user in
            var fields: [String: Any] = [
                "title": "Confirm sending", "style": WebPage.style,
                "noun": Self.nouns[message.kind] ?? "message", "username": user.username,
                "recipients": message.recipients, "subject": message.subject, "sealed": sealed,
                "csrf": BrowserSessions.csrfToken(session: cookie, purpose: Self.purpose(message)),
            ]
            if !message.bodyPreview.isEmpty { fields["preview"] = message.bodyPreview }
            if message.bodyOmitted > 0 { fields["omitted"] = message.bodyOmitted }
            return WebPage.html(Self.template.render(fields), status: .ok)
        }
    }

    func decide(_ request: Request, _ context: GraphGateRequestContext) async -> Response {
        let form: [(name: String, value: String)]
        do {
            guard let parsed = try await FormParameters.body(of: request, limit: FormParameters.bodyLimit) else {
                return AccountPageRoutes.invalidForm()
            }
            form = parsed
        } catch {
            return AccountPageRoutes.invalidForm()
        }
        let sealed = FormParameters.first("m", in: form) ?? ""
        return await withMessage(request, context, sealed: sealed) { message, cookie, user in
            let details = [
                "kind": message.kind, "recipient_domains": Self.domains(message.recipients), "message": message.hash,
            ]
            let token = FormParameters.first("csrf", in: form)
            guard BrowserSessions.verifyCSRF(token, session: cookie, purpose: Self.purpose(message)) else {
                await audit.record(
                    AuditEvent(
                        "mail.confirmation", outcome: .denied, userId: user.id, sourceIP: context.sourceIP,
                        details: details.merging(["reason": token == nil ? "csrf_missing" : "csrf_mismatch"]) { $1 }))
                return WebPage.message(
                    title: "Request refused",
                    message: "This confirmation did not come from graphgate's page. Nothing was confirmed or sent.",
                    hint: "Open the link your assistant gave you again.", status: .forbidden)
            }
            guard FormParameters.first("decision", in: form) == "confirm" else {
                await audit.record(
                    AuditEvent(
                        "mail.confirmation", outcome: .denied, userId: user.id, sourceIP: context.sourceIP,
                        details: details.merging(["reason": "declined"]) { $1 }))
                return WebPage.message(
                    title: "Not sent", message: "You declined. Nothing was sent.",
                    hint: "Tell your assistant not to send it.", status: .ok)
            }
            confirmations.confirm(message, now: Timestamp.now)
            await audit.record(
                AuditEvent("mail.confirmation", userId: user.id, sourceIP: context.sourceIP, details: details))
            return WebPage.message(
                title: "Confirmed",
                message: "Return to your assistant: it sends this when it retries the same request (once, within "
                    + "10 minutes).", status: .ok)
        }
    }

    /// Opens the sealed message and checks the browser session is its user; otherwise answers 400, 401 or 403.
    func withMessage(
        _ request: Request, _ context: GraphGateRequestContext, sealed: String,
        _ body: (SendConfirmations.Message, String, User) async -> Response
    ) async -> Response {
        guard let message = confirmations.open(sealed, now: Timestamp.now) else {
            return WebPage.message(
                title: "Invalid confirmation link",
                message: "This confirmation link is invalid or expired. Nothing was sent.",
                hint: "Ask your assistant to try again for a new link.", status: .badRequest)
        }
        do {
            guard let cookie = request.cookies[browser.cookieName]?.value,
                let session = try await browser.resolve(cookie),
                let user = try await users.user(id: session.userId)
            else {
                return WebPage.message(
                    title: "Sign in first", message: "Sign in to graphgate in this browser, then open this link again.",
                    hint: "Open your account page (/account) to sign in. Nothing was sent.", status: .unauthorized)
            }
            guard session.userId == message.userId else {
                await audit.record(
                    AuditEvent(
                        "mail.confirmation", outcome: .denied, userId: session.userId, sourceIP: context.sourceIP,
                        details: ["reason": "other_user"]))
                return WebPage.message(
                    title: "Not your confirmation",
                    message: "This confirmation is for another account. Nothing was confirmed or sent.",
                    hint: "Sign in as the person whose assistant asked.", status: .forbidden)
            }
            return await body(message, cookie, user)
        } catch {
            context.logger.error("send confirmation failed", metadata: ["gg.error": "\(type(of: error))"])
            return WebPage.message(
                title: "Unavailable", message: "graphgate could not complete this right now. Nothing was sent.",
                hint: "Try again in a moment.", status: .serviceUnavailable)
        }
    }

    static func domains(_ recipients: [String]) -> String {
        Set(recipients.map { String($0.split(separator: "@").last ?? "") }).sorted().joined(separator: ",")
    }
}
