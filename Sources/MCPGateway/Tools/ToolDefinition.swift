import Foundation
import MicrosoftGraph
import SecurityOps
import Synchronization

/// One tool: what `tools/list` shows and the handler `tools/call` runs once the arguments passed their checks.
struct ToolDefinition: Sendable {
    enum Effect: Sendable {
        case read
        /// Changes the mailbox but can be undone or repeated harmlessly.
        case write(idempotent: Bool)
        /// Sends mail or deletes: cannot be undone.
        case destructive(idempotent: Bool)
    }

    var name: String
    var title: String
    var description: String
    var parameters: [ToolParameter]
    var output: Value
    var effect: Effect
    /// Microsoft permissions the call needs (checked against the account's grant before a write).
    var scopes: [String]
    /// Permissions some calls need on top of `scopes` (Mail.Send when a reply is sent now): asked for together,
    /// so one consent round grants everything the call needs.
    var callScopes: (@Sendable (ToolArguments) -> [String])? = nil
    var handler: @Sendable (ToolInvocation) async throws -> ToolReply

    /// Everything this call needs from Microsoft.
    func scopes(for arguments: ToolArguments) -> [String] { scopes + (callScopes?(arguments) ?? []) }

    var isWrite: Bool {
        if case .read = effect { return false }
        return true
    }

    /// The entry of `tools/list`.
    var json: Value {
        let hints: (readOnly: Bool, destructive: Bool, idempotent: Bool, openWorld: Bool)
        switch effect {
        case .read: hints = (true, false, true, false)
        case .write(let idempotent): hints = (false, false, idempotent, false)
        case .destructive(let idempotent): hints = (false, true, idempotent, true)
        }
        return [
            "name": .string(name), "title": .string(title), "description": .string(description),
            "inputSchema": ToolParameter.objectSchema(parameters), "outputSchema": output,
            "annotations": [
                "title": .string(title), "readOnlyHint": .bool(hints.readOnly),
                "destructiveHint": .bool(hints.destructive), "idempotentHint": .bool(hints.idempotent),
                "openWorldHint": .bool(hints.openWorld),
            ],
        ]
    }
}

/// What a handler gets: the checked arguments, the user's Graph client, the response's fence, and the guards.
struct ToolInvocation: Sendable {
    let tool: String
    let principal: MCPPrincipal
    let arguments: ToolArguments
    let graph: GraphClient
    let fence: UntrustedContent
    let policy: ToolPolicy
    let cursors: PageCursor
    let sends: SendLimiter
    /// Confirmations made on graphgate's page (``SendGuard`` when the client cannot ask).
    let confirmations: SendConfirmations
    let notes: AuditNotes
    /// The consent link for `scopes` (incremental consent).
    let consentLink: @Sendable ([String]) async -> String?
    /// Asks the person through the client (see ``Elicitation``). In the 2026-07-28 era it may throw to end this
    /// call with an `InputRequiredResult`; the retry then gets the answer.
    let elicit: @Sendable (Elicitation) async throws -> ElicitationAnswer

    /// Throws ``ToolError/consentRequired(scopes:link:)`` unless the account granted `scopes`.
    func requireScopes(_ scopes: [String]) async throws {
        let missing = MicrosoftScopes.missing(scopes, granted: try await graph.grantedScopes())
        if !missing.isEmpty { throw ToolError.consentRequired(scopes: missing, link: await consentLink(missing)) }
    }

    /// Page size argument (default 25, max 100 by schema).
    var pageSize: Int { arguments.int("page_size") ?? 25 }

    func cursor(_ next: String?, zone: String? = nil) -> String? {
        next.flatMap { cursors.seal(.init(link: $0, zone: zone), userId: principal.userId, tool: tool) }
    }

    func openCursor() throws(ToolError) -> PageCursor.Payload? {
        guard let text = arguments.string("cursor") else { return nil }
        return try cursors.open(text, userId: principal.userId, tool: tool)
    }
}

/// Audit details a handler adds while it runs (targets, recipient domains, extra events); read by the
/// catalogue whether the call succeeded or not.
final class AuditNotes: Sendable {
    private let state = Mutex<(details: [String: String], events: [AuditEvent])>(([:], []))

    func set(_ key: String, _ value: String) {
        state.withLock { $0.details[key] = String(value.prefix(2000)) }
    }

    func event(_ event: AuditEvent) {
        state.withLock { $0.events.append(event) }
    }

    var details: [String: String] { state.withLock { $0.details } }
    var events: [AuditEvent] { state.withLock { $0.events } }
}

/// A successful tool answer: compact text for the model, and structured content matching the output schema.
struct ToolReply: Sendable {
    var text: String
    var structured: Value
    /// Further content after the text (an attachment as an embedded resource).
    var extra: [ToolContent] = []
}
