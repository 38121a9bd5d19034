import Crypto
import Foundation
import Logging
import MCP
import MicrosoftGraph
import SecurityOps

/// The MCP tools (mail, calendar, contacts, profile) and the policy around them.
///
/// `register(on:principal:)` installs `tools/list` and `tools/call` on one session's `Server`. Every call is
/// checked against its schema before any Graph request, runs with the principal's own Graph client, and
/// writes one `tool.call` audit event (plus `mail.send` / `mail.forward` / `mail.delete` / … for those).
public struct ToolCatalogue: Sendable {
    let policy: ToolPolicy
    let graph: any GraphClientSource
    let audit: any AuditRecorder
    let logger: Logger
    let cursors: PageCursor
    let sends: SendLimiter
    let confirmations: SendConfirmations
    let definitions: [ToolDefinition]

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
        self.definitions = Self.allDefinitions
    }

    /// Every tool graphgate has, before the policy picks the exposed ones.
    static let allDefinitions: [ToolDefinition] =
        ProfileTools.all + MailTools.all + MailWriteTools.all + CalendarTools.all + ContactTools.all

    /// Names of every tool this policy exposes.
    public var exposedToolNames: [String] { exposed.map(\.name) }

    /// Microsoft write permissions the exposed tools can ask for (empty in read-only mode): what the sign-in may
    /// request incrementally.
    public var writeScopes: [String] {
        MicrosoftScopes.normalize(exposed.filter(\.isWrite).flatMap(\.scopes))
    }

    var exposed: [ToolDefinition] { definitions.filter { policy.exposes(name: $0.name, isWrite: $0.isWrite) } }

    /// Registers `tools/list` and `tools/call` handlers on `server` that run as `principal`.
    public func register(on server: Server, principal: MCPPrincipal) async {
        var table: [String: ToolDefinition] = [:]
        for var definition in exposed {
            if principal.allowsAccountSelection {
                definition.parameters.append(
                    .string("account", "Linked account label; default the primary one.", max: 64))
            }
            table[definition.name] = definition
        }
        let byName = table
        let tools = byName.values.sorted { $0.name < $1.name }.map(\.tool)
        let catalogue = self
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools) }
        await server.withMethodHandler(CallTool.self) { [weak server] params in
            guard let definition = byName[params.name] else {
                MCPMetrics.toolCall(params.name, .error)
                // The name a client sent is never repeated or stored (it could be anything, a token too): only
                // the names of tools graphgate has (one the policy does not expose) are audited.
                let known = Self.allDefinitions.contains { $0.name == params.name }
                await catalogue.audit.record(
                    AuditEvent(
                        "tool.call", outcome: .failure, userId: principal.userId, clientId: principal.clientId,
                        details: ["tool": known ? params.name : "(unknown)", "error": "unknown_tool"]))
                throw MCPError.invalidParams("Unknown tool: tools/list names the tools this server offers")
            }
            return await catalogue.call(definition, arguments: params.arguments, principal: principal, server: server)
        }
    }

    /// Runs one call to the end: never throws, every failure becomes an `isError` result.
    func call(
        _ definition: ToolDefinition, arguments: [String: Value]?, principal: MCPPrincipal, server: Server?
    ) async -> CallTool.Result {
        let notes = AuditNotes()
        let started = ContinuousClock.now
        var logger = self.logger
        logger[metadataKey: "gg.user"] = "\(principal.userId)"
        logger[metadataKey: "gg.client"] = "\(principal.clientId)"
        logger[metadataKey: "gg.tool"] = "\(definition.name)"
        let result: CallTool.Result
        let outcome: AuditEvent.Outcome
        var errorCode: String?
        do {
            let reply = try await run(
                definition, arguments: arguments, principal: principal, server: server, notes: notes)
            result = CallTool.Result(
                content: [.text(text: reply.text, annotations: nil, _meta: nil)] + reply.extra,
                structuredContent: Optional(reply.structured),
                isError: false)
            outcome = .success
        } catch {
            let toolError = Self.toolError(error)
            errorCode = toolError.auditCode
            if case .refused = toolError { outcome = .denied } else { outcome = .failure }
            result = CallTool.Result(
                content: [.text(text: toolError.description, annotations: nil, _meta: nil)], isError: true)
        }
        MCPMetrics.toolCall(definition.name, MCPMetrics.ToolOutcome(outcome))
        var details = notes.details
        details["tool"] = definition.name
        if let errorCode { details["error"] = errorCode }
        let elapsed = ContinuousClock.now - started
        logger.info(
            "tool call",
            metadata: [
                "gg.outcome": "\(outcome.rawValue)", "gg.error": "\(errorCode ?? "-")",
                "gg.ms":
                    "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
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
        return result
    }

    private func run(
        _ definition: ToolDefinition, arguments raw: [String: Value]?, principal: MCPPrincipal, server: Server?,
        notes: AuditNotes
    ) async throws -> ToolReply {
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
            elicit: { question in
                guard let server else { return .unsupported }
                do {
                    let answer = try await server.requestElicitation(
                        message: question.message,
                        requestedSchema: try Self.sdkSchema(question.schema))
                    guard answer.action == .accept else { return .declined }
                    return .accepted(answer.content ?? [:])
                } catch {
                    return .unsupported  // the client does not support elicitation
                }
            })
        do {
            return try await definition.handler(invocation)
        } catch GraphError.accessDenied where definition.isWrite {
            let scopes = definition.scopes(for: arguments)
            throw ToolError.consentRequired(scopes: scopes, link: await graph.consentLink(for: principal, scopes: scopes))
        }
    }

    /// The SDK's form schema type for our JSON schema (until the protocol core is ours).
    static func sdkSchema(_ schema: Value) throws -> MCP.Elicitation.RequestSchema {
        try JSONDecoder().decode(MCP.Elicitation.RequestSchema.self, from: JSONEncoder().encode(schema))
    }

    static func toolError(_ error: any Error) -> ToolError {
        switch error {
        case let error as ToolError: return error
        case let error as GraphError: return .graph(error)
        default: return .graph(.invalidResponse(reason: "internal"))
        }
    }
}
