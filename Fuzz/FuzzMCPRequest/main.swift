// libFuzzer target: one JSON-RPC message as /mcp or stdio reads it, from graphgate's JSON parser through the
// protocol core (both eras) and the tool catalogue (schema checks, then each tool's own checks) up to the first
// Graph call, which fails without I/O. Also: whatever the parser accepts, written back and parsed again, is the
// same value.
import AsyncHTTPClient
import Crypto
import Foundation
import FuzzSupport
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

    static let core: MCPCore = {
        let graph = GraphClient(
            httpClient: .shared, baseURL: URL(string: "https://graph.invalid")!, tokenProvider: OfflineTokens(),
            mailboxKey: "fuzz", limiter: MailboxLimiter(), retryPolicy: GraphRetryPolicy(maxAttempts: 1),
            logger: Fuzz.silentLogger)
        let catalogue = ToolCatalogue(
            policy: ToolPolicy(sendAllowedDomains: ["contoso.com"], sendsPerHour: 1_000_000),
            graph: ClosureGraphClientSource { _, _ in graph }, audit: NullAudit(), logger: Fuzz.silentLogger,
            cursorKey: SymmetricKey(data: Data(repeating: 7, count: 32)))
        return MCPCore(catalogue: catalogue, stateKey: SymmetricKey(data: Data(repeating: 9, count: 32)))
    }()

    /// The answer the core gives `body` (a modern request when its `_meta` says so, else as in a handshake-era
    /// session that declared every capability), or nil for a notification or response.
    static func answer(_ body: Data) async -> Value? {
        switch JSONRPCMessage.parse(body) {
        case .failure(let failure): return JSONRPCMessage.error(failure.error, id: failure.id)
        case .success(.notification), .success(.response): return nil
        case .success(.request(let request)):
            var context = MCPRequestContext(
                principal: principal, era: .handshake(version: "2025-11-25"), clientCapabilities: ["elicitation": [:]],
                askInBand: { _ in .declined })
            if MCPEnvelope.claimsModern(request) {
                switch MCPEnvelope.check(request, headers: nil) {
                case .failure(let error): return JSONRPCMessage.error(error, id: request.id)
                case .success(let envelope):
                    context = MCPRequestContext(
                        principal: principal, era: .modern(version: envelope.version),
                        clientCapabilities: envelope.clientCapabilities)
                }
            }
            switch await core.respond(to: request, context: context) {
            case .success(let result): return JSONRPCMessage.result(result, id: request.id)
            case .failure(let error): return JSONRPCMessage.error(error, id: request.id)
            }
        }
    }

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
        if let value = try? JSONParser.parse(body) {
            Fuzz.require(
                (try? JSONParser.parse(JSONWriter.bytes(value))) == value, "written JSON does not parse back the same")
        }
        guard let reply = Fuzz.blocking({ await Target.answer(body) }) else { return }
        let answerData = JSONWriter.data(reply)
        let parsed = try? JSONSerialization.jsonObject(with: answerData, options: [.fragmentsAllowed])
        Fuzz.require(parsed != nil, "the response is not JSON")
        let status = reply["error"] == nil ? 200 : 400

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
        if answerData.range(of: canaryBytes) != nil, body.range(of: canaryBytes) != nil, let sent {
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
