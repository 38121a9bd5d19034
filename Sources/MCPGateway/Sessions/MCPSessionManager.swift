import Foundation
import Logging
import MCP
import SecurityOps

/// Hosts graphgate's MCP sessions over Streamable HTTP, after authentication.
///
/// The caller (the `/mcp` route) has already checked the bearer token and passes the principal it yields. A
/// request that names a session is routed only if that session belongs to the same (user, client, grant);
/// otherwise it is a 404, exactly like a session that does not exist, so session ids reveal nothing. In
/// stateless mode every request gets a fresh `Server` and `StatelessHTTPServerTransport`, so no two users (or
/// requests) ever share one: that transport keys pending requests by JSON-RPC id alone.
public actor MCPSessionManager {
    public typealias Configure = @Sendable (Server, MCPPrincipal) async -> Void

    public nonisolated let configuration: MCPSessionConfiguration
    private let configure: Configure
    private let logger: Logger
    private let audit: (any AuditRecorder)?
    private var sessions: [String: MCPSession] = [:]
    private var lastUsed: [String: ContinuousClock.Instant] = [:]
    private var requestCounts: [String: Int] = [:]

    /// - Parameter configure: registers the tools (and anything else) on each new `Server` for its principal.
    /// - Parameter audit: receives `mcp.session.cross_user` when a session id is presented by another principal.
    public init(
        configuration: MCPSessionConfiguration, logger: Logger, audit: (any AuditRecorder)? = nil,
        configure: @escaping Configure
    ) {
        self.configuration = configuration
        self.configure = configure
        self.logger = logger
        self.audit = audit
    }

    /// Handles one authenticated request to the MCP endpoint.
    public func handle(_ request: HTTPRequest, principal: MCPPrincipal) async -> HTTPResponse {
        if let body = request.body, JSONRPCBody.isAmbiguous(body) {
            return .error(
                statusCode: 400,
                .invalidRequest("Bad Request: a member is repeated, or an id is neither a string nor an integer"))
        }
        if configuration.stateless { return await handleStateless(request, principal: principal) }
        guard let sessionId = request.header(HTTPHeaderName.sessionID) else {
            guard request.method.uppercased() == "POST", Self.isInitialize(request.body) else {
                return .error(
                    statusCode: 400, .invalidRequest("Bad Request: Mcp-Session-Id header is required"))
            }
            return await open(request, principal: principal)
        }
        guard let session = sessions[sessionId], session.accepts(principal) else {
            if let session = sessions[sessionId] {
                logger.warning(
                    "MCP session id presented by another principal",
                    metadata: ["gg.user": "\(principal.userId)", "gg.session_user": "\(session.principal.userId)"])
                await audit?.record(
                    AuditEvent(
                        "mcp.session.cross_user", outcome: .denied, userId: principal.userId,
                        clientId: principal.clientId, details: ["session_user_id": session.principal.userId]))
            }
            return .error(statusCode: 404, .invalidRequest("Not Found: Session not found"))
        }
        let count = (requestCounts[sessionId] ?? 0) + 1
        if count > configuration.maxRequestsPerSession {
            await close(sessionId, reason: "request_cap")
            return .error(statusCode: 404, .invalidRequest("Not Found: Session expired; initialize a new one"))
        }
        requestCounts[sessionId] = count
        lastUsed[sessionId] = .now
        let response = await session.transport.handleRequest(request)
        if request.method.uppercased() == "DELETE", response.statusCode == 200 {
            await close(sessionId, reason: "client_deleted")
        }
        return response
    }

    /// Number of live sessions (for metrics and tests).
    public var count: Int { sessions.count }

    /// Live sessions of one user.
    public func sessionCount(userId: String) -> Int { sessionsOf(userId: userId).count }

    func sessionsOf(userId: String) -> [MCPSession] {
        sessions.values.filter { $0.principal.userId == userId }
    }

    /// Closes every session of the user (revocation, block, sign-out everywhere).
    public func closeAll(userId: String) async {
        for (id, session) in sessions where session.principal.userId == userId {
            await close(id, reason: "revoked")
        }
    }

    /// Closes every session bound to one of these grants.
    public func closeAll(grantIds: [String]) async {
        let grants = Set(grantIds)
        for (id, session) in sessions where grants.contains(session.principal.grantId) {
            await close(id, reason: "revoked")
        }
    }

    /// Closes sessions idle longer than the configured timeout; returns how many.
    @discardableResult
    public func reapIdle(now: ContinuousClock.Instant = .now) async -> Int {
        let expired = lastUsed.filter { now - $0.value > configuration.idleTimeout }.map(\.key)
        for id in expired { await close(id, reason: "idle") }
        return expired.count
    }

    /// Closes every session (shutdown).
    public func closeAllSessions() async {
        for id in Array(sessions.keys) { await close(id, reason: "shutdown") }
    }

    private func open(_ request: HTTPRequest, principal: MCPPrincipal) async -> HTTPResponse {
        guard sessions.count < configuration.maxSessions else {
            logger.error("MCP session limit reached", metadata: ["gg.sessions": "\(sessions.count)"])
            return .error(statusCode: 503, .internalError("Service Unavailable: too many sessions; try again later"))
        }
        let mine = sessions.values.filter { $0.principal.userId == principal.userId }
        if mine.count >= configuration.maxSessionsPerUser,
            let oldest = mine.min(by: { (lastUsed[$0.id] ?? $0.createdAt) < (lastUsed[$1.id] ?? $1.createdAt) })
        {
            await close(oldest.id, reason: "per_user_cap")
        }
        let id = Self.newSessionId()
        let transport = StatefulHTTPServerTransport(
            sessionIDGenerator: FixedSessionID(id: id), validationPipeline: Self.pipeline(stateless: false))
        let server = makeServer(strict: true)
        await configure(server, principal)
        do {
            try await server.start(transport: transport)
        } catch {
            logger.error("MCP server did not start", metadata: ["gg.error": "\(type(of: error))"])
            return .error(statusCode: 500, .internalError("Internal error: session could not start"))
        }
        let session = MCPSession(
            id: id, principal: principal, server: server, transport: transport, createdAt: .now)
        sessions[id] = session
        MCPMetrics.sessionOpened()
        lastUsed[id] = .now
        requestCounts[id] = 1
        let response = await transport.handleRequest(request)
        if response.statusCode != 200 {
            await close(id, reason: "initialize_failed")
        } else {
            logger.info(
                "MCP session opened",
                metadata: ["gg.user": "\(principal.userId)", "gg.client": "\(principal.clientId)"])
        }
        return response
    }

    private func handleStateless(_ request: HTTPRequest, principal: MCPPrincipal) async -> HTTPResponse {
        guard request.method.uppercased() == "POST" else {
            return .error(
                statusCode: 405, .invalidRequest("Method Not Allowed"), extraHeaders: [HTTPHeaderName.allow: "POST"])
        }
        let transport = StatelessHTTPServerTransport(validationPipeline: Self.pipeline(stateless: true))
        let server = makeServer(strict: false)
        await configure(server, principal)
        do {
            try await server.start(transport: transport)
        } catch {
            return .error(statusCode: 500, .internalError("Internal error: server could not start"))
        }
        let response = await transport.handleRequest(request)
        await server.stop()
        return response
    }

    private func close(_ id: String, reason: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        MCPMetrics.sessionClosed()
        lastUsed.removeValue(forKey: id)
        requestCounts.removeValue(forKey: id)
        await session.server.stop()
        logger.info(
            "MCP session closed",
            metadata: ["gg.user": "\(session.principal.userId)", "gg.reason": "\(reason)"])
    }

    /// `strict`: the SDK then refuses to ask a client for what it did not declare (an elicitation the client
    /// cannot answer would otherwise wait forever); a stateless server sees no `initialize`, so it is not strict.
    private func makeServer(strict: Bool) -> Server {
        Server(
            name: configuration.serverName, version: configuration.serverVersion,
            instructions: configuration.instructions, capabilities: configuration.capabilities,
            configuration: strict ? .strict : .default)
    }

    /// The SDK's checks minus its Origin check (ours runs before authentication, against the public URL).
    static func pipeline(stateless: Bool) -> any HTTPRequestValidationPipeline {
        if stateless {
            return StandardValidationPipeline(validators: [
                AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
            ])
        }
        return StandardValidationPipeline(validators: [
            AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(), ProtocolVersionValidator(),
            SessionValidator(),
        ])
    }

    static func isInitialize(_ body: Data?) -> Bool {
        guard let body, let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return false
        }
        return object["method"] as? String == "initialize"
    }

    static func newSessionId() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension MCPSessionManager {
    /// One live session, without its id's secret part (the first 8 characters only).
    public struct Summary: Sendable, Equatable {
        public var id: String
        public var clientId: String
        public var grantId: String
    }

    /// Live sessions of a user, for admin listings.
    public func summaries(userId: String) -> [Summary] {
        sessionsOf(userId: userId).map {
            Summary(id: String($0.id.prefix(8)) + "…", clientId: $0.principal.clientId, grantId: $0.principal.grantId)
        }
    }
}
