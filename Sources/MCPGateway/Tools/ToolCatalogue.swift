import Crypto
import Foundation
import JSONText
import Logging
import MicrosoftGraph
import SecurityOps

/// The MCP tools (mail, calendar, contacts, profile) and the policy around them.
///
/// `listTools(for:)` and `call(name:arguments:principal:elicit:)` serve `tools/list` and `tools/call` for one
/// request's principal (the protocol core calls them in either era). Every call is checked against its schema
/// before any Graph request, runs with the principal's own Graph client, and writes one `tool.call` audit event (plus `mail.send` / `mail.forward` / `mail.delete` / … for those).
public struct ToolCatalogue: Sendable {
    let policy: ToolPolicy
    let graph: any GraphClientSource
    let audit: any AuditRecorder
    let logger: Logger
    let cursors: PageCursor
    let sends: SendLimiter
    let confirmations: SendConfirmations
    /// The tools the policy exposes, sorted by name, and the same by name (the policy is fixed at start).
    let exposed: [ToolDefinition]
    let exposedByName: [String: ToolDefinition]

    /// - Parameter cursorKey: seals paging cursors; give the same 32-byte key to every instance behind one
    ///   load balancer (default: random per process, so cursors end with a restart).
    /// - Parameter confirmations: send confirmations made on graphgate's page (give the web route the same one);
    ///   default: none possible (desktop mode), so a client that cannot ask refuses confirmed sends.
    public init(
        policy: ToolPolicy, graph: any GraphClientSource, audit: any AuditRecorder, logger: Logger,
        cursorKey: SymmetricKey? = nil, confirmations: SendConfirmations = SendConfirmations(publicURL: nil)
    ) {
        self.policy = policy
        self.graph = graph
        self.audit = audit
        self.logger = logger
        self.cursors = PageCursor(key: cursorKey ?? SymmetricKey(size: .bits256))
        self.sends = SendLimiter()
        self.confirmations = confirmations
        self.exposed = Self.allDefinitions.filter { policy.exposes(name: $0.name, isWrite: $0.isWrite) }
            .sorted { $0.name < $1.name }
        self.exposedByName = Dictionary(exposed.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// What is wrong with `GRAPHGATE_TOOLS` patterns that match no tool (a typo exposed no tool at all, silently),
    /// or nil when each matches one.
    public static func unmatchedPatternsProblem(_ patterns: [String]) -> String? {
        let unmatched = patterns.filter { pattern in
            !allDefinitions.contains { ToolPolicy.glob(pattern, matches: $0.name) }
        }
        guard !unmatched.isEmpty else { return nil }
        return "\(unmatched.joined(separator: ", ")) matches no tool (the tools: "
            + allDefinitions.map(\.name).sorted().joined(separator: ", ") + ")"
    }

    /// Every tool graphgate has, before the policy picks the exposed ones.
    static let allDefinitions: [ToolDefinition] =
        ProfileTools.all + MailTools.all + MailWriteTools.all + CalendarTools.all + ContactTools.all

    /// Whether `name` is an exposed tool that changes the mailbox: only such a call can ask the person (through
    /// `SendGuard`) or is worth stopping when the client cancels it (a cancelled read changes nothing).
    public func changesMailbox(toolNamed name: String?) -> Bool {
        name.flatMap { exposedByName[$0] }?.isWrite ?? false
    }

    /// Names of every tool this policy exposes.
    public var exposedToolNames: [String] { exposed.map(\.name) }

    /// Microsoft write permissions the exposed tools can ask for (empty in read-only mode): what the sign-in may
    /// request incrementally.
    public var writeScopes: [String] {
        MicrosoftScopes.normalize(exposed.filter(\.isWrite).flatMap(\.scopes))
    }

    /// `definition` as `principal` sees it: with the `account` argument on the desktop.
    func adapted(_ definition: ToolDefinition, for principal: MCPPrincipal) -> ToolDefinition {
        guard principal.allowsAccountSelection else { return definition }
        var definition = definition
        definition.parameters.append(.string("account", "Linked account label; default the primary one.", max: 64))
        return definition
    }

    /// The `tools` array of `tools/list` for this request's principal, sorted by name (deterministic): the
    /// policy's exposed tools, minus write tools when this request's token lacks `mcp:write`.
    public func listTools(for principal: MCPPrincipal) -> Value {
        .array(exposed.filter { principal.canWrite || !$0.isWrite }.map { adapted($0, for: principal).json })
    }

    /// How one `tools/call` ended.
    public enum CallOutcome: Sendable {
        /// The `CallToolResult` (`content`, `structuredContent`, `isError`).
        case complete(Value)
        /// The tool needs the person's answer first (2026-07-28 era): the question to send back.
        case inputRequired(Elicitation)
    }

    /// Runs `tools/call` for `name`. An unknown name is a JSON-RPC error (-32602, the name not repeated); every
    /// other failure is an `isError` result. `elicit` asks the person (era-specific, see ``Elicitation``).
    public func call(
        name: String, arguments: JSONObject?, principal: MCPPrincipal,
        elicit: @escaping @Sendable (Elicitation) async throws -> ElicitationAnswer
    ) async throws(JSONRPCError) -> CallOutcome {
        guard let definition = exposedByName[name].map({ adapted($0, for: principal) }) else {
            MCPMetrics.toolCall(name, .error)
            // The name a client sent is never repeated or stored (it could be anything, a token too): only
            // the names of tools graphgate has (one the policy does not expose) are audited.
            let known = Self.allDefinitions.contains { $0.name == name }
            await audit.record(
                AuditEvent(
                    "tool.call", outcome: .failure, userId: principal.userId, clientId: principal.clientId,
                    details: ["tool": known ? name : "(unknown)", "error": "unknown_tool"]))
            throw .invalidParams("Unknown tool: tools/list names the tools this server offers")
        }
        return await call(definition, arguments: arguments, principal: principal, elicit: elicit)
    }

    /// Runs one call to the end: never throws, every failure becomes an `isError` result.
    func call(
        _ definition: ToolDefinition, arguments: JSONObject?, principal: MCPPrincipal,
        elicit: @escaping @Sendable (Elicitation) async throws -> ElicitationAnswer
    ) async -> CallOutcome {
        let notes = AuditNotes()
        let started = ContinuousClock.now
        let result: Value
        let outcome: AuditEvent.Outcome
        var errorCode: String?
        do {
            let reply = try await run(
                definition, arguments: arguments, principal: principal, notes: notes, elicit: elicit)
            result = [
                "content": .array(([ToolContent.text(reply.text)] + reply.extra).map(\.json)), "isError": false,
                "structuredContent": reply.structured,
            ]
            outcome = .success
        } catch let required as InputRequired {
            // Not an outcome yet: the client asks the person and calls again (nothing was done).
            return .inputRequired(required.question)
        } catch {
            let toolError = Self.toolError(error)
            errorCode = toolError.auditCode
            if case .refused = toolError { outcome = .denied } else { outcome = .failure }
            result = ["content": [["type": "text", "text": .string(toolError.description)]], "isError": true]
        }
        MCPMetrics.toolCall(definition.name, MCPMetrics.ToolOutcome(outcome))
        var details = notes.details
        details["tool"] = definition.name
        if let errorCode { details["error"] = errorCode }
        let elapsed = ContinuousClock.now - started
        // Metadata only in the line (built only when `info` is logged), not set on a logger copy per call.
        logger.info(
            "tool call",
            metadata: [
                "gg.user": "\(principal.userId)", "gg.client": "\(principal.clientId)", "gg.tool": "\(definition.name)",
                "gg.outcome": "\(outcome.rawValue)", "gg.error": "\(errorCode ?? "-")",
                "gg.ms": "\(elapsed.inMilliseconds)",
            ])
        await audit.record(
            AuditEvent(
                "tool.call", outcome: outcome, userId: principal.userId, clientId: principal.clientId, details: details)
        )
        for var event in notes.events {
            event.userId = principal.userId
            event.clientId = principal.clientId
            await audit.record(event)
        }
        return .complete(result)
    }

    private func run(
        _ definition: ToolDefinition, arguments raw: JSONObject?, principal: MCPPrincipal, notes: AuditNotes,
        elicit: @escaping @Sendable (Elicitation) async throws -> ElicitationAnswer
    ) async throws -> ToolReply {
        if definition.isWrite && !principal.canWrite {
            // Checked before the arguments and any Graph call: a read-only client never reaches Microsoft's
            // consent (no consent link), whatever the account granted.
            throw ToolError.refused(
                "this client was authorized to read only; \(definition.name) needs the scope "
                    + "\(MCPPrincipal.writeScope). Sign in again from the client and allow changes.")
        }
        let arguments = try ToolArguments(raw, parameters: definition.parameters)
        let client: GraphClient
        do {
            client = try await graph.graphClient(for: principal, account: arguments.string("account"))
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError.accountUnavailable(String(describing: error))
        }
        if definition.isWrite {
            if policy.readOnly { throw ToolError.refused("graphgate runs in read-only mode.") }
            let granted = try await client.grantedScopes()
            let missing = MicrosoftScopes.missing(definition.scopes(for: arguments), granted: granted)
            if !missing.isEmpty {
                throw ToolError.consentRequired(
                    scopes: missing, link: await graph.consentLink(for: principal, scopes: missing))
            }
        }
        let policy = self.policy
        let invocation = ToolInvocation(
            tool: definition.name, principal: principal, arguments: arguments, graph: client, fence: UntrustedContent(),
            policy: policy, cursors: cursors, sends: sends,
            confirmations: confirmations, notes: notes,
            consentLink: { [graph] scopes in await graph.consentLink(for: principal, scopes: scopes) },
            elicit: elicit)
        do {
            return try await definition.handler(invocation)
        } catch GraphError.accessDenied where definition.isWrite {
            let scopes = definition.scopes(for: arguments)
            throw ToolError.consentRequired(
                scopes: scopes, link: await graph.consentLink(for: principal, scopes: scopes))
        }
    }

    static func toolError(_ error: any Error) -> ToolError {
        switch error {
        case let error as ToolError: return error
        case let error as GraphError: return .graph(error)
        case is CancellationError: return .cancelled
        default: return .graph(.invalidResponse(reason: "internal"))
        }
    }
}
