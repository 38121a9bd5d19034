import Foundation
import Logging
import Storage

/// The incident actions an admin takes on a user: block (for a while or until lifted), unblock, revoke
/// everything, and list what is open. Each action is audited (`admin.block`, `admin.unblock`, `admin.revoke`,
/// `admin.sessions`) with the acting admin.
///
/// `revoke` deletes the user's Microsoft token blobs, revokes all our grants (and so every access and refresh
/// token) and ends every browser and MCP session. All of it is state in the shared database, so it takes effect
/// on every instance at the next request: a bearer check finds no live grant, a Graph call finds no token.
public struct IncidentResponder: Sendable {
    let users: any UserStore
    let audit: any AuditRecorder
    let revoker: (any AccessRevoker)?
    let eraser: (any MicrosoftTokenEraser)?
    let lister: (any SessionLister)?
    let logger: Logger

    public init(
        users: any UserStore, audit: any AuditRecorder, revoker: (any AccessRevoker)?,
        eraser: (any MicrosoftTokenEraser)?, lister: (any SessionLister)?, logger: Logger
    ) {
        self.users = users
        self.audit = audit
        self.revoker = revoker
        self.eraser = eraser
        self.lister = lister
        self.logger = logger
    }

    /// The one user `reference` names (user id, object id or username).
    public func resolve(_ reference: String) async throws(SecurityError) -> User {
        let found: [User]
        do {
            found = try await users.findUsers(matching: reference)
        } catch {
            throw .storage(error.description)
        }
        guard let user = found.first else { throw .unknownUser(reference) }
        guard found.count == 1 else { throw .ambiguousUser(reference, count: found.count) }
        return user
    }

    /// Blocks the user on every path (403) for `duration`, or until unblocked when nil.
    @discardableResult
    public func block(
        userId: String, for duration: Duration?, reason: String, actor: String
    )
        async throws(SecurityError) -> Block
    {
        let now = Timestamp.now
        let block = Block(
            subject: Block.userSubject(userId), blockedUntil: duration.map { now + max(1, $0.components.seconds) },
            reason: reason, createdBy: actor, createdAt: now)
        do {
            try await users.block(block)
        } catch {
            throw .storage(error.description)
        }
        await audit.record(
            AuditEvent(
                "admin.block", userId: userId,
                details: [
                    "actor": actor, "reason": reason, "until": block.blockedUntil.map(String.init) ?? "lifted by admin",
                ]))
        logger.notice("user blocked", metadata: ["gg.user": "\(userId)", "gg.actor": "\(actor)"])
        return block
    }

    /// Lifts a block on the user. False when there was none.
    @discardableResult
    public func unblock(userId: String, actor: String) async throws(SecurityError) -> Bool {
        let removed: Bool
        do {
            removed = try await users.unblock(subject: Block.userSubject(userId))
        } catch {
            throw .storage(error.description)
        }
        await audit.record(
            AuditEvent(
                "admin.unblock", outcome: removed ? .success : .failure, userId: userId, details: ["actor": actor]))
        return removed
    }

    /// What `revoke` did.
    public struct RevokeReport: Sendable, Equatable, Codable {
        public var grantsRevoked: Int
        public var accountsErased: Int
        /// Steps that failed (their error text, value-free); empty when everything was done.
        public var failures: [String]
    }

    /// Ends everything of a user. Every step runs even when an earlier one fails; failures are reported and
    /// audited, and the call throws only when nothing could be done.
    public func revoke(userId: String, reason: String, actor: String) async throws(SecurityError) -> RevokeReport {
        var report = RevokeReport(grantsRevoked: 0, accountsErased: 0, failures: [])
        if let eraser {
            do {
                report.accountsErased = try await eraser.eraseMicrosoftTokens(userId: userId)
            } catch {
                report.failures.append("microsoft tokens: \(Redactor.standard.redact(String(describing: error)))")
            }
        } else {
            report.failures.append("microsoft tokens: no token vault configured")
        }
        if let revoker {
            do {
                report.grantsRevoked = try await revoker.revokeAllAccess(userId: userId, reason: reason, actor: actor)
            } catch {
                report.failures.append("grants and sessions: \(Redactor.standard.redact(String(describing: error)))")
            }
        } else {
            report.failures.append("grants and sessions: no authorization server configured")
        }
        await audit.record(
            AuditEvent(
                "admin.revoke", outcome: report.failures.isEmpty ? .success : .failure, userId: userId,
                details: [
                    "actor": actor, "reason": reason, "grants": "\(report.grantsRevoked)",
                    "accounts": "\(report.accountsErased)", "failures": report.failures.joined(separator: "; "),
                ]))
        logger.notice(
            "user revoked",
            metadata: [
                "gg.user": "\(userId)", "gg.actor": "\(actor)", "gg.grants": "\(report.grantsRevoked)",
                "gg.failures": "\(report.failures.count)",
            ])
        if report.failures.count == 2 { throw .incidentStep(report.failures.joined(separator: "; ")) }
        return report
    }

    /// The user's open grants and sessions.
    public func sessions(userId: String, actor: String) async throws(SecurityError) -> [SessionSummary] {
        guard let lister else { return [] }
        do {
            let sessions = try await lister.sessions(userId: userId)
            await audit.record(AuditEvent("admin.sessions", userId: userId, details: ["actor": actor]))
            return sessions
        } catch {
            throw .incidentStep("listing sessions: \(Redactor.standard.redact(String(describing: error)))")
        }
    }

    /// The active block of a user or IP, if any (for the request gate and the sign-in callback).
    public func activeBlock(subject: String) async -> Block? {
        try? await users.activeBlock(subject: subject)
    }

    /// Parses `30s`, `15m`, `2h`, `7d`, `1w` (or plain seconds).
    public static func parseDuration(_ text: String) throws(SecurityError) -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int64)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)]
        for (suffix, seconds) in units where trimmed.hasSuffix(suffix) {
            if let value = Int64(trimmed.dropLast()), value > 0, value < 10_000_000 {
                return .seconds(value * seconds)
            }
            throw .invalidDuration(text)
        }
        guard let value = Int64(trimmed), value > 0 else { throw .invalidDuration(text) }
        return .seconds(value)
    }
}
