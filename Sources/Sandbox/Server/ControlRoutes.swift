import Foundation
import Hummingbird

/// The loopback-only control path `/_sandbox/...` for tests and benchmarks (JSON in, JSON out).
struct ControlRoutes: Sendable {
    let core: TenantCore
    var state: TenantState { core.state }

    func handle(_ request: inout Request, context: SandboxRequestContext) async -> Response {
        guard context.peerIsLoopback else {
            return HTTPReply.json(403, .object([("error", "the control path answers loopback clients only")]))
        }
        let seg = Array(request.pathSegments.dropFirst())
        let method = request.method
        let body = method == .get ? nil : await request.bodyData(limit: 1024 * 1024)
        let json = body.flatMap { $0.isEmpty ? nil : JSONValue.parse($0) }
        func bad(_ text: String, _ status: Int = 400) -> Response {
            HTTPReply.json(status, .object([("error", .string(text))]))
        }

        switch (method, seg.first ?? "", seg.count) {
        case (.get, "health", 1):
            return HTTPReply.json(
                200, .object([("status", "ok"), ("tenantId", .string(SandboxConfiguration.tenantId))]))
        case (.get, "users", 1):
            return HTTPReply.json(
                200, .object([("value", .array(state.withData { $0.directory.users }.map(userJSON)))]))
        case (.post, "users", 1):
            let n = json?["count"]?.intValue ?? 1
            guard n >= 0, n <= 100_000 else { return bad("count must be 0...100000") }
            let added = state.withData { $0.directory.addGenerated(n) }
            return HTTPReply.json(201, .object([("value", .array(added.map(userJSON)))]))
        case (.get, "faults", 1):
            return HTTPReply.json(200, faultsJSON(state.withData { $0.faults }))
        case (.put, "faults", 1), (.post, "faults", 1):
            guard let body,
                let faults = try? JSONDecoder().decode(SandboxFaults.self, from: body.isEmpty ? Data("{}".utf8) : body)
            else {
                return bad("invalid faults JSON")
            }
            state.withData { $0.faults = faults }
            return HTTPReply.json(200, faultsJSON(faults))
        case (.get, "requests", 1):
            let filter = request.queryItems["user"]
            let entries = state.withData { $0.requestLog }
                .filter { e in filter.map { e.tokenUser == $0 || e.mailbox == $0 } ?? true }
            return HTTPReply.json(200, .object([("value", .array(entries.map { $0.json() }))]))
        case (.delete, "requests", 1):
            state.withData { $0.requestLog.removeAll() }
            return HTTPReply.empty(204)
        case (.get, "grants", 1):
            let counts = state.withData { $0.grantCounts }
            var issued: [(String, JSONValue)] = [], requested: [(String, JSONValue)] = []
            for (k, v) in counts.sorted(by: { $0.key < $1.key }) {
                if k.hasPrefix("requested:") {
                    requested.append((String(k.dropFirst(10)), .int(v)))
                } else {
                    issued.append((k, .int(v)))
                }
            }
            return HTTPReply.json(200, .object([("issued", .object(issued)), ("requested", .object(requested))]))
        case (.delete, "grants", 1):
            state.withData { $0.grantCounts.removeAll() }
            return HTTPReply.empty(204)
        case (.get, "secrets", 1):
            return HTTPReply.json(200, secretsJSON())
        case (.get, "meeting-mail", 1):
            return HTTPReply.json(
                200, .object([("value", .array(state.withData { $0.meetingMail }.map { $0.json() }))]))
        case (.get, "outbound", 1):
            return HTTPReply.json(200, .object([("value", .array(state.withData { $0.outbound }.map { $0.json() }))]))
        case (.post, "users", 3):
            guard
                let user = state.withData({
                    $0.directory.user(id: seg[1].lowercased()) ?? $0.directory.user(address: seg[1])
                })
            else {
                return bad("unknown user", 404)
            }
            return userAction(user, seg[2], json)
        default:
            return bad("unknown control endpoint", 404)
        }
    }

