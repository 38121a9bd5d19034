import Foundation
import Logging
import MCPGateway
import Testing

/// Inputs found by the libFuzzer targets in Fuzz/ (docs/fuzzing.md), fed to the same entry points.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // MARK: FuzzHTMLSanitizer

    /// `<` followed by a combining mark is one Character; the escaping replaced Characters, so html() emitted a
    /// raw `<` (crash-39ab95c7…, minimised to the 3 bytes `<` U+030A).
    @Test("the minimised input: < U+030A comes out escaped")
    func combiningMarkCrash() {
        #expect(HTMLSanitizer.html("<\u{30A}") == "&lt;\u{30A}")
    }

    @Test(
        "html() escapes <, >, &, quotes even when a combining mark follows them",
        arguments: ["<\u{30A}", "x>\u{301}", "&\u{308}amp;", "\"\u{301}", "'\u{301}", "<\u{301}script>alert(1)"])
    func combiningMarks(_ text: String) {
        let html = Array(HTMLSanitizer.html("<p>" + text + "</p>").utf8)
        #expect(html.filter { $0 == UInt8(ascii: "<") }.count == 2, "only <p> and </p> are markup")
        #expect(html.filter { $0 == UInt8(ascii: ">") }.count == 2)
        #expect(!html.contains(UInt8(ascii: "\"")) && !html.contains(UInt8(ascii: "'")))
        for (index, byte) in html.enumerated() where byte == UInt8(ascii: "&") {
            #expect(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains { html[index...].starts(with: $0.utf8) })
        }
    }

    /// CSS colours that trapped the process (one hostile mail body took the server down for everyone): `Int(_:)`
    /// of a non-finite `rgb()` channel, and a force-unwrapped `Int(_:radix:)` of a fullwidth hex digit, which
    /// `Character.isHexDigit` accepts. Spotted in review while writing FuzzHTMLSanitizer (its first 10-minute run
    /// had not reached them); its dictionary now carries such values.
    @Test(
        "colours with non-finite or fullwidth values neither trap nor hide text",
        arguments: [
            "rgb(nan,0,0)", "rgb(inf, 0, 0)", "rgb(1e400,1e400,1e400)", "rgb(-1e400,0,0)", "#\u{FF41}\u{FF41}\u{FF41}",
            "#\u{FF10}\u{FF10}\u{FF10}\u{FF10}\u{FF10}\u{FF10}", "#a\u{301}bc",
        ])
    func hostileColours(_ colour: String) {
        for html in [
            "<p style=\"color:\(colour)\">shown</p>", "<font color=\"\(colour)\">shown</font>",
            "<table bgcolor=\"\(colour)\"><tr><td>shown</td></tr></table>",
        ] {
            #expect(HTMLSanitizer.text(html) == "shown")
            #expect(HTMLSanitizer.html(html).contains("shown"))
        }
    }

    @Test("rgb() channels are clamped like a browser does: 300 is white, so white-on-white text is hidden")
    func clampedChannels() {
        #expect(HTMLSanitizer.text(#"<p style="color:rgb(300,300,300)">gone</p><p>kept</p>"#) == "kept")
    }

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

    @Test(
        "an MCP body that two JSON readers could read differently is refused with an error naming why",
        arguments: ambiguousBodies + [
            #"{"jsonrpc":"2.0","id":2,"id":2,"method":"ping"}"#, #"{"jsonrpc":"2.0","id":1.0,"method":"ping"}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"a":"\ud800"}}}"#,
        ])
    func ambiguousJSONRPC(_ body: String) throws {
        guard case .failure(let failure) = JSONRPCMessage.parse(Array(body.utf8)) else {
            Issue.record("accepted: \(body)")
            return
        }
        #expect(
            ["repeated object member", "id must be a string or an integer", "batches", "lone surrogate"].contains {
                failure.error.message.contains($0)
            }, "\(failure.error.message)")
        #expect(!failure.error.message.contains("ping"))
    }

    @Test("a plain message is read as what it says")
    func unambiguousJSONRPC() throws {
        guard case .success(.request(let request)) = JSONRPCMessage.parse(Array(#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#.utf8))
        else {
            Issue.record("refused")
            return
        }
        #expect(request.id == .string("a") && request.method == "ping")
    }

    @Test("a tool call disguised by a repeated method is refused by the real app, not run past the tool-call gate")
    func disguisedToolCall() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let token = try await MCPHTTPTests.plantToken(
                server: server, audience: server.baseURL + "/mcp", scope: "mcp mcp:write")
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let session = try await mcp.open(token: token)
            // A repeated member is refused before the gate or the core sees the message.
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
