import Foundation
import JSONText
import Logging
import Storage
import Synchronization

/// MCP over HTTP on one endpoint, both eras (the `/mcp` route calls this after its own checks: Origin, Host,
/// bearer token, body cap, tool-call budget).
///
/// How a POST is told apart:
/// - `MCP-Protocol-Version` names a version outside the handshake list, or there is no `Mcp-Session-Id` and the
///   body's `_meta` names a protocol version → **2026-07-28**: envelope and headers checked, answered statelessly,
///   never a session id.
/// - `initialize` → **handshake era**: a new session row, its id in `Mcp-Session-Id`.
/// - `Mcp-Session-Id` → that session (404 when unknown, ended, idle too long, or another principal's).
///
/// Answers are plain JSON, except a handshake-era `tools/call` that must ask the person in-band: that one
/// switches to SSE when (and only when) the tool asks, sends `elicitation/create` on the stream, and waits for
/// the client's answering POST. A session's `notifications/cancelled` stops the mailbox-changing tool call it
/// names (on this instance), whose POST is then answered `-32800 Request cancelled` (or with its result, when the
/// change was already on its way to Graph and went through); a read runs to its end.
public struct MCPHTTPEndpoint: Sendable {
    public let core: MCPCore
    public let sessions: MCPSessionManager
    let pending = PendingElicitations()
    /// Handshake-era tool calls running on this instance, by session (hash) and request id, for
    /// `notifications/cancelled`.
    let toolCalls = InFlightRequests<SessionRequest>()
    let logger: Logger

    struct SessionRequest: Hashable, Sendable {
        var session: String
        var id: JSONRPCID
    }

    public init(core: MCPCore, sessions: MCPSessionManager, logger: Logger) {
        self.core = core
        self.sessions = sessions
        self.logger = logger
    }

    /// Handles one request to the endpoint.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - headers: header values by lower-case name.
    ///   - message: the POST body, parsed once (nil for other methods).
    public func handle(
        method: String, headers: @escaping MCPEnvelope.Headers,
        message: Result<JSONRPCMessage, JSONRPCMessage.Failure>?, principal: MCPPrincipal
    ) async -> MCPHTTPResponse {
        let sessionId = headers("mcp-session-id").first
        switch method {
        case "POST": break
        case "DELETE":
            guard let sessionId else {
                return .error(
                    .invalidRequest("Bad Request: DELETE needs an Mcp-Session-Id header"), id: nil, status: 400)
            }
            do {
                guard try await sessions.end(id: sessionId, principal: principal) else { return Self.sessionNotFound }
            } catch {
                return storageFailure(error)
            }
            return MCPHTTPResponse(status: 200)
        default:
            // No server-initiated stream: nothing is sent outside a request's own answer.
            return MCPHTTPResponse(status: 405, headers: [("Allow", "POST, DELETE")])
        }
        guard let message else {
            return .error(.parseError("Parse error: the body is empty"), id: nil, status: 400)
        }
        let parsed: JSONRPCMessage
        switch message {
        case .success(let value): parsed = value
        case .failure(let failure): return .error(failure.error, id: failure.id, status: 400)
        }
        let versionHeader = headers("mcp-protocol-version")
        let modernHeader = versionHeader.contains { !MCPVersions.handshake.contains($0) }
        switch parsed {
        case .request(let request):
            if modernHeader || (sessionId == nil && request.method != "initialize" && MCPEnvelope.claimsModern(request))
            {
                return await modern(request, headers: headers, principal: principal)
            }
            if request.method == "initialize", sessionId == nil {
                return await initialize(request, principal: principal)
            }
            guard let sessionId else {
                return .error(
                    .invalidRequest(
                        "Bad Request: Mcp-Session-Id header is required (initialize first), or send a 2026-07-28 "
                            + "request with params._meta"), id: request.id, status: 400)
            }
            return await inSession(request, sessionId: sessionId, principal: principal)
        case .notification(let method, let params):
            let refusal =
                JSONRPCMessage.missingId(method) ?? MCPEnvelope.checkNotification(method: method, headers: headers)
            if let refusal { return .error(refusal, id: nil, status: 400) }
            // 2026-07-28 defines no client notifications; in a session they need no answer either. In the
            // handshake era a notification belongs to a session, like every message after `initialize`.
            if !modernHeader {
                guard let sessionId else {
                    return .error(
                        .invalidRequest("Bad Request: Mcp-Session-Id header is required (initialize first)"), id: nil,
                        status: 400)
                }
                do {
                    guard let record = try await sessions.find(id: sessionId, principal: principal) else {
                        return Self.sessionNotFound
                    }
                    // The call it names stops, and its POST is answered "Request cancelled" (the stream of a
                    // handshake-era request ends only with an answer for its id).
                    if let id = JSONRPCMessage.cancelledRequest(method: method, params: params) {
                        toolCalls.cancel(SessionRequest(session: record.idHash, id: id))
                    }
                } catch {
                    return storageFailure(error)
                }
            }
            return MCPHTTPResponse(status: 202)
        case .response(let id, let result):
            guard let sessionId else {
                return .error(
                    .invalidRequest("Bad Request: a response needs an Mcp-Session-Id header"), id: id, status: 400)
            }
            do {
                guard let record = try await sessions.find(id: sessionId, principal: principal) else {
                    return Self.sessionNotFound
                }
                guard pending.resume(session: record.idHash, id: id, with: result) else {
                    return .error(
                        .invalidRequest("Bad Request: no request with this id is waiting for an answer"), id: id,
                        status: 400)
                }
            } catch {
                return storageFailure(error)
            }
            return MCPHTTPResponse(status: 202)
        }
    }

