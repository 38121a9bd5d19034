/// A JSON-RPC 2.0 request id: a string or an integer (never null, a fraction or a boolean).
public enum JSONRPCID: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case int(Int)

    public var value: Value {
        switch self {
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        }
    }

    /// The id a JSON value names (a string or an integer; nil for anything else).
    public init?(_ value: Value) {
        switch value {
        case .string(let s): self = .string(s)
        case .int(let i): self = .int(i)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        }
    }
}

/// A JSON-RPC error object (`code`, `message`, optional `data`), also the error a handler throws.
public struct JSONRPCError: Error, Sendable, Equatable {
    public var code: Int
    public var message: String
    public var data: Value?

    public init(code: Int, message: String, data: Value? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603
    /// 2026-07-28: HTTP headers disagree with the body, or a required one is missing.
    public static let headerMismatchCode = -32020
    /// 2026-07-28: the request needs a client capability it did not declare.
    public static let missingCapabilityCode = -32021
    /// 2026-07-28: the protocol version is not one this server speaks (`data: {supported, requested}`).
    public static let unsupportedVersionCode = -32022
    /// Handshake era over HTTP: the answer to a request the client cancelled (`notifications/cancelled`), which
    /// ends its POST (the code the reference server uses).
    public static let requestCancelledCode = -32800
    public static let requestCancelled = Self(code: requestCancelledCode, message: "Request cancelled")

    public static func parseError(_ message: String) -> Self { .init(code: parseErrorCode, message: message) }
    public static func invalidRequest(_ message: String) -> Self { .init(code: invalidRequestCode, message: message) }
    /// The method name is never repeated: it could be anything a client sent (a token too).
    public static let methodNotFound = Self(code: methodNotFoundCode, message: "Method not found")
    public static func invalidParams(_ message: String) -> Self { .init(code: invalidParamsCode, message: message) }
    public static func internalError(_ message: String) -> Self { .init(code: internalErrorCode, message: message) }
    public static func headerMismatch(_ message: String) -> Self { .init(code: headerMismatchCode, message: message) }

    var json: Value {
        var object: JSONObject = ["code": .int(code), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    /// The HTTP status the 2026-07-28 transport gives this error (400 for malformed, 404 for an unknown method).
    public var httpStatus: Int {
        switch code {
        case Self.methodNotFoundCode: 404
        case Self.parseErrorCode, Self.invalidRequestCode, Self.invalidParamsCode, Self.headerMismatchCode,
            Self.missingCapabilityCode, Self.unsupportedVersionCode:
            400
        default: 200
        }
    }
}

/// A JSON-RPC request: a method, its params object and an id the answer must carry.
public struct JSONRPCRequest: Sendable {
    public var id: JSONRPCID
    public var method: String
    public var params: JSONObject

    public init(id: JSONRPCID, method: String, params: JSONObject = [:]) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// `params._meta`, when it is an object.
    public var meta: JSONObject? { params["_meta"]?.objectValue }
}

/// One JSON-RPC message, read once from the wire and checked for shape.
public enum JSONRPCMessage: Sendable {
    case request(JSONRPCRequest)
    case notification(method: String, params: JSONObject)
    /// A client's answer to a request the server sent it (legacy in-band elicitation).
    case response(id: JSONRPCID, result: Result<Value, JSONRPCError>)

    /// Parses one message. Batches are refused (no MCP revision since 2025-06-18 has them); so are repeated
    /// members, an id that is not a string or integer, params that are not an object, and a missing `jsonrpc`.
    /// The error carries the request's id when one could be read.
    public static func parse(_ body: some Collection<UInt8>) -> Result<JSONRPCMessage, Failure> {
        let value: Value
        do {
            value = try JSONParser.parse(body)
        } catch {
            return .failure(.init(id: nil, error: .parseError("Parse error: the body is not JSON (\(error))")))
        }
        return parse(value)
    }

    /// A message that could not be read: the error to answer with, and the id to answer to (if any).
    public struct Failure: Error, Sendable {
        public var id: JSONRPCID?
        public var error: JSONRPCError
    }

    public static func parse(_ value: Value) -> Result<JSONRPCMessage, Failure> {
        if case .array = value {
            return .failure(.init(id: nil, error: .invalidRequest("Invalid request: batches are not supported")))
        }
        guard case .object(let object) = value else {
            return .failure(.init(id: nil, error: .invalidRequest("Invalid request: a message is a JSON object")))
        }
        var id: JSONRPCID?
        if let raw = object["id"] {
            guard let parsed = JSONRPCID(raw) else {
                return .failure(
                    .init(id: nil, error: .invalidRequest("Invalid request: id must be a string or an integer")))
            }
            id = parsed
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return .failure(.init(id: id, error: .invalidRequest("Invalid request: jsonrpc must be \"2.0\"")))
        }
        if let methodValue = object["method"] {
            guard case .string(let method) = methodValue, !method.isEmpty else {
                return .failure(.init(id: id, error: .invalidRequest("Invalid request: method must be a string")))
            }
            var params: JSONObject = [:]
            switch object["params"] {
            case nil, .null?: break
            case .object(let p)?: params = p
            default:
                return .failure(.init(id: id, error: .invalidParams("Invalid params: params must be an object")))
            }
            guard let id else { return .success(.notification(method: method, params: params)) }
            return .success(.request(JSONRPCRequest(id: id, method: method, params: params)))
        }
        guard let id else {
            return .failure(
                .init(id: nil, error: .invalidRequest("Invalid request: a request needs a method and an id")))
        }
        if let result = object["result"], object["error"] == nil { return .success(.response(id: id, result: .success(result))) }
        if case .object(let error)? = object["error"], object["result"] == nil, let code = error["code"]?.intValue {
            let message = error["message"]?.stringValue ?? ""
            return .success(.response(id: id, result: .failure(.init(code: code, message: message, data: error["data"]))))
        }
        return .failure(.init(id: id, error: .invalidRequest("Invalid request: method is missing")))
    }

    /// The refusal of a message without an id whose method is not a notification (it would otherwise run with
    /// nobody to answer); nil for `notifications/…`. The method is named only when it is one of ours.
    public static func missingId(_ method: String) -> JSONRPCError? {
        guard !method.hasPrefix("notifications/") else { return nil }
        let known = ["initialize", "ping", "server/discover", "tools/list", "tools/call"].contains(method)
        return .invalidRequest("Invalid request: \(known ? method : "this method") is a request and needs an id")
    }

    /// The request a `notifications/cancelled` names (`params.requestId`); nil for any other notification.
    public static func cancelledRequest(method: String, params: JSONObject) -> JSONRPCID? {
        guard method == "notifications/cancelled", let raw = params["requestId"] else { return nil }
        return JSONRPCID(raw)
    }

    /// `{"jsonrpc":"2.0","id":…,"result":…}`
    public static func result(_ result: Value, id: JSONRPCID) -> Value {
        ["id": id.value, "jsonrpc": "2.0", "result": result]
    }

    /// `{"jsonrpc":"2.0","id":…|null,"error":…}`
    public static func error(_ error: JSONRPCError, id: JSONRPCID?) -> Value {
        ["jsonrpc": "2.0", "id": id?.value ?? .null, "error": error.json]
    }

    /// A server→client request (legacy in-band elicitation).
    public static func request(_ method: String, params: Value, id: JSONRPCID) -> Value {
        ["jsonrpc": "2.0", "id": id.value, "method": .string(method), "params": params]
    }
}
