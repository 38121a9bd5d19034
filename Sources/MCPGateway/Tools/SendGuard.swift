import Foundation
import SecurityOps

/// The checks before anything leaves the mailbox: allowed recipient domains, the hourly send cap, and the
/// user's confirmation (elicitation) when configured. Refusals are audited with recipients' domains only.
enum SendGuard {
    /// - Parameter kind: `send`, `reply`, `forward` or `invite` (audit event `mail.<kind>`).
    static func check(_ call: ToolInvocation, recipients: [String], kind: String, target: String?) async throws {
        let domains = ToolFormat.domains(recipients)
        call.notes.set("recipient_domains", domains)
        call.notes.set("recipient_count", "\(recipients.count)")
        func refuse(_ reason: String, _ message: String) -> ToolError {
            var details = ["recipient_domains": domains, "reason": reason, "tool": call.tool]
            if let target { details["target"] = target }
            call.notes.event(AuditEvent("mail.\(kind)", outcome: .denied, details: details))
            return .refused(message)
        }
        guard !recipients.isEmpty else {
            throw ToolError.invalidArgument(name: "to", expected: "at least one recipient")
        }
        let outside = recipients.filter { !call.policy.allowsRecipient($0) }
        if !outside.isEmpty {
            throw refuse(
                "domain_not_allowed",
                "mail may only go to \(call.policy.sendAllowedDomains.joined(separator: ", ")); not to \(ToolFormat.domains(outside)). Nothing was sent."
            )
        }
        guard await call.sends.take(userId: call.principal.userId, limit: call.policy.sendsPerHour) else {
            throw refuse(
                "send_cap",
                "the limit of \(call.policy.sendsPerHour) sends per hour is reached. Nothing was sent; try later.")
        }
        guard call.policy.confirmSends else { return }
        let question = Elicitation(
            key: "confirm_send", message: "Send this \(kind) to \(recipients.count) recipient(s) at \(domains)?",
            schema: ["type": "object", "properties": ["confirm": ["type": "boolean", "title": "Send this message"]],
                     "required": ["confirm"]])
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
            throw refuse("not_confirmed", "the user did not confirm the send. Nothing was sent.")
        case .unsupported:
            // TODO(issue 15): a confirmation link bound to the person and the exact message (fails closed).
            await call.sends.giveBack(userId: call.principal.userId)
            throw refuse("not_confirmed", "this client cannot ask the user to confirm the send. Nothing was sent.")
        }
    }

    /// Records a send that Graph accepted.
    static func sent(_ call: ToolInvocation, recipients: [String], kind: String, target: String?) {
        var details = ["recipient_domains": ToolFormat.domains(recipients), "tool": call.tool]
        if let target { details["target"] = target }
        call.notes.event(AuditEvent("mail.\(kind)", outcome: .success, details: details))
    }

    /// Runs the Graph call of a checked send; a failure gives the send back to the hourly allowance.
    static func perform<T: Sendable>(_ call: ToolInvocation, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            await call.sends.giveBack(userId: call.principal.userId)
            throw error
        }
    }
}
