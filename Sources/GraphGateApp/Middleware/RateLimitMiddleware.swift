import Foundation
import GraphGateWeb
import HTTPTypes
import Hummingbird
import JSONText
import Logging
import SecurityOps
import Storage

/// The first gate of every request, before authentication:
/// 1. resolves the client address (`X-Forwarded-For` believed only from a trusted proxy) into `context.clientIP`;
/// 2. refuses a blocked address with 403 — except that an automatic block (the monitor's) does not apply to a
///    request to `/mcp` that carries a bearer token: a valid token is never refused for its address;
/// 3. a request without a bearer spends from its address's general bucket; on the sign-in, consent, token and
///    registration paths it also reserves one failure from that address's failure budget (refused while it is
///    empty) and gives it back unless it failed (4xx, or a redirect carrying `error=`, such as a refused consent);
/// 4. a request with a bearer spends nothing per address; if its token turns out invalid (401) it spends from
///    the address's bad-bearer budget, and once that is empty the answer is 429 instead of 401.
/// Over budget: 429 with `Retry-After` (a JSON-RPC error body on `/mcp`), and the monitor counts a rate-limit hit.
/// Per-user and per-client tool-call budgets are spent after authentication (`SecurityServices.checkToolCall`).
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = GraphGateRequestContext

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    let security: SecurityServices
    /// Paths never limited (liveness probes).
    let exempt: Set<String> = ["/healthz", "/readyz", "/livez"]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var context = context
        let peer = context.remoteAddress?.ipAddress
        context.clientIP = security.addresses.clientAddress(
            peer: peer, forwardedFor: request.headers[values: Self.forwardedFor])
        let path = request.uri.path
        guard !exempt.contains(path), let ip = context.clientIP else { return try await next(request, context) }
        let key = ClientAddressResolver.limiterKey(ip)
        let bearer = path.hasPrefix("/mcp") && Self.carriesBearer(request)
        let policy = security.rateLimits

        // An automatic block (the monitor's, for an address's failed sign-ins) does not apply to requests that
        // carry their own grant: bearer calls, and the token endpoint (codes, refresh tokens, client secrets;
        // its failures still spend `login_failures`). Behind one office address, one person's (or one attacker's)
        // failed sign-ins would otherwise cut every colleague's clients off as their tokens expire.
        if let block = await security.activeBlock(subject: Block.ipSubject(ip)),
            !((bearer || path == "/oauth/token") && block.createdBy == SecurityMonitor.blockCreator)
        {
            return SecurityResponses.blocked(block, path: path)
        }
        // Bearer requests spend nothing here: an invalid token spends from the address's `bearer_failures`
        // budget when it is found invalid, before it is audited (`SecurityServices.checkBearerFailure`).
        if bearer { return try await next(request, context) }
        let general = await security.rateLimiter.take(key, budget: policy.perIP)
        guard general.allowed else {
            return await refuse(general, policy.perIP, key: key, path: path, context: context)
        }
        guard let failures = policy.failureBudget(path: path) else { return try await next(request, context) }
        // One failure is reserved before the request (so a burst of concurrent failures cannot overshoot) and
        // given back when the request did not fail.
        let reserved = await security.rateLimiter.take(key, budget: failures)
        guard reserved.allowed else { return await refuse(reserved, failures, key: key, path: path, context: context) }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError where (400..<500).contains(error.status.code) {
            throw error
        } catch {
            _ = await security.rateLimiter.take(key, budget: failures, cost: -1)
            throw error
        }
        if !Self.isFailure(response) { _ = await security.rateLimiter.take(key, budget: failures, cost: -1) }
        return response
    }

    func refuse(
        _ decision: RateDecision, _ budget: RateBudget, key: String, path: String, context: Context
    ) async -> Response {
        context.logger.notice(
            "rate limited",
            metadata: ["gg.budget": "\(budget.name)", "gg.retry_after": "\(decision.retryAfterSeconds)"])
        return await security.rateLimited(decision, budget: budget, subject: key, path: path)
    }

    static func carriesBearer(_ request: Request) -> Bool {
        request.headers[.authorization].map(BearerHeader.isBearer) ?? false
    }

    /// A failed sign-in step: a client error, or a redirect that reports an error to the client.
    static func isFailure(_ response: Response) -> Bool {
        let code = response.status.code
        if (400..<500).contains(code) { return code != 429 }
        guard (300..<400).contains(code), let location = response.headers[.location] else { return false }
        return location.contains("?error=") || location.contains("&error=")
    }
}
