import Foundation

/// What Microsoft's token endpoint returned. Holds secrets: its `description` shows only shapes, never values.
public struct TokenSet: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessToken: String
    /// Absent when `offline_access` was not granted. Microsoft rotates it on every refresh (the old one stays
    /// valid until it expires), so the newest one returned is the one to keep.
    public var refreshToken: String?
    public var idToken: String?
    /// Granted scopes, normalized short names (`Mail.Read`).
    public var scopes: [String]
    public var obtainedAt: Date
    public var expiresAt: Date

    public init(
        accessToken: String, refreshToken: String?, idToken: String?, scopes: [String], obtainedAt: Date,
        expiresAt: Date
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.idToken = idToken
        self.scopes = scopes
        self.obtainedAt = obtainedAt
        self.expiresAt = expiresAt
    }

    public var description: String {
        "TokenSet(scopes: \(scopes.joined(separator: " ")), expires_at: \(Int(expiresAt.timeIntervalSince1970)), "
            + "refresh_token: \(refreshToken == nil ? "no" : "yes"), id_token: \(idToken == nil ? "no" : "yes"))"
    }

    public var debugDescription: String { description }
}

/// The token endpoint's JSON (RFC 6749 §5.1 plus Microsoft's `id_token`).
struct TokenEndpointResponse: Decodable {
    var access_token: String?
    var token_type: String?
    var expires_in: FlexibleInt?
    var ext_expires_in: FlexibleInt?
    var scope: String?
    var refresh_token: String?
    var id_token: String?
}

/// Microsoft's OAuth error JSON.
struct TokenEndpointError: Decodable {
    var error: String?
    var error_codes: [Int]?
    var suberror: String?
    var claims: String?
}

/// An integer Microsoft sometimes sends as a string (`"3599"`).
struct FlexibleInt: Decodable {
    var value: Int
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let int = try? container.decode(Int.self) {
            value = int
        } else if let text = try? container.decode(String.self), let int = Int(text) {
            value = int
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an integer")
        }
    }
}
