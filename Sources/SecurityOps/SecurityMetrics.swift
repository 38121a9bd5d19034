import Metrics
import Storage

/// The security module's metrics. The labels are defined here, the lowest module that records them; the app's
/// `MetricName` refers to these constants (`docs/operations.md` lists every metric).
public enum SecurityMetrics {
    /// Counter, dimensions `event` (the audit event type, e.g. `tool.call`), `outcome` (`success`, `failure`,
    /// `denied`): audit events written to the chain.
    public static let auditEvents = "graphgate_audit_events_total"
    /// Counter, dimension `rule` (the monitor signal, e.g. `failed_auth`): alerts fired by the security monitor.
    public static let alerts = "graphgate_alerts_total"
    /// Counter, dimension `scope`: requests refused by a rate limit, by the budget's name (`ip`, `login`,
    /// `register`, `tool` per user, `tool-client` per OAuth client).
    public static let rateLimitHits = "graphgate_rate_limit_hits_total"

    /// Counts one refusal by `budget`.
    public static func rateLimitHit(_ budget: RateBudget) {
        Counter(label: rateLimitHits, dimensions: [("scope", budget.name)]).increment()
    }

    static func alert(rule: String) {
        Counter(label: alerts, dimensions: [("rule", rule)]).increment()
    }

    /// Counts rows written to the audit chain. Event types are fixed strings in the code; anything else (which
    /// would be a bug) is counted as `other`, so the label set stays bounded.
    static func audited(_ rows: some Sequence<AuditRow>) {
        for row in rows {
            let event =
                row.eventType.count <= 48 && row.eventType.allSatisfy(isEventCharacter) ? row.eventType : "other"
            Counter(label: auditEvents, dimensions: [("event", event), ("outcome", row.outcome)]).increment()
        }
    }

    private static func isEventCharacter(_ character: Character) -> Bool {
        character == "." || character == "_" || ("a"..."z").contains(character)
    }
}
