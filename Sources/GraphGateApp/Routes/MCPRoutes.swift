import Authorization
import Foundation
import GraphGateWeb
import HTTPTypes
import Hummingbird
import MCPGateway
import NIOCore

/// `/mcp`: MCP over HTTP, both protocol eras (``MCPHTTPEndpoint``): POST messages, DELETE a handshake-era
/// session; GET is 405 (graphgate never sends outside a request's own answer).
///
/// Order matters: Origin (DNS-rebinding protection) → Host on a loopback deployment → bearer authentication →
/// body cap → one parse of the body → tool-call budget → the protocol core, with the principal of this request's
/// token (its scopes decide what `tools/list` shows and what `tools/call` may do).
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
        if let origin = request.headers[.origin], !access.acceptedOrigins.contains(origin) {
            return BearerAuthenticator.plain(.forbidden, "requests from this Origin are not accepted")
        }
        if access.loopbackPublicHost, let host = request.head.authority,
            !RedirectURIPolicy.isLoopback(RedirectURIPolicy.hostName(ofAuthority: host))
        {
            // A loopback deployment answering a foreign Host name is a DNS-rebinding attempt.
            return BearerAuthenticator.plain(.forbidden, "this Host is not accepted")
        }
        let authenticator = BearerAuthenticator(
            authorization: access.authorization, userBlock: access.userBlock, audit: access.audit,
            failureGate: access.bearerFailureGate)
        let principal: MCPPrincipal
        switch await authenticator.authenticate(request, sourceIP: context.sourceIP) {
        case .rejected(let response): return response
        case .authenticated(let authenticated): principal = authenticated
        }
        var message: Result<JSONRPCMessage, JSONRPCMessage.Failure>?
        if request.method == .post {
            var request = request
            let buffer: ByteBuffer
            do {
                buffer = try await request.collectBody(upTo: MCPAccess.mcpBodyLimit)
            } catch {
                return Self.convert(
                    .init(
                        status: 413, headers: [("Content-Type", "application/json")],
                        body: .json(
                            JSONWriter.bytes(
                                JSONRPCMessage.error(.invalidRequest("Request body is larger than 512 KiB"), id: nil))))
                )
            }
            message = buffer.readableBytesView.isEmpty ? nil : JSONRPCMessage.parse(buffer.readableBytesView)
        }
        if case .success(.request(let call))? = message, call.method == "tools/call",
            let refusal = await access.toolCallGate(principal, call.id)
        {
            let outcome: MCPMetrics.ToolOutcome = refusal.status == .tooManyRequests ? .rateLimited : .denied
            MCPMetrics.toolCall(call.params["name"]?.stringValue ?? "", outcome)
            return refusal
        }
        let fields = request.headers
        let headers: MCPEnvelope.Headers = { name in
            guard let field = HTTPField.Name(name) else { return [] }
            return fields[values: field]
        }
        let response = await access.endpoint.handle(
            method: request.method.rawValue, headers: headers, message: message, principal: principal)
        return Self.convert(response)
    }

    static func convert(_ response: MCPHTTPResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        CORS.allow(&fields)
        let status = HTTPResponse.Status(code: response.status)
        switch response.body {
        case .empty:
            return Response(status: status, headers: fields)
        case .json(let bytes):
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .events(let events):
            return Response(
                status: status, headers: fields, body: ResponseBody(asyncSequence: events.map { ByteBuffer(bytes: $0) })
            )
        }
    }
}
