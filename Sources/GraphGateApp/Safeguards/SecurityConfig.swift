import Foundation
import SecurityOps

/// The security-operations settings: alert webhook and thresholds, the audit signing key, rate budgets.
/// Part of `GraphGateConfig` (`config.security`), read once with the rest.
public struct SecurityConfig: Sendable {
    /// Where alerts are POSTed as JSON (nil: alerts go to the log, audit and metrics only).
    public var alertWebhook: String?
    /// Monitor rules (`GRAPHGATE_ALERT_THRESHOLDS` overrides the defaults rule by rule).
    public var rules: [MonitorRule] = MonitorRule.defaults
    /// The audit head signing key file (nil: `audit-signing.key` in the data directory, created on first use).
    public var auditKeyPath: String?
    /// How often the audit head is signed.
    public var auditSignInterval: Duration = .seconds(60)

    public init() {}

    static let variables: [GraphGateConfig.Variable] = [
        .init(
            name: "GRAPHGATE_ALERT_WEBHOOK", flag: "alert-webhook", defaultValue: "(none)",
            help: "URL that security alerts are POSTed to as JSON (retried; never contains secrets)."),
        .init(
            name: "GRAPHGATE_ALERT_THRESHOLDS", flag: "alert-thresholds", defaultValue: "(built-in)",
            help: "Alert rules, e.g. failed_auth=30/5m/block15m,send=50/1h (signal=count/window[/blockDURATION])."),
        .init(
            name: "GRAPHGATE_AUDIT_KEY", flag: "audit-key", defaultValue: "(data dir)/audit-signing.key",
            help: "File with the HMAC key that signs audit chain heads (created 0600 when absent)."),
    ]

    static func load(value: (String) -> String?) throws(ConfigError) -> SecurityConfig {
        var config = SecurityConfig()
        if let hook = value("GRAPHGATE_ALERT_WEBHOOK") {
            do {
                _ = try GraphGateConfig.parseURL(hook, variable: "GRAPHGATE_ALERT_WEBHOOK", allowPath: true)
            } catch {
                // A webhook may carry its own token in the query; accept it but still require http(s).
                guard let url = URLComponents(string: hook), ["http", "https"].contains(url.scheme ?? ""),
                    url.host != nil
                else { throw ConfigError("GRAPHGATE_ALERT_WEBHOOK", "expected an http(s) URL") }
            }
            config.alertWebhook = hook
        }
        if let text = value("GRAPHGATE_ALERT_THRESHOLDS") {
            config.rules = try parseRules(text, base: config.rules)
        }
        config.auditKeyPath = value("GRAPHGATE_AUDIT_KEY")
        return config
    }

    /// `signal=count/window[/blockDURATION]`, comma-separated; rules not named keep their defaults.
    static func parseRules(_ text: String, base: [MonitorRule]) throws(ConfigError) -> [MonitorRule] {
        var rules = Dictionary(uniqueKeysWithValues: base.map { ($0.signal, $0) })
        let problem = "expected signal=count/window[/blockDURATION], e.g. failed_auth=30/5m/block15m"
        for entry in GraphGateConfig.parseList(text) {
            let pair = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, let signal = SecuritySignal(rawValue: pair[0]) else {
                throw ConfigError("GRAPHGATE_ALERT_THRESHOLDS", problem)
            }
            let parts = pair[1].split(separator: "/").map(String.init)
            guard parts.count == 2 || parts.count == 3, let count = Int(parts[0]), count > 0,
                let window = try? IncidentResponder.parseDuration(parts[1])
            else { throw ConfigError("GRAPHGATE_ALERT_THRESHOLDS", problem) }
            var block: Duration?
            if parts.count == 3 {
                guard parts[2].hasPrefix("block"),
                    let duration = try? IncidentResponder.parseDuration(String(parts[2].dropFirst(5)))
                else { throw ConfigError("GRAPHGATE_ALERT_THRESHOLDS", problem) }
                block = duration
            }
            rules[signal] = MonitorRule(signal: signal, threshold: count, window: window, blockFor: block)
        }
        return SecuritySignal.allCases.compactMap { rules[$0] }
    }
}
