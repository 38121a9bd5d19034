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
        for secret in secrets where Self.containsBytes(out, secret) {
            out = out.replacingOccurrences(of: secret, with: Self.mask)
        }
        let shape = Shape(out)
        var replaced = false
        for (regex, template, trigger) in rules.templated where shape.mayMatch(trigger) {
            out = Self.replace(regex, in: out, template: template, replaced: &replaced)
        }
        // A rule that replaced part of a token run (a JWT inside a path) can leave a shorter run that now looks
        // random: judge what is left.
        if opaqueTokens && (replaced ? Shape(out) : shape).mayMatch(.longRun) {
            out = Self.replace(rules.opaque, in: out) { match in
                Rules.looksRandom(match) ? Self.mask : match
            }
        }
        return out
    }

    /// Whether `needle`'s UTF-8 occurs in `text`'s (a literal match, as the secrets are registered).
    static func containsBytes(_ text: String, _ needle: String) -> Bool {
        var text = text
        var needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { needle in
                guard let first = needle.first, needle.count <= haystack.count else { return false }
                var start = 0
                let last = haystack.count - needle.count
                while start <= last {
                    guard let hit = haystack[start...last].firstIndex(of: first) else { return false }
                    if memcmp(haystack.baseAddress! + hit, needle.baseAddress!, needle.count) == 0 { return true }
                    start = hit + 1
                }
                return false
            }
        }
    }

    private static func replace(
        _ regex: NSRegularExpression, in text: String, template: String, replaced: inout Bool
    ) -> String {
        let range = NSRange(text.startIndex..., in: text)
        guard regex.firstMatch(in: text, range: range) != nil else { return text }
        replaced = true
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

        let templated: [(NSRegularExpression, String, Shape.Trigger)]
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
                    "$1$2\(Redactor.mask)", .colon
                ),
                // Credentials after an auth scheme.
                (rx(#"\b(bearer|basic|dpop)(\s+)[A-Za-z0-9\-._~+/]{6,}=*"#), "$1$2\(Redactor.mask)", .space),
                // JWTs anywhere.
                (rx(#"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"#), Redactor.mask, .twoDots),
                // User info in URLs.
                (rx(#"([a-z][a-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@"#), "$1\(Redactor.mask)@", .colon),
                // Query strings of URLs (OAuth redirects carry code and state there).
                (rx(#"(\b[a-z][a-z0-9+.\-]*://[^\s?#"'<>]+)\?[^\s#"'<>]*"#), "$1?\(Redactor.mask)", .colon),
                // "key": "value" and key: "value" (JSON, Swift descriptions).
                (
                    rx(#"(["']?)\b("# + keys + #")\1(\s*[:=]\s*)"(?:[^"\\]|\\.)*""#), "$1$2$1$3\"\(Redactor.mask)\"",
                    .colonOrEquals
                ),
                // key=value (query strings, forms, logfmt).
                (rx(#"\b("# + keys + #")(\s*=\s*)(?!\[REDACTED\])[^\s&,;"'}\])]+"#), "$1$2\(Redactor.mask)", .equals),
                // Email addresses.
                (rx(#"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#), "[email]", .at),
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

    /// What a text contains, found in one pass, so each rule's regex runs only on text it could match: every rule
    /// needs some ASCII character (`:` `=` `@`, whitespace, two dots), and the opaque-token rule a 32-character
    /// token run that ``Rules/looksRandom(_:)`` would mask (request ids and hashes are long runs that it keeps, so
    /// they cost no regex). Text with any non-ASCII byte runs every rule (ICU's case-insensitive classes reach
    /// beyond ASCII).
    struct Shape {
        enum Trigger { case colon, equals, colonOrEquals, at, space, twoDots, longRun }

        private var colon = false
        private var equals = false
        private var at = false
        private var space = false
        private var dots = 0
        /// Some maximal run of token characters is 32 or longer and mixes cases and digits as opaque tokens do.
        private var randomRun = false
        private var nonASCII = false

        /// One maximal run of the opaque-token rule's characters, counted as ``Rules/looksRandom(_:)`` counts.
        private struct Run {
            var length = 0
            var upper = 0
            var lower = 0
            var digit = 0
            var slash = 0

            var looksRandom: Bool { length >= 32 && slash <= 2 && upper >= 3 && lower >= 3 && digit >= 2 }
        }

        init(_ text: String) {
            var run = Run()
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    run.length += 1
                    run.upper += 1
                case UInt8(ascii: "a")...UInt8(ascii: "z"):
                    run.length += 1
                    run.lower += 1
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    run.length += 1
                    run.digit += 1
                case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "~"), UInt8(ascii: "+"):
                    run.length += 1
                case UInt8(ascii: "/"):
                    run.length += 1
                    run.slash += 1
                case UInt8(ascii: "."):
                    run.length += 1
                    run.slash += 1
                    dots += 1
                default:
                    randomRun = randomRun || run.looksRandom
                    run = Run()
                    switch byte {
                    case UInt8(ascii: ":"): colon = true
                    case UInt8(ascii: "="): equals = true
                    case UInt8(ascii: "@"): at = true
                    case 0x09...0x0D, UInt8(ascii: " "): space = true
                    case 0x80...: nonASCII = true
                    default: break
                    }
                }
            }
            randomRun = randomRun || run.looksRandom
        }

        func mayMatch(_ trigger: Trigger) -> Bool {
            if nonASCII { return true }
            switch trigger {
            case .colon: return colon
            case .equals: return equals
            case .colonOrEquals: return colon || equals
            case .at: return at
            case .space: return space
            case .twoDots: return dots >= 2
            case .longRun: return randomRun
            }
        }
    }
}
