import ArgumentParser

/// Flags for the security-operations settings. Each overrides the environment variable of the same name.
struct SecurityOptions: ParsableArguments {
    @Option(help: "URL that security alerts are POSTed to as JSON. [GRAPHGATE_ALERT_WEBHOOK]")
    var alertWebhook: String?
    @Option(help: "Alert rules, e.g. failed_auth=30/5m/block15m,send=50/1h. [GRAPHGATE_ALERT_THRESHOLDS]")
    var alertThresholds: String?
    @Option(
        help: "HMAC key file that signs audit chain heads. [GRAPHGATE_AUDIT_KEY, default DATA_DIR/audit-signing.key]")
    var auditKey: String?

    var flags: [String: String] {
        let pairs: [(String, String?)] = [
            ("GRAPHGATE_ALERT_WEBHOOK", alertWebhook), ("GRAPHGATE_ALERT_THRESHOLDS", alertThresholds),
            ("GRAPHGATE_AUDIT_KEY", auditKey),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { name, value in value.map { (name, $0) } })
    }
}
