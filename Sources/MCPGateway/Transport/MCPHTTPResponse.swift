/// What the `/mcp` endpoint answers, before the web framework turns it into a response.
public struct MCPHTTPResponse: Sendable {
    public enum Body: Sendable {
        case empty
        /// One JSON-RPC message (`application/json`).
        case json([UInt8])
        /// Server-sent events (`text/event-stream`), each chunk one complete event.
        case events(AsyncStream<[UInt8]>)
    }

    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ message: Value, status: Int = 200, headers: [(name: String, value: String)] = []) -> Self {
        Self(
            status: status, headers: [("Content-Type", "application/json")] + headers,
            body: .json(JSONWriter.bytes(message)))
    }

    static func error(_ error: JSONRPCError, id: JSONRPCID?, status: Int) -> Self {
        json(JSONRPCMessage.error(error, id: id), status: status)
    }

    /// One SSE event carrying a JSON-RPC message.
    static func event(_ message: Value) -> [UInt8] {
        Array("event: message\ndata: ".utf8) + JSONWriter.bytes(message) + Array("\n\n".utf8)
    }
}
