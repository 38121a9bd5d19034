import Foundation
import Logging
import Storage

/// Counts security signals per subject and raises an alert when a rule's threshold is crossed within its window.
///
/// Counters are kept per half window (`security_counters`, one atomic upsert per signal), and a window is two
/// consecutive halves, so windows start every half window: a burst that fits in half a window is counted whole
/// in one of them, wherever the clock stands (with windows back to back, a burst across their boundary was split
/// and raised nothing). Instances on one PostgreSQL add up to one count, and an alert fires at most once per
/// (rule, subject, window): only the increment that brings the window's count to the threshold fires (the
/// earlier half no longer changes, short of a report that lands late), the alert row is unique per window on top
/// of that, and a window whose overlapping predecessor alerted stays quiet. An attack that goes on, at a steady
/// pace or flooding every half, is raised again once per window.
/// An alert is: an audit event `security.alert`, a metric `graphgate_alerts_total{rule}`, a log line
/// at `error`, a webhook POST (when configured) and, for rules with `blockFor`, a temporary block of the
/// `ip:` or `user:` subject (audited as `security.auto_block`).
public struct SecurityMonitor: Sendable {
    let store: any AlertStore
    let users: any UserStore
    let audit: any AuditRecorder
    let webhook: AlertWebhook?
    let rules: [SecuritySignal: [MonitorRule]]
    let logger: Logger
    let clock: @Sendable () -> Int64

    public init(
        store: any AlertStore, users: any UserStore, audit: any AuditRecorder, webhook: AlertWebhook?,
        rules: [MonitorRule] = MonitorRule.defaults, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = { Timestamp.now }
    ) {
        self.store = store
        self.users = users
        self.audit = audit
        self.webhook = webhook
        self.rules = Dictionary(grouping: rules, by: \.signal)
        self.logger = logger
        self.clock = clock
    }

    /// Reports one occurrence of `signal` for each subject (`ip:…`, `user:…`). Returns the alerts it fired.
    @discardableResult
    public func report(_ signal: SecuritySignal, subjects: [String]) async -> [SecurityAlert] {
        var fired: [SecurityAlert] = []
        let now = clock()
        for rule in rules[signal] ?? [] {
            let half = rule.halfWindowSeconds
            let halfStart = now - now % half
            // The window that ends with this half: the half before it and this one.
            let windowStart = halfStart - half
            let threshold = Int64(rule.threshold)
            for subject in Set(subjects) {
                do {
                    let current = try await store.increment(
                        rule: signal.rawValue, subject: subject, windowStart: halfStart)
                    guard current <= threshold else { continue }
                    let earlier = try await store.count(
                        rule: signal.rawValue, subject: subject, windowStart: windowStart)
                    // The window's count reaches the threshold; or, once per whole window, this half alone does
                    // (an attack that goes on is raised again, as back-to-back windows would).
                    let reminder = current == threshold && halfStart % (2 * half) == 0
                    guard earlier + current == threshold || reminder else { continue }
                    // Raised already for the window half a step back (it shares the earlier half with this one):
                    // an attack that keeps a steady pace is raised once per window, not once per half.
                    guard
                        try await !store.hasAlert(
                            rule: signal.rawValue, subject: subject, windowStart: windowStart - half)
                    else { continue }
                    if let alert = try await fire(
                        rule, subject: subject, windowStart: windowStart, count: threshold, now: now)
                    {
                        fired.append(alert)
                    }
                } catch {
                    logger.error(
                        "security monitor could not count a signal",
                        metadata: ["gg.signal": "\(signal.rawValue)", "gg.error": "\(error.description)"])
                }
            }
        }
        return fired
    }

    /// `createdBy` of automatic blocks. They apply to unauthenticated traffic only: a request with a valid
    /// bearer token is served whatever its address did (`RateLimitMiddleware`).
    public static let blockCreator = "monitor"

    /// Loopback addresses are never blocked automatically: behind a local reverse proxy that is not declared in
    /// `GRAPHGATE_TRUSTED_PROXIES` every client arrives from loopback, and blocking it would lock everyone out.
    /// The alert still fires.
    static func isLoopback(_ subject: String) -> Bool {
        let ip = subject.dropFirst("ip:".count)
        return ip.hasPrefix("127.") || ip == "::1" || ip == "::ffff:127.0.0.1"
    }

    private func fire(
        _ rule: MonitorRule, subject: String, windowStart: Int64, count: Int64, now: Int64
    )
        async throws(StorageError) -> SecurityAlert?
    {
        let id = "\(rule.signal.rawValue)-\(windowStart)-\(Self.shortHash(subject))"
        let inserted = try await store.insertAlert(
            AlertRecord(
                id: id, rule: rule.signal.rawValue, subject: subject, windowStart: windowStart, count: count,
                firedAt: now))
        guard inserted else { return nil }
        var action: String?
        if let blockFor = rule.blockFor,
            subject.hasPrefix("user:") || (subject.hasPrefix("ip:") && !Self.isLoopback(subject))
        {
            let until = now + max(1, blockFor.components.seconds)
            try await users.block(
                Block(
                    subject: subject, blockedUntil: until, reason: "automatic: \(rule.signal.rawValue) threshold",
                    createdBy: Self.blockCreator, createdAt: now))
            action = "blocked until \(until)"
            await audit.record(
                AuditEvent(
                    "security.auto_block", outcome: .success, userId: Self.userId(subject),
                    sourceIP: Self.ip(subject),
                    details: ["rule": rule.signal.rawValue, "subject": subject, "until": "\(until)"]))
        }
        let alert = SecurityAlert(
            id: id, rule: rule.signal.rawValue, subject: subject, count: count, threshold: rule.threshold,
            windowSeconds: 2 * rule.halfWindowSeconds, windowStart: windowStart, firedAt: now, action: action)
        await audit.record(
            AuditEvent(
                "security.alert", outcome: .failure, userId: Self.userId(subject), sourceIP: Self.ip(subject),
                details: [
                    "rule": alert.rule, "subject": subject, "count": "\(count)", "threshold": "\(rule.threshold)",
                    "window_seconds": "\(alert.windowSeconds)", "alert_id": id, "action": action ?? "none",
                ]))
        SecurityMetrics.alert(rule: alert.rule)
        logger.error(
            "security alert",
            metadata: [
                "gg.alert": "\(id)", "gg.rule": "\(alert.rule)", "gg.subject": "\(subject)", "gg.count": "\(count)",
                "gg.action": "\(action ?? "none")",
            ])
        webhook?.enqueue(alert)
        return alert
    }

    /// Deletes counters of windows long past (the alerts table keeps the history); never those of a window
    /// still open under a configured rule.
    public func prune(olderThan age: Duration = .seconds(86_400)) async {
        let longest = rules.values.joined().map { 2 * $0.halfWindowSeconds }.max() ?? 0
        try? await store.pruneCounters(before: clock() - max(age.components.seconds, longest))
    }

    static func userId(_ subject: String) -> String? {
        subject.hasPrefix("user:") ? String(subject.dropFirst(5)) : nil
    }

    static func ip(_ subject: String) -> String? {
        subject.hasPrefix("ip:") ? String(subject.dropFirst(3)) : nil
    }

    static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
