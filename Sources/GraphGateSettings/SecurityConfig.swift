import Foundation
import SecurityOps

/// The security-operations settings: alert webhook and thresholds, the audit signing key, rate budgets.
/// Part of `GraphGateConfig` (`config.security`), read once with the rest.
public struct SecurityConfig: Sendable {
    /// Where alerts are POSTed as JSON (nil: alerts go to the log, audit and metrics only).
    public var alertWebhook: String?
    /// Monitor rules (`GRAPHGATE_ALERT_THRESHOLDS` overrides the defaults rule by rule).
    public var rules: [MonitorRule]
    /// The audit head signing key file (nil: `audit-signing.key` in the data directory, created on first use).
    public var auditKeyPath: String?
    /// How often the audit head is signed.
    public var auditSignInterval: Duration = .seconds(60)

    static let variables: [GraphGateConfig.Variable] = [
        alertWebhook.variable, alertThresholds.variable, auditKey.variable,
    ]

    /// A webhook may carry its own token in the query, so any http(s) URL is accepted (with https required off
    /// loopback when it has none).
    public static let alertWebhook = Setting<String?>(
        "GRAPHGATE_ALERT_WEBHOOK", flag: "alert-webhook", shown: "(none)",
        help: "URL that security alerts are POSTed to as JSON (retried; never contains secrets).",
        kind: SettingKind(
            parse: { hook throws(SettingProblem) in
                if (try? SettingKind.url(allowPath: true).parse(hook)) != nil { return hook }
                guard let url = URLComponents(string: hook), ["http", "https"].contains(url.scheme ?? ""),
                    url.host != nil
                else { throw SettingProblem("expected an http(s) URL") }
                return hook
            }, show: { $0 }))

    public static let alertThresholds = Setting(
        "GRAPHGATE_ALERT_THRESHOLDS", flag: "alert-thresholds", default: MonitorRule.defaults, shown: "(built-in)",
        help: "Alert rules, e.g. failed_auth=30/5m/block15m,send=50/1h (signal=count/window[/blockDURATION]).",
        kind: SettingKind(
            parse: { text throws(SettingProblem) in try parseRules(text, base: MonitorRule.defaults) },
            show: { _ in nil }))

    /// Unset: `audit-signing.key` in the data directory.
    public static let auditKey = Setting<String?>(
        "GRAPHGATE_AUDIT_KEY", flag: "audit-key", shown: "(data dir)/audit-signing.key",
        help: "File with the HMAC key that signs audit chain heads (created 0600 when absent).", kind: .text)

    static func load(_ settings: SettingsReader) throws(ConfigError) -> SecurityConfig {
        SecurityConfig(
            alertWebhook: try settings.read(alertWebhook), rules: try settings.read(alertThresholds),
            auditKeyPath: try settings.read(auditKey))
    }

    /// `signal=count/window[/blockDURATION]`, comma-separated; rules not named keep their defaults.
    static func parseRules(_ text: String, base: [MonitorRule]) throws(SettingProblem) -> [MonitorRule] {
        var rules = Dictionary(uniqueKeysWithValues: base.map { ($0.signal, $0) })
        let problem = SettingProblem("expected signal=count/window[/blockDURATION], e.g. failed_auth=30/5m/block15m")
        for entry in GraphGateConfig.parseList(text) {
            let pair = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, let signal = SecuritySignal(rawValue: pair[0]) else {
                throw problem
            }
            let parts = pair[1].split(separator: "/").map(String.init)
            guard parts.count == 2 || parts.count == 3, let count = Int(parts[0]), count > 0,
                let window = try? IncidentResponder.parseDuration(parts[1])
            else { throw problem }
            var block: Duration?
            if parts.count == 3 {
                guard parts[2].hasPrefix("block"),
                    let duration = try? IncidentResponder.parseDuration(String(parts[2].dropFirst(5)))
                else { throw problem }
                block = duration
            }
            rules[signal] = MonitorRule(signal: signal, threshold: count, window: window, blockFor: block)
        }
        return SecuritySignal.allCases.compactMap { rules[$0] }
    }
}
