import Foundation
import Logging
import MCP
import MCPGateway
import Testing

/// Inputs found by the libFuzzer targets in Fuzz/ (docs/fuzzing.md), fed to the same entry points.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // MARK: FuzzMCPRequest

    /// Bodies the MCP SDK's transport (JSONSerialization: last duplicate wins, `true` is the id 1) and its server
    /// (JSONDecoder: first duplicate wins, `true` is no id) read differently. Before the fix the server answered
    /// another id than the transport waited for: the HTTP request never completed and its Server never stopped.
    static let ambiguousBodies = [
        #"{"jsonrpc":"2.0","id":"a","id":2,"method":"ping"}"#,
        #"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
        #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_profile"},"method":"ping"}"#,
        #"[{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}]"#,
    ]

    static func post(_ body: String, session: String? = nil) -> MCP.HTTPRequest {
        var headers = ["Accept": "application/json, text/event-stream", "Content-Type": "application/json"]
        if let session { headers["Mcp-Session-Id"] = session }
        return MCP.HTTPRequest(method: "POST", headers: headers, body: Data(body.utf8), path: "/mcp")
    }

    static let principal = MCPPrincipal(userId: "u", clientId: "c", grantId: "g", scopes: ["mcp"])

    @Test(
        "an MCP body whose id or method two JSON readers disagree on is refused with 400, in both modes",
        .timeLimit(.minutes(1)), arguments: ambiguousBodies)
    func ambiguousJSONRPC(_ body: String) async throws {
        #expect(JSONRPCBody.isAmbiguous(Data(body.utf8)))
        var stateless = MCPSessionConfiguration()
        stateless.stateless = true
        let statelessManager = MCPSessionManager(configuration: stateless, logger: Logger(label: "test")) { _, _ in }
        #expect(await statelessManager.handle(Self.post(body), principal: Self.principal).statusCode == 400)

        let manager = MCPSessionManager(configuration: MCPSessionConfiguration(), logger: Logger(label: "test")) {
            _, _ in
        }
        let opened = await manager.handle(
            Self.post(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#),
            principal: Self.principal)
        let session = try #require(opened.headers[HTTPHeaderName.sessionID])
        let refused = await manager.handle(Self.post(body, session: session), principal: Self.principal)
        #expect(refused.statusCode == 400)
        #expect(!(String(data: refused.bodyData ?? Data(), encoding: .utf8) ?? "").contains("ping"))
        await manager.closeAllSessions()
    }

    @Test(
        "the same messages without the ambiguity are still served",
        .timeLimit(.minutes(1)),
        arguments: [
            #"{"jsonrpc":"2.0","id":"a","method":"ping"}"#, #"{"jsonrpc":"2.0","id":2,"id":2,"method":"ping"}"#,
            #"{"jsonrpc":"2.0","id":1.0,"method":"ping"}"#,
        ])
    func unambiguousJSONRPC(_ body: String) async throws {
        #expect(!JSONRPCBody.isAmbiguous(Data(body.utf8)))
        var stateless = MCPSessionConfiguration()
        stateless.stateless = true
        let manager = MCPSessionManager(configuration: stateless, logger: Logger(label: "test")) { _, _ in }
        let response = await manager.handle(Self.post(body), principal: Self.principal)
        #expect(response.statusCode == 200)
        let reply = try #require(response.bodyData.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] })
        #expect(reply["result"] != nil)
    }

    @Test("a tool call disguised by a repeated method is refused by the real app, not run past the tool-call gate")
    func disguisedToolCall() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let token = try await MCPHTTPTests.plantToken(
                server: server, audience: server.baseURL + "/mcp", scope: "mcp mcp:write")
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let session = try await mcp.open(token: token)
            // The routes' gate (rate limit, blocks) reads the last "method"; the SDK ran the first.
            let disguised =
                #"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_profile","arguments":{}},"method":"ping"}"#
            let page = try await mcp.post(disguised, token: token, session: session)
            #expect(page.status == 400)
            #expect(!page.body.contains("content"))
            let plain = #"{"jsonrpc":"2.0","id":6,"method":"ping"}"#
            #expect(try await mcp.post(plain, token: token, session: session).status == 200)
        }
    }
}