    static let sessionNotFound = MCPHTTPResponse.error(
        .invalidRequest("Not Found: session not found or ended; initialize a new one"), id: nil, status: 404)

    private func storageFailure(_ error: StorageError) -> MCPHTTPResponse {
        logger.error("MCP session store failed", metadata: ["gg.error": "\(error)"])
        return .error(.internalError("Internal error: the session store is unavailable; retry"), id: nil, status: 503)
    }

    private func modern(
        _ request: JSONRPCRequest, headers: @escaping MCPEnvelope.Headers, principal: MCPPrincipal
    ) async -> MCPHTTPResponse {
        let envelope: MCPEnvelope
        switch MCPEnvelope.check(request, headers: headers) {
        case .success(let value): envelope = value
        case .failure(let error): return .error(error, id: request.id, status: error.httpStatus)
        }
        let context = MCPRequestContext(
            principal: principal, era: .modern(version: envelope.version),
            clientCapabilities: envelope.clientCapabilities)
        switch await core.respond(to: request, context: context) {
        case .success(let result): return .json(JSONRPCMessage.result(result, id: request.id))
        case .failure(let error): return .error(error, id: request.id, status: error.httpStatus)
        }
    }

    private func initialize(_ request: JSONRPCRequest, principal: MCPPrincipal) async -> MCPHTTPResponse {
        let handshake: MCPCore.Handshake
        switch core.initialize(request) {
        case .success(let value): handshake = value
        case .failure(let error): return .error(error, id: request.id, status: 400)
        }
        let id: String
        do {
            id = try await sessions.open(principal: principal, handshake: handshake)
        } catch {
            return storageFailure(error)
        }
        return .json(JSONRPCMessage.result(handshake.result, id: request.id), headers: [("Mcp-Session-Id", id)])
    }

