import Storage

/// The `AuditRecorder` the app hands to every part: it writes the event to the audit log, then turns the
/// security-relevant ones into monitor signals. Every failure that is audited therefore also counts toward the
/// alert thresholds, without each part having to report it a second time.
public struct MonitoringAuditRecorder: AuditRecorder {
    let audit: any AuditRecorder
    let monitor: SecurityMonitor

    public init(audit: any AuditRecorder, monitor: SecurityMonitor) {
        self.audit = audit
        self.monitor = monitor
    }

    public func record(_ event: AuditEvent) async {
        await audit.record(event)
        guard let signal = Self.signal(for: event) else { return }
        var subjects: [String] = []
        if let userId = event.userId { subjects.append(Block.userSubject(userId)) }
        // Sends are counted per user only; failures also per source address.
        if signal != .send, let ip = event.sourceIP { subjects.append(Block.ipSubject(ip)) }
        guard !subjects.isEmpty else { return }
        _ = await monitor.report(signal, subjects: subjects)
    }

    /// Which monitor signal an audit event is, if any.
    static func signal(for event: AuditEvent) -> SecuritySignal? {
        switch (event.type, event.outcome) {
        case ("mcp.auth", .failure):
            return .invalidBearer
        case ("login", .failure), ("login.microsoft", .failure), ("token.code", .failure), ("token.client_auth", .failure),
            ("token.code_replay", _), ("token.refresh_reuse", _):
            return .failedAuth
        case ("mcp.session.cross_user", _):
            return .crossUserAccess
        case ("token.refresh", .failure):
            return .refreshFailure
        case ("token.decrypt_failed", _):
            return .decryptFailure
        case (let type, .success) where type.hasPrefix("mail.") && type != "mail.delete":
            return .send
        default:
            return nil
        }
    }
}
