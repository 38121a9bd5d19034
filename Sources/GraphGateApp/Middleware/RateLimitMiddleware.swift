import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SecurityOps
import Storage

/// The first gate of every request, before authentication:
/// 1. resolves the client address (`X-Forwarded-For` believed only from a trusted proxy) into `context.clientIP`;
/// 2. refuses a blocked IP with 403;
/// 3. spends from the IP's general bucket and, for login/consent/token and `/oauth/register`, from that
///    endpoint's smaller bucket. Over budget: 429 with `Retry-After` (a JSON-RPC error body on `/mcp`), and the
///    monitor counts a rate-limit hit.
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

        if let block = try? await security.users.activeBlock(subject: Block.ipSubject(ip)) {
            return SecurityResponses.blocked(block, path: path)
        }
        var budgets = [security.rateLimits.perIP]
        if let endpoint = security.rateLimits.endpointBudget(path: path) { budgets.append(endpoint) }
        for budget in budgets {
            let decision = await security.rateLimiter.take("ip:\(ip)", budget: budget)
            if !decision.allowed {
                context.logger.notice(
                    "rate limited",
                    metadata: ["gg.budget": "\(budget.name)", "gg.retry_after": "\(decision.retryAfterSeconds)"])
                return await security.rateLimited(decision, budget: budget, subject: "ip:\(ip)", path: path)
            }
        }
        return try await next(request, context)
    }
}
