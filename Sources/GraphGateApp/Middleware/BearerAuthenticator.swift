import Authorization
import Foundation
import HTTPTypes
import Hummingbird
import JSONText
import MCPGateway
import SecurityOps
import Storage

/// Authenticates a request to `/mcp` before any MCP object exists: the bearer token must be one we issued, for
/// this resource, unexpired and unrevoked, carry the `mcp` scope, and its user must not be blocked.
///
/// Failures follow RFC 6750 §3 and the MCP authorization spec: no token → 401 with
/// `WWW-Authenticate: Bearer resource_metadata="…"` (so clients discover our authorization server); a bad token
/// → the same plus `error="invalid_token"`; a token without the scope → 403 `insufficient_scope`.
struct BearerAuthenticator: Sendable {
    let authorization: AuthorizationServer
    /// The block in force on a user (see `MCPAccess.userBlock`).
    let userBlock: @Sendable (_ userId: String) async throws -> Block?
    let audit: any AuditRecorder
    /// Asked about each invalid token before it is audited; a response (the address's budget of invalid tokens
    /// is spent: 429) answers instead, with no audit row, so a flood of bad tokens cannot grow the audit chain
    /// without bound.
    var failureGate: @Sendable (_ sourceIP: String?) async -> Response? = { _ in nil }

    enum Outcome {
        case authenticated(MCPPrincipal)
        case rejected(Response)
    }

    func authenticate(_ request: Request, sourceIP: String?) async -> Outcome {
        let settings = authorization.settings
        guard let header = request.headers[.authorization] else {
            return .rejected(Self.challenge(settings, status: .unauthorized, error: nil))
        }
        guard let token = BearerHeader.token(header) else {
            return .rejected(
                Self.challenge(settings, status: .unauthorized, error: ("invalid_request", "use a Bearer token")))
        }
        let check: BearerCheck
        do {
            check = try await authorization.authenticate(bearer: token)
        } catch {
            return .rejected(Self.plain(.serviceUnavailable, "the authorization store is unavailable; try again"))
        }
        let info: AccessTokenInfo
        switch check {
        case .invalid(let reason):
            if let refusal = await failureGate(sourceIP) { return .rejected(refusal) }
            await audit.record(
                AuditEvent("mcp.auth", outcome: .failure, sourceIP: sourceIP, details: ["reason": reason]))
            return .rejected(
                Self.challenge(
                    settings, status: .unauthorized,
                    error: ("invalid_token", "the access token is invalid, expired, revoked or not for this resource")))
        case .valid(let valid):
            info = valid
        }
        guard info.scopes.contains(OAuthScopes.mcp) else {
            await audit.record(
                AuditEvent(
                    "mcp.auth", outcome: .denied, userId: info.userId, clientId: info.clientId, sourceIP: sourceIP,
                    details: ["reason": "insufficient_scope"]))
            return .rejected(
                Self.challenge(
                    settings, status: .forbidden,
                    error: ("insufficient_scope", "the access token lacks the mcp scope"), scope: OAuthScopes.mcp))
        }
        do {
            if try await userBlock(info.userId) != nil {
                await audit.record(
                    AuditEvent(
                        "mcp.auth", outcome: .denied, userId: info.userId, clientId: info.clientId, sourceIP: sourceIP,
                        details: ["reason": "blocked"]))
                return .rejected(
                    Self.plain(
                        .forbidden,
                        "this account is blocked by the graphgate administrator; contact them to restore access"))
            }
        } catch {
            return .rejected(Self.plain(.serviceUnavailable, "the user store is unavailable; try again"))
        }
        return .authenticated(
            MCPPrincipal(userId: info.userId, clientId: info.clientId, grantId: info.grantId, scopes: info.scopes))
    }

    /// A `WWW-Authenticate: Bearer …` challenge. Values are ours (fixed text, our URLs), never request data.
    static func challenge(
        _ settings: AuthorizationSettings, status: HTTPResponse.Status, error: (code: String, text: String)?,
        scope: String? = nil
    ) -> Response {
        var parts = ["resource_metadata=\"\(settings.protectedResourceMetadataURL)\""]
        parts.append("scope=\"\(scope ?? settings.scopesSupported.joined(separator: " "))\"")
        var body = ["error": "unauthorized", "error_description": "sign in: an OAuth access token is required"]
        if let error {
            parts.insert("error=\"\(error.code)\"", at: 0)
            parts.insert("error_description=\"\(error.text)\"", at: 1)
            body = ["error": error.code, "error_description": error.text]
        }
        var headers: HTTPFields = [
            .wwwAuthenticate: "Bearer " + parts.joined(separator: ", "), .contentType: "application/json",
            .cacheControl: "no-store",
        ]
        CORS.allow(&headers)
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func plain(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let error = status == .forbidden ? "access_denied" : "temporarily_unavailable"
        let data = (try? JSONEncoder().encode(["error": error, "error_description": message])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        CORS.allow(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
