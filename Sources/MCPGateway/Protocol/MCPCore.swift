import Crypto
import Foundation
import JSONText
import Logging

/// graphgate's MCP protocol core: answers one parsed JSON-RPC request in either era, for one principal.
///
/// Transports (``MCPHTTPEndpoint``, ``MCPStdioServer``) read the wire, decide the era and the session, and call
/// ``respond(to:context:)``; the core never sees bytes, headers or credentials. Results are built as ``Value``
/// and written once by ``JSONWriter``.
public struct MCPCore: Sendable {
    public let catalogue: ToolCatalogue
    public let configuration: MCPConfiguration
    let seal: RequestStateSeal
    let consumedStates: any RequestStateLedger
    let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - stateKey: seals 2026-era `requestState`; give every instance behind one load balancer the same 32-byte
    ///     key (default: random per process, so a question asked before a restart is asked again).
    ///   - consumedStates: where answered states are remembered (default: this process's memory).
    public init(
        catalogue: ToolCatalogue, configuration: MCPConfiguration = MCPConfiguration(), stateKey: SymmetricKey? = nil,
        consumedStates: (any RequestStateLedger)? = nil,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.catalogue = catalogue
        self.configuration = configuration
        self.seal = RequestStateSeal(
            key: stateKey ?? SymmetricKey(size: .bits256), lifetime: configuration.requestStateLifetime)
        self.consumedStates = consumedStates ?? ConsumedRequestStates()
        self.now = now
    }

    /// The answer to `initialize` (handshake era): the negotiated version, and what to store in the session.
    public struct Handshake: Sendable {
        public var result: Value
        public var version: String
        public var clientCapabilities: Value
        public var clientName: String

        public init(result: Value, version: String, clientCapabilities: Value, clientName: String) {
            self.result = result
            self.version = version
            self.clientCapabilities = clientCapabilities
            self.clientName = clientName
        }
    }

    /// Reads `initialize` params: the version to use and the client's capabilities.
    public func initialize(_ request: JSONRPCRequest) -> Result<Handshake, JSONRPCError> {
        guard case .string(let requested)? = request.params["protocolVersion"] else {
            return .failure(.invalidParams("Invalid params: initialize needs params.protocolVersion (a string)"))
        }
        var capabilities: Value = [:]
        switch request.params["capabilities"] {
        case nil, .null?: break
        case .object(let object)?: capabilities = .object(object)
        default: return .failure(.invalidParams("Invalid params: params.capabilities must be an object"))
        }
        if JSONWriter.bytes(capabilities).count > MCPEnvelope.maxMetaBytes {
            return .failure(.invalidParams("Invalid params: params.capabilities is larger than 16 KiB"))
        }
        let version = MCPVersions.negotiated(requested)
        let result: Value = [
            "protocolVersion": .string(version), "capabilities": MCPConfiguration.capabilities,
            "serverInfo": configuration.serverInfo, "instructions": .string(configuration.instructions),
        ]
        let name = request.params["clientInfo"]?["name"]?.stringValue ?? ""
        return .success(
            Handshake(
                result: result, version: version, clientCapabilities: capabilities,
                clientName: String(name.prefix(200))))
    }

    /// Answers one request. `initialize` is the transport's (it opens a session), so here it is refused.
    public func respond(to request: JSONRPCRequest, context: MCPRequestContext) async -> Result<Value, JSONRPCError> {
        if request.method == "tools/list", let cursor = request.params["cursor"], cursor != .null {
            return .failure(.invalidParams("Invalid params: tools/list has a single page; call it without a cursor"))
        }
        switch (context.era, request.method) {
        case (.modern, "server/discover"):
            return .success(
                [
                    "supportedVersions": .array(MCPVersions.all.map { .string($0) }),
                    "capabilities": MCPConfiguration.capabilities, "instructions": .string(configuration.instructions),
                    "resultType": "complete", "ttlMs": .int(ttlMs), "cacheScope": "private",
                    "_meta": serverInfoMeta,
                ])
        case (.modern, "tools/list"):
            // The list depends on this request's token (its scopes), hence private.
            return .success(
                [
                    "tools": catalogue.listTools(for: context.principal), "resultType": "complete",
                    "ttlMs": .int(ttlMs), "cacheScope": "private", "_meta": serverInfoMeta,
                ])
        case (.handshake, "tools/list"):
            return .success(["tools": catalogue.listTools(for: context.principal)])
        case (_, "tools/call"):
            return await callTool(request, context: context)
        case (.handshake, "ping"):
            return .success([:])
        case (.handshake, "initialize"):
            return .failure(.invalidRequest("Invalid request: this session is already initialized"))
        default:
            return .failure(.methodNotFound)
        }
    }

