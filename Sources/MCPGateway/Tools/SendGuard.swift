import Foundation
import SecurityOps

/// The one way a tool makes Microsoft mail someone (send, reply, forward, a draft, invitations, meeting updates
/// and cancellations, answers to invitations): allowed recipient domains, the hourly send cap, the person's confirmation when
/// configured, and the `mail.<kind>` audit event (which the monitor counts). A send taken from the cap is given
/// back whenever the mail does not go out. Refusals are audited with recipients' domains only.
///
/// Confirmation fails closed: the client asks in-band (elicitation); when it cannot, the call ends with a
/// confirmation link (``SendConfirmations``) and nothing is sent until the person confirms there and the
/// assistant retries the identical call.
enum SendGuard {
    /// One message Microsoft would send.
    struct Mail: Sendable {
        /// `send`, `reply`, `forward`, `invite`, `update`, `cancel` or `respond` (audit event `mail.<kind>`).
        var kind: String
        var recipients: [String]
        /// What the confirmation shows and binds (the subject line of the mail).
        var subject: String
        /// The text the call adds (bound by hash only; what identifies the message in a confirmation).
        var body: String
        /// The item the mail is about (audit detail).
        var target: String?
    }

    /// Sends: runs `perform` (the Graph call that mails) only after every check passed. `abandon` runs when the
    /// guard stops the send before `perform` (to remove a draft made for it).
    static func send<T: Sendable>(
        _ call: ToolInvocation, _ mail: Mail, abandon: (@Sendable () async -> Void)? = nil,
        _ perform: () async throws -> T
    ) async throws -> T {
        do {
            try await check(call, mail)
        } catch {
            await abandon?()
            throw error
        }
        return try await performed(call, mail, perform)
    }

    /// For an action that can happen without its mail (answering an invitation without telling the organizer):
    /// when the domain policy or the send cap refuses the mail, `perform(false)` runs instead, and the refusal is
    /// returned so the reply can say so. Confirmation is still required for the mail itself.
    static func sendOrWithhold<T: Sendable>(
        _ call: ToolInvocation, _ mail: Mail, _ perform: (_ mail: Bool) async throws -> T
    ) async throws -> (T, withheld: String?) {
        if let refusal = policyRefusal(call, mail) {
            audit(call, mail, .denied, ["reason": refusal.reason, "fallback": "without_mail"])
            return (try await perform(false), refusal.message)
        }
        guard await call.sends.take(userId: call.principal.userId, limit: call.policy.sendsPerHour) else {
            audit(call, mail, .denied, ["reason": "send_cap", "fallback": "without_mail"])
            return (try await perform(false), capMessage(call))
        }
        try await confirm(call, mail)
        return (try await performed(call, mail) { try await perform(true) }, nil)
    }

    // MARK: Steps

    /// Domain policy, cap (takes one send), confirmation. Throws ``ToolError/refused(_:)`` (audited) otherwise.
    private static func check(_ call: ToolInvocation, _ mail: Mail) async throws {
        guard !mail.recipients.isEmpty else {
            throw ToolError.invalidArgument(name: "to", expected: "at least one recipient")
        }
        if let refusal = policyRefusal(call, mail) { throw refuse(call, mail, refusal.reason, refusal.message) }
        guard await call.sends.take(userId: call.principal.userId, limit: call.policy.sendsPerHour) else {
            throw refuse(call, mail, "send_cap", capMessage(call))
        }
        try await confirm(call, mail)
    }

    /// The domain policy's refusal of `mail`, if any (no side effects).
    private static func policyRefusal(_ call: ToolInvocation, _ mail: Mail) -> (reason: String, message: String)? {
        let domains = ToolFormat.domains(mail.recipients)
        call.notes.set("recipient_domains", domains)
        call.notes.set("recipient_count", "\(mail.recipients.count)")
        let outside = mail.recipients.filter { !call.policy.allowsRecipient($0) }
        guard !outside.isEmpty else { return nil }
        return (
            "domain_not_allowed",
            "mail may only go to \(call.policy.sendAllowedDomains.joined(separator: ", ")); not to \(ToolFormat.domains(outside)). Nothing was sent."
        )
    }

    private static func capMessage(_ call: ToolInvocation) -> String {
        "the limit of \(call.policy.sendsPerHour) sends per hour is reached. Nothing was sent; try later."
    }

