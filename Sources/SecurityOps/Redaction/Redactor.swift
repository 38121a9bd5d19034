import Foundation

/// The one redaction layer: removes secrets and personal addresses from free text before it reaches a log line,
/// an error body or an audit row.
///
/// What it removes: `Bearer`/`Basic` credentials; `Authorization`, `Cookie`, `Set-Cookie` header values; values of
/// secret-named fields in query strings, forms, JSON and `key: "value"` text (`access_token`, `refresh_token`,
/// `id_token`, `code`, `code_verifier`, `client_secret`, `client_assertion`, `device_code`, `password`, `state`,
/// `nonce`, `session`, `csrf`, …); JWTs; query strings of URLs (OAuth URLs carry codes and state there); user
/// info in URLs; email addresses; long random-looking strings (mixed case and digits, 32+ characters, as opaque
/// tokens are); and any literal secret registered with `adding(secrets:)`.
public struct Redactor: Sendable {
    public static let mask = "[REDACTED]"
    public static let standard = Redactor()

    private let rules: Rules
    private let secrets: [String]

    public init() {
        self.rules = Rules.shared
        self.secrets = []
    }

    private init(rules: Rules, secrets: [String]) {
        self.rules = rules
        self.secrets = secrets
    }

    /// A redactor that also removes these literal values (for example the configured client secret).
    public func adding(secrets more: [String]) -> Redactor {
        Redactor(rules: rules, secrets: secrets + more.filter { $0.count >= 8 })
    }

    /// `text` with every secret and email address replaced.
    public func redact(_ text: String) -> String {
        redact(text, opaqueTokens: true)
    }

    /// Redaction for one audit detail value. Values of id fields (`message_id`, `target_ids`, …) keep long
    /// random-looking strings, because Graph object ids look like that and the audit must name targets; every
    /// other rule still applies.
    public func redact(detail value: String, key: String) -> String {
        let lower = key.lowercased()
        if Rules.secretKeys.contains(lower) { return value.isEmpty ? value : Self.mask }
        let isId = lower == "id" || lower == "ids" || lower.hasSuffix("_id") || lower.hasSuffix("_ids")
        return redact(value, opaqueTokens: !isId)
    }

    private func redact(_ text: String, opaqueTokens: Bool) -> String {
        guard !text.isEmpty else { return text }
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: Self.mask)
        }
        for (regex, template) in rules.templated {
            out = Self.replace(regex, in: out, template: template)
        }
        if opaqueTokens {
            out = Self.replace(rules.opaque, in: out) { match in
                Rules.looksRandom(match) ? Self.mask : match
            }
        }
        return out
    }

    private static func replace(_ regex: NSRegularExpression, in text: String, template: String) -> String {
        let range = NSRange(text.startIndex..., in: text)
        guard regex.firstMatch(in: text, range: range) != nil else { return text }
        return regex.stringByReplacingMatches(in: text, range: range, withTemplate: template)
    }

    private static func replace(
        _ regex: NSRegularExpression, in text: String, _ transform: (String) -> String
    ) -> String {
        let matches = regex.matches(in: text, range: NSRange(text.startIndex..., in: text))
        guard !matches.isEmpty else { return text }
        var out = text
        for match in matches.reversed() {
            guard let range = Range(match.range, in: out) else { continue }
            let replacement = transform(String(out[range]))
            if replacement != String(out[range]) { out.replaceSubrange(range, with: replacement) }
        }
        return out
    }

    /// The compiled rules (NSRegularExpression is immutable and thread-safe once built).
    final class Rules: @unchecked Sendable {
        static let shared = Rules()

        static let secretKeys: Set<String> = [
            "access_token", "refresh_token", "id_token", "token", "code", "code_verifier", "verifier",
            "client_secret", "secret", "client_assertion", "assertion", "device_code", "user_code", "password",
            "passwd", "state", "nonce", "session", "session_id", "sessionid", "csrf", "csrf_token", "cookie",
            "api_key", "apikey", "authorization", "mcp-session-id", "subject_token", "otp", "key",
        ]

        let templated: [(NSRegularExpression, String)]
        let opaque: NSRegularExpression

        private init() {
            let keys = Self.secretKeys.sorted { $0.count > $1.count }
                .map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
            func rx(_ pattern: String) -> NSRegularExpression {
                // The patterns are constants; a typo is a programming error caught by the tests.
                try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
            }
            templated = [
                // Header lines: everything after the colon.
                (
                    rx(#"\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key)(\s*:\s*)[^\r\n]+"#),
                    "$1$2\(Redactor.mask)"
                ),
                // Credentials after an auth scheme.
                (rx(#"\b(bearer|basic|dpop)(\s+)[A-Za-z0-9\-._~+/]{6,}=*"#), "$1$2\(Redactor.mask)"),
                // JWTs anywhere.
                (rx(#"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"#), Redactor.mask),
                // User info in URLs.
                (rx(#"([a-z][a-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@"#), "$1\(Redactor.mask)@"),
                // Query strings of URLs (OAuth redirects carry code and state there).
                (rx(#"(\b[a-z][a-z0-9+.\-]*://[^\s?#"'<>]+)\?[^\s#"'<>]*"#), "$1?\(Redactor.mask)"),
                // "key": "value" and key: "value" (JSON, Swift descriptions).
                (rx(#"(["']?)\b("# + keys + #")\1(\s*[:=]\s*)"(?:[^"\\]|\\.)*""#), "$1$2$1$3\"\(Redactor.mask)\""),
                // key=value (query strings, forms, logfmt).
                (rx(#"\b("# + keys + #")(\s*=\s*)(?!\[REDACTED\])[^\s&,;"'}\])]+"#), "$1$2\(Redactor.mask)"),
                // Email addresses.
                (rx(#"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#), "[email]"),
            ]
            opaque = rx(#"[A-Za-z0-9_\-~+/.]{32,}={0,2}"#)
        }

        /// Opaque tokens are long and mix upper case, lower case and digits; hex hashes, UUIDs, words and paths
        /// do not.
        static func looksRandom(_ text: String) -> Bool {
            var upper = 0
            var lower = 0
            var digit = 0
            var slash = 0
            for scalar in text.unicodeScalars {
                switch scalar {
                case "A"..."Z": upper += 1
                case "a"..."z": lower += 1
                case "0"..."9": digit += 1
                case "/", ".": slash += 1
                default: break
                }
            }
            if slash > 2 { return false }
            return upper >= 3 && lower >= 3 && digit >= 2
        }
    }
}