    /// `_meta` naming the server, on every 2026-era result (the specification asks for it).
    private var serverInfoMeta: Value { [MCPVersions.serverInfoKey: configuration.serverInfo] }

    private var ttlMs: Int {
        Int(configuration.listTTL.inMilliseconds)
    }

    private func callTool(_ request: JSONRPCRequest, context: MCPRequestContext) async -> Result<Value, JSONRPCError> {
        guard case .string(let name)? = request.params["name"] else {
            return .failure(.invalidParams("Invalid params: tools/call needs params.name (a string)"))
        }
        var arguments: JSONObject?
        switch request.params["arguments"] {
        case nil, .null?: arguments = nil
        case .object(let object)?: arguments = object
        default: return .failure(.invalidParams("Invalid params: params.arguments must be an object"))
        }
        let principal = context.principal
        let elicit: @Sendable (Elicitation) async throws -> ElicitationAnswer
        var asked: [String] = []
        switch context.era {
        case .handshake:
            let ask = context.canElicit ? context.askInBand : nil
            elicit = { question in await ask?(question) ?? .unsupported }
        case .modern:
            let responses = request.params["inputResponses"]?.objectValue ?? [:]
            if let stateValue = request.params["requestState"], stateValue != .null {
                guard case .string(let text) = stateValue,
                    let opened = seal.open(
                        text, userId: principal.userId, clientId: principal.clientId, tool: name,
                        arguments: arguments, now: now())
                else {
                    return .failure(
                        .invalidParams(
                            "Invalid params: requestState is not valid for this call (expired, altered, or made for "
                                + "other arguments); call the tool again without it"))
                }
                let firstUse: Bool
                do {
                    firstUse = try await consumedStates.consume(
                        sealed: opened.sealed, expiresAt: opened.state.expiresAt, now: now())
                } catch {
                    return .failure(
                        .internalError("Internal error: the requestState could not be checked; retry in a moment"))
                }
                guard firstUse else {
                    return .failure(
                        .invalidParams(
                            "Invalid params: requestState was already used (each answers one retry); call the tool "
                                + "again without it"))
                }
                asked = opened.state.keys
            }
            let answerable = Set(asked)
            let canElicit = context.canElicit
            elicit = { question in
                guard canElicit else { return .unsupported }
                guard answerable.contains(question.key), let response = responses[question.key] else {
                    throw InputRequired(question: question)
                }
                return Self.answer(response)
            }
        }
        let outcome: ToolCatalogue.CallOutcome
        do {
            outcome = try await catalogue.call(
                name: name, arguments: arguments, principal: principal, elicit: elicit)
        } catch {
            return .failure(error)
        }
        switch outcome {
        case .complete(var result):
            if case .modern = context.era, case .object(var object) = result {
                object["resultType"] = "complete"
                var meta = object["_meta"]?.objectValue ?? [:]
                meta[MCPVersions.serverInfoKey] = configuration.serverInfo
                object["_meta"] = .object(meta)
                result = .object(object)
            }
            return .success(result)
        case .inputRequired(let question):
            let state = seal.seal(
                .init(
                    userId: principal.userId, clientId: principal.clientId, tool: name,
                    argumentsHash: RequestStateSeal.argumentsHash(arguments), keys: asked + [question.key],
                    expiresAt: now() + configuration.requestStateLifetime.components.seconds))
            return .success(
                [
                    "resultType": "input_required",
                    "inputRequests": [
                        question.key: [
                            "method": "elicitation/create",
                            "params": Self.elicitationParams(question),
                        ]
                    ],
                    "requestState": .string(state), "_meta": serverInfoMeta,
                ])
        }
    }

    /// Whether `result` is the result of a tool call that ran to its end without error (what was asked was done).
    static func isCompletedToolCall(_ result: Value?) -> Bool {
        result?["isError"] == .bool(false)
    }

    /// `elicitation/create` params for a form question.
    static func elicitationParams(_ question: Elicitation) -> Value {
        ["mode": "form", "message": .string(question.message), "requestedSchema": question.schema]
    }

    /// An `ElicitResult` (`action`, `content`) as an answer; anything malformed counts as declined.
    static func answer(_ response: Value) -> ElicitationAnswer {
        switch response["action"]?.stringValue {
        case "accept": .accepted(response["content"]?.objectValue ?? [:])
        default: .declined
        }
    }
}