    private func inSession(
        _ request: JSONRPCRequest, sessionId: String, principal: MCPPrincipal
    ) async -> MCPHTTPResponse {
        let record: MCPSessionRecord
        do {
            guard let found = try await sessions.find(id: sessionId, principal: principal) else {
                return Self.sessionNotFound
            }
            record = found
        } catch {
            return storageFailure(error)
        }
        let capabilities = (try? JSONParser.parse(Array(record.clientCapabilities.utf8))) ?? [:]
        var context = MCPRequestContext(
            principal: principal, era: .handshake(version: record.protocolVersion), clientCapabilities: capabilities)
        // Reads are answered directly: they never ask, and a cancelled one changes nothing (it runs to its end).
        guard request.method == "tools/call",
            core.catalogue.changesMailbox(toolNamed: request.params["name"]?.stringValue)
        else {
            return Self.answer(await core.respond(to: request, context: context), id: request.id)
        }
        // The call, cancellable by the session's `notifications/cancelled` for its id.
        let key = SessionRequest(session: record.idHash, id: request.id)
        let respond: @Sendable (MCPRequestContext) async -> MCPHTTPResponse = { [core, toolCalls] call in
            let result = await toolCalls.run(key, done: { MCPCore.isCompletedToolCall(try? $0.get()) }) {
                await core.respond(to: request, context: call)
            }
            return Self.answer(result ?? .failure(.requestCancelled), id: request.id)
        }
        guard context.canElicit else { return await respond(context) }
        // The call may need to ask the person: answer with JSON if it does not, switch to SSE the moment it does.
        let (events, stream) = AsyncStream<[UInt8]>.makeStream()
        let decision = StreamDecision()
        let pending = pending
        let timeout = core.configuration.elicitationTimeout
        let session = record.idHash
        context.askInBand = { question in
            let id = JSONRPCID.string("gg-" + SystemRandom.uuid())
            decision.streaming()
            stream.yield(
                MCPHTTPResponse.event(
                    JSONRPCMessage.request(
                        "elicitation/create", params: MCPCore.elicitationParams(question), id: id)))
            return await pending.wait(session: session, id: id, timeout: timeout)
        }
        let call = context
        // The call runs in a task of its own (its answer may go out on the stream after this handler returned), so
        // a client that goes away cancels it explicitly: before the answer is chosen (this handler's task is
        // cancelled), or while the stream is being sent (the stream is cancelled).
        let running = RunningCall()
        stream.onTermination = { termination in
            if case .cancelled = termination { running.cancel() }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<MCPHTTPResponse, Never>) in
                decision.start(continuation, events: events)
                running.start(
                    Task {
                        let answer = await respond(call)
                        if !decision.finish(with: answer), case .json(let bytes) = answer.body {
                            stream.yield(Array("event: message\ndata: ".utf8) + bytes + Array("\n\n".utf8))
                        }
                        stream.finish()
                    })
            }
        } onCancel: {
            running.cancel()
        }
    }

    /// A handshake-era answer: results and JSON-RPC errors both travel with 200.
    static func answer(_ result: Result<Value, JSONRPCError>, id: JSONRPCID) -> MCPHTTPResponse {
        switch result {
        case .success(let value): .json(JSONRPCMessage.result(value, id: id))
        case .failure(let error): .json(JSONRPCMessage.error(error, id: id))
        }
    }
}

/// The task of a handshake-era tool call that may answer on a stream, for cancelling it when its client goes away
/// (a cancellation that comes before the task is known applies when it is).
final class RunningCall: Sendable {
    private let state = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    func start(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { state -> Bool in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            return state.task
        }?.cancel()
    }
}

/// Decides once whether a handshake-era `tools/call` is answered as JSON (it finished without asking) or as SSE
/// (it asked the person first).
final class StreamDecision: Sendable {
    private struct State {
        var continuation: CheckedContinuation<MCPHTTPResponse, Never>?
        var events: AsyncStream<[UInt8]>?
        var decided = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<MCPHTTPResponse, Never>, events: AsyncStream<[UInt8]>) {
        state.withLock {
            $0.continuation = continuation
            $0.events = events
        }
    }

    /// The call is about to ask: answer with the event stream.
    func streaming() {
        let taken = state.withLock { state -> (CheckedContinuation<MCPHTTPResponse, Never>, AsyncStream<[UInt8]>)? in
            guard !state.decided, let continuation = state.continuation, let events = state.events else { return nil }
            state.decided = true
            return (continuation, events)
        }
        guard let (continuation, events) = taken else { return }
        continuation.resume(
            returning: MCPHTTPResponse(
                status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")],
                body: .events(events)))
    }

    /// The call ended: answer with `response` unless the stream was chosen already (then false).
    func finish(with response: MCPHTTPResponse) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<MCPHTTPResponse, Never>? in
            guard !state.decided else { return nil }
            state.decided = true
            return state.continuation
        }
        guard let continuation else { return false }
        continuation.resume(returning: response)
        return true
    }
}
