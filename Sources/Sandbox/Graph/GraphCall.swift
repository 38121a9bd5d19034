import Foundation
import Hummingbird

/// One authenticated Graph request: who calls, for which mailbox, with which preferences.
struct GraphCall: Sendable {
    let method: HTTPRequest.Method
    let user: SandboxUser
    let token: AccessTokenRecord
    /// Path after `/v1.0/me` (or `/v1.0/users/{id}`).
    let rest: [String]
    /// The path prefix used by the caller (`/v1.0/me` or `/v1.0/users/{id}`), for next links.
    let prefix: String
    let query: ODataQuery
    let body: JSONValue?
    let bodyAsText: Bool
    let immutableIds: Bool
    let timeZoneName: String?
    let timeZone: TimeZone?

    var ids: ItemIds { ItemIds(userIndex: user.index, immutable: immutableIds) }

    /// The `Preference-Applied` values this call honours.
    var preferencesApplied: [String] {
        var out: [String] = []
        if bodyAsText { out.append("outlook.body-content-type=\"text\"") }
        if immutableIds { out.append("IdType=\"ImmutableId\"") }
        if let timeZoneName { out.append("outlook.timezone=\"\(timeZoneName)\"") }
        return out
    }

    /// Requires any of the permissions; 403 ErrorAccessDenied otherwise.
    func require(_ anyOf: String...) throws(GraphError) {
        guard Scopes.allows(token.scopes, anyOf: anyOf) else { throw GraphError.accessDenied }
    }

    /// Parses `Prefer` header values (comma-separated or repeated).
    static func preferences(_ values: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for line in values {
            for part in line.split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard let k = kv.first else { continue }
                let v = kv.count > 1 ? kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : ""
                out[k.lowercased()] = v
            }
        }
        return out
    }
}