    /// Asks the person when `confirmSends` is on; gives the send back and throws unless they confirmed.
    private static func confirm(_ call: ToolInvocation, _ mail: Mail) async throws {
        guard call.policy.confirmSends else { return }
        let now = Int64(Date().timeIntervalSince1970)
        let message = SendConfirmations.Message(
            userId: call.principal.userId, kind: mail.kind, recipients: mail.recipients,
            subject: mail.subject, body: (mail.target ?? "") + "\n" + mail.body, shown: mail.body,
            expiresAt: now + SendConfirmations.lifetime)
        if call.confirmations.consume(message, now: now) { return }  // confirmed on graphgate's page
        let described = describe(mail)
        let shown =
            message.bodyPreview.isEmpty
            ? ""
            : "\n\n" + message.bodyPreview
                + (message.bodyOmitted > 0 ? "\n[… \(message.bodyOmitted) more characters]" : "")
        let question = Elicitation(
            key: "confirm_send", message: "Send \(described)?\(shown)",
            schema: [
                "type": "object", "properties": ["confirm": ["type": "boolean", "title": "Send this message"]],
                "required": ["confirm"],
            ])
        let answer: ElicitationAnswer
        do {
            answer = try await call.elicit(question)
        } catch {
            await call.sends.giveBack(userId: call.principal.userId)
            throw error
        }
        switch answer {
        case .accepted(let fields) where fields["confirm"]?.boolValue == true:
            return
        case .accepted, .declined:
            await call.sends.giveBack(userId: call.principal.userId)
            throw refuse(call, mail, "not_confirmed", "the user did not confirm \(described). Nothing was sent.")
        case .unsupported:
            await call.sends.giveBack(userId: call.principal.userId)
            guard let link = call.confirmations.link(for: message) else {
                throw refuse(
                    call, mail, "not_confirmed",
                    "this client cannot ask the user to confirm \(described). Nothing was sent.")
            }
            throw refuse(
                call, mail, "confirmation_required",
                "nothing was sent yet: the user must confirm \(described). Ask them to open \(link) "
                    + "(valid 10 minutes), then retry this exact call once they confirmed.")
        }
    }

    /// Runs the Graph call of a checked send and audits its outcome; a failure gives the send back.
    private static func performed<T: Sendable>(
        _ call: ToolInvocation, _ mail: Mail, _ perform: () async throws -> T
    ) async throws -> T {
        let result: T
        do {
            // A client that went away (or cancelled) after the checks: nothing is handed to Graph.
            try Task.checkCancellation()
            result = try await perform()
        } catch {
            await call.sends.giveBack(userId: call.principal.userId)
            audit(call, mail, .failure, ["error": ToolCatalogue.toolError(error).auditCode])
            throw error
        }
        audit(call, mail, .success, [:])
        return result
    }

    /// "this reply to a@x.test, b@y.test (subject “…”)": the recipients, always named.
    static func describe(_ mail: Mail) -> String {
        let noun =
            [
                "send": "this message", "invite": "these invitations", "update": "this meeting update",
                "respond": "this answer", "cancel": "this cancellation",
            ][mail.kind] ?? "this \(mail.kind)"
        let shown = mail.recipients.prefix(10).map { UntrustedContent.line($0, max: 120) }.joined(separator: ", ")
        let more = mail.recipients.count > 10 ? " and \(mail.recipients.count - 10) more" : ""
        let subject = mail.subject.isEmpty ? "" : " (subject “\(UntrustedContent.line(mail.subject, max: 120))”)"
        return "\(noun) to \(shown)\(more)\(subject)"
    }

    private static func refuse(_ call: ToolInvocation, _ mail: Mail, _ reason: String, _ message: String) -> ToolError {
        audit(call, mail, .denied, ["reason": reason])
        return .refused(message)
    }

    private static func audit(
        _ call: ToolInvocation, _ mail: Mail, _ outcome: AuditEvent.Outcome, _ extra: [String: String]
    ) {
        var details = ["recipient_domains": ToolFormat.domains(mail.recipients), "tool": call.tool]
        if let target = mail.target { details["target"] = target }
        details.merge(extra) { $1 }
        call.notes.event(AuditEvent("mail.\(mail.kind)", outcome: outcome, details: details))
    }
}
