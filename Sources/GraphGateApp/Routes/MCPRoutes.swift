import Foundation
import HTTPTypes
import Hummingbird
import MCP
import MCPGateway
import NIOCore

/// `/mcp`: MCP Streamable HTTP (POST messages, GET the server's SSE stream, DELETE the session).
///
/// Order matters: Origin (DNS-rebinding protection) → bearer authentication → protocol version → body cap →
/// only then the session manager, which creates or finds the MCP `Server` bound to this principal.
struct MCPRoutes {
    let access: MCPAccess

    func add(to router: Router<GraphGateRequestContext>) {
        let handler: @Sendable (Request, GraphGateRequestContext) async throws -> Response = { request, context in
            try await handle(request, context: context)
        }
        router.post("mcp", use: handler)
        router.get("mcp", use: handler)
        router.delete("mcp", use: handler)
        router.on("mcp", method: .options) { _, _ in CORS.preflight() }
    }

    func handle(_ request: Request, context: GraphGateRequestContext) async throws -> Response {
        if let origin = request.headers[.origin], origin != access.publicOrigin {
            return BearerAuthenticator.plain(.forbidden, "requests from this Origin are not accepted")
        }
        if access.loopbackPublicHost, let host = request.head.authority,
            !GraphGateConfig.isLoopback(Self.hostName(host))
        {
            // A loopback deployment answering a foreign Host name is a DNS-rebinding attempt.
            return BearerAuthenticator.plain(.forbidden, "this Host is not accepted")
        }
        let authenticator = BearerAuthenticator(
            authorization: access.authorization, users: access.users, audit: access.audit)
        let principal: MCPPrincipal
        switch await authenticator.authenticate(request, sourceIP: context.sourceIP) {
        case .rejected(let response): return response
        case .authenticated(let authenticated): principal = authenticated
        }
        if let version = request.headers[HTTPField.Name("MCP-Protocol-Version")!],
            !Version.supported.contains(version)
        {
            return Self.jsonRPCError(.badRequest, "Bad Request: Unsupported MCP-Protocol-Version")
        }
        var body: Data?
        if request.method == .post {
            var request = request
            do {
                let buffer = try await request.collectBody(upTo: MCPAccess.mcpBodyLimit)
                body = Data(buffer: buffer)
            } catch {
                return Self.jsonRPCError(.contentTooLarge, "Request body is larger than 512 KiB")
            }
        }
        if let body, case let tools = Self.toolCalls(in: body), !tools.isEmpty,
            let refusal = await access.toolCallGate(principal)
        {
            let outcome: MCPMetrics.ToolOutcome = refusal.status == .tooManyRequests ? .rateLimited : .denied
            for tool in tools { MCPMetrics.toolCall(tool, outcome) }
            return refusal
        }
        if let body, let refusal = Self.unknownMethodRefusal(body) { return refusal }
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            // The MCP layer never sees credentials (handlers can read the HTTP context).
            if name == "authorization" || name == "cookie" { continue }
            if let existing = headers[name] {
                headers[name] = existing + ", " + field.value
            } else {
                headers[name] = field.value
            }
        }
        let mcpRequest = MCP.HTTPRequest(
            method: request.method.rawValue, headers: headers, body: body, path: request.uri.path)
        var logger = context.logger
        logger[metadataKey: "gg.user"] = "\(principal.userId)"
        logger[metadataKey: "gg.client"] = "\(principal.clientId)"
        let response = await access.sessions.handle(mcpRequest, principal: principal)
        return Self.convert(response)
    }

    static func convert(_ response: MCP.HTTPResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
        }
        CORS.allow(&fields)
        let status = HTTPResponse.Status(code: response.statusCode)
        switch response {
        case .stream(let stream, _):
            let buffers = stream.map { ByteBuffer(bytes: $0) }
            return Response(status: status, headers: fields, body: ResponseBody(asyncSequence: buffers))
        default:
            let body = response.bodyData.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody()
            return Response(status: status, headers: fields, body: body)
        }
    }

    static func jsonRPCError(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let object: [String: Any] = [
            "jsonrpc": "2.0", "id": NSNull(), "error": ["code": -32600, "message": message] as [String: Any],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        CORS.allow(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The tool names of the JSON-RPC `tools/call` requests in `body` (one message or a batch); empty when there
    /// are none. A call without a string name counts as "" (a tool that does not exist).
    static func toolCalls(in body: Data) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: body) else { return [] }
        let messages = (object as? [[String: Any]]) ?? [object as? [String: Any]].compactMap { $0 }
        return messages.filter { $0["method"] as? String == "tools/call" }.map {
            ($0["params"] as? [String: Any])?["name"] as? String ?? ""
        }
    }

    /// The JSON-RPC methods graphgate's MCP server answers.
    static let knownMethods: Set<String> = ["initialize", "ping", "tools/list", "tools/call"]

    /// The answer to a request (or a batch holding one) for a method graphgate does not have, made here because
    /// the SDK's "Method not found" error repeats the method name, which can be anything a client sent (a token
    /// too). Notifications (no `id`) pass on: nothing answers them.
    static func unknownMethodRefusal(_ body: Data) -> Response? {
        guard let object = try? JSONSerialization.jsonObject(with: body) else { return nil }
        let messages = (object as? [[String: Any]]) ?? [object as? [String: Any]].compactMap { $0 }
        let unknown = messages.contains { message in
            guard message["id"] != nil, let method = message["method"] as? String else { return false }
            return !knownMethods.contains(method)
        }
        guard unknown else { return nil }
        guard messages.count == 1, let id = messages[0]["id"], object is [String: Any] else {
            return jsonRPCError(.badRequest, "Method not found (in a batch)")
        }
        let reply: [String: Any] = [
            "jsonrpc": "2.0", "id": id, "error": ["code": -32601, "message": "Method not found"] as [String: Any],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: reply)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        CORS.allow(&headers)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `host:port` or `[v6]:port` → the host part.
    static func hostName(_ hostHeader: String) -> String {
        if hostHeader.hasPrefix("["), let end = hostHeader.firstIndex(of: "]") {
            return String(hostHeader[...end])
        }
        return String(hostHeader.split(separator: ":", maxSplits: 1).first ?? "")
    }
}