    private func userAction(_ user: SandboxUser, _ action: String, _ json: JSONValue?) -> Response {
        let now = Date()
        switch action {
        case "expire-access-tokens":
            let n = state.withData { d -> Int in
                var n = 0
                for (k, t) in d.accessTokens where t.userIndex == user.index && t.expiresAt > now {
                    d.accessTokens[k]?.expiresAt = now.addingTimeInterval(-1)
                    n += 1
                }
                return n
            }
            return HTTPReply.json(200, .object([("expired", .int(n))]))
        case "revoke-refresh-tokens":
            let n = state.withData { d -> Int in
                d.tokensValidFrom[user.index] = now.addingTimeInterval(0.001)
                var n = 0
                for (k, t) in d.refreshTokens where t.userIndex == user.index && t.revokedAt == nil {
                    d.refreshTokens[k]?.revokedAt = now
                    n += 1
                }
                return n
            }
            return HTTPReply.json(200, .object([("revoked", .int(n))]))
        case "rename":
            guard let mail = json?["mail"]?.stringValue, mail.contains("@"), mail.count <= 256,
                state.withData({ $0.directory.user(address: mail) }) == nil
            else { return HTTPReply.json(400, .object([("error", "expected {\"mail\": an unused address}")])) }
            state.withData { $0.directory.rename(index: user.index, to: mail) }
            return HTTPReply.json(200, userJSON(state.withData { $0.directory.user(index: user.index) } ?? user))
        case "withdraw-consent":
            let client = json?["clientId"]?.stringValue
            let n = state.withData { d -> Int in
                let keys = d.consents.keys.filter { k in
                    k.hasPrefix("\(user.index)|") && (client.map { k == TenantData.consentKey(user.index, $0) } ?? true)
                }
                for k in keys { d.consents[k] = nil }
                return keys.count
            }
            return HTTPReply.json(200, .object([("withdrawn", .int(n))]))
        case "large-mailbox":
            let n = json?["messages"]?.intValue ?? 100_000
            guard n > 0, n <= 5_000_000 else {
                return HTTPReply.json(400, .object([("error", "messages must be 1...5000000")]))
            }
            state.withMailbox(user.index) { mb, _ in mb.enlarge(inboxTo: n) }
            return HTTPReply.json(200, .object([("inboxMessages", .int(n))]))
        default:
            return HTTPReply.json(404, .object([("error", "unknown user action")]))
        }
    }

    private func userJSON(_ u: SandboxUser) -> JSONValue {
        .object([
            ("id", .string(u.id)), ("displayName", .string(u.displayName)), ("mail", .string(u.mail)),
            ("userPrincipalName", .string(u.userPrincipalName)), ("canary", .string(u.canary)),
            ("index", .int(u.index)),
        ])
    }

    private func faultsJSON(_ f: SandboxFaults) -> JSONValue {
        let data = (try? JSONEncoder().encode(f)) ?? Data("{}".utf8)
        return JSONValue.parse(data) ?? .object([])
    }

    /// Every secret the tenant has issued, so leak scanners can search logs and databases for them.
    private func secretsJSON() -> JSONValue {
        state.withData { d in
            .object([
                ("accessTokens", .array(d.accessTokens.keys.sorted().map(JSONValue.string))),
                ("refreshTokens", .array(d.refreshTokens.keys.sorted().map(JSONValue.string))),
                ("authorizationCodes", .array(d.codes.keys.sorted().map(JSONValue.string))),
                ("idTokens", .array(d.idTokens.map(JSONValue.string))),
                ("deviceCodes", .array(d.deviceCodes.keys.sorted().map(JSONValue.string))),
                ("userCodes", .array(d.deviceCodes.values.map(\.userCode).sorted().map(JSONValue.string))),
                ("sessionCookies", .array(d.sessions.keys.sorted().map(JSONValue.string))),
                ("clientSecrets", .array([.string(SandboxConfiguration.clientSecret)])),
            ])
        }
    }
}
