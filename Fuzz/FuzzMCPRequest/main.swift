// libFuzzer target: one HTTP body POSTed to /mcp, from the MCP SDK's JSON-RPC decoding through graphgate's tool
// catalogue (schema checks, then each tool's own checks) up to the first Graph call, which fails without I/O.
// The session manager runs in stateless mode so every input gets a fresh Server + transport and its response.
import AsyncHTTPClient
import Crypto
import Foundation
import FuzzSupport
import MCP
import MCPGateway
import MicrosoftGraph

/// Grants every Microsoft scope the tools ask for but never yields a token: a tool runs all of its checks and
/// then fails at its first Graph call, before any network I/O.
struct OfflineTokens: AccessTokenProvider {
    struct Offline: Error, CustomStringConvertible {
        var description: String { "offline (fuzzing)" }
    }

    func accessToken(forceRefresh: Bool) async throws -> String { throw Offline() }
    func accessToken(replacing rejected: String) async throws -> String { throw Offline() }
    func grantedScopes() async throws -> Set<String> {
        [
            "Mail.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.Read", "Calendars.ReadWrite", "Contacts.Read",
            "Contacts.ReadWrite", "User.Read",
        ]
    }
}

enum Target {
    /// Seeds put this in argument values; a response must never repeat it (tool errors name the argument, never
    /// its value). Longer than any prefix an error message quotes.
    static let canary = "gg-canary-0123456789abcdef"

    static let principal = MCPPrincipal(
        userId: "fuzz-user", clientId: "fuzz-client", grantId: "fuzz-grant", scopes: ["mcp", "mcp:write"])

    static let sessions: MCPSessionManager = {
        let graph = GraphClient(
            httpClient: .shared, baseURL: URL(string: "https://graph.invalid")!, tokenProvider: OfflineTokens(),
            mailboxKey: "fuzz", limiter: MailboxLimiter(), retryPolicy: GraphRetryPolicy(maxAttempts: 1),
            logger: Fuzz.silentLogger)
        let catalogue = ToolCatalogue(
            policy: ToolPolicy(sendAllowedDomains: ["contoso.com"], sendsPerHour: 1_000_000),
            graph: ClosureGraphClientSource { _, _ in graph }, audit: NullAudit(), logger: Fuzz.silentLogger,
            cursorKey: SymmetricKey(data: Data(repeating: 7, count: 32)))
        var configuration = MCPSessionConfiguration()
        configuration.stateless = true
        return MCPSessionManager(configuration: configuration, logger: Fuzz.silentLogger) { server, principal in
            await catalogue.register(on: server, principal: principal)
        }
    }()

    /// Strings the server may legitimately repeat: ids, method and tool names, and every object key (decoding
    /// errors name their coding path).
    static func echoable(_ json: Any, into out: inout [String]) {
        switch json {
        case let object as [String: Any]:
            for (key, value) in object {
                out.append(key)
                if ["id", "method", "name"].contains(key), let text = value as? String { out.append(text) }
                echoable(value, into: &out)
            }
        case let array as [Any]:
            for item in array { echoable(item, into: &out) }
        default:
            break
        }
    }

    static func run(_ body: Data) {
        let request = MCP.HTTPRequest(
            method: "POST",
            headers: ["content-type": "application/json", "accept": "application/json, text/event-stream"],
            body: body, path: "/mcp")
        let response = Fuzz.blocking { await sessions.handle(request, principal: principal) }
        let status = response.statusCode
        Fuzz.require([200, 202, 400, 405, 406, 415].contains(status), "unexpected HTTP status \(status)")
        guard let answer = response.bodyData, !answer.isEmpty else { return }
        let parsed = try? JSONSerialization.jsonObject(with: answer, options: [.fragmentsAllowed])
        Fuzz.require(parsed != nil, "the response body is not JSON")

        let sent = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        if let message = sent as? [String: Any], status == 200, let reply = parsed as? [String: Any] {
            // A response answers the request it was given.
            if let id = message["id"] as? String {
                Fuzz.require(reply["id"] as? String == id, "response id differs from the request's")
            } else if let id = message["id"] as? Int, !(message["id"] is Bool) {
                Fuzz.require(reply["id"] as? Int == id, "response id differs from the request's")
            }
        }
        let canaryBytes = Data(canary.utf8)
        if answer.range(of: canaryBytes) != nil, body.range(of: canaryBytes) != nil, let sent {
            var allowed: [String] = []
            echoable(sent, into: &allowed)
            Fuzz.require(
                allowed.contains { $0.contains(canary) }, "the response repeats a value from the request's arguments")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    Target.run(Fuzz.data(bytes, size))
    return 0
}
