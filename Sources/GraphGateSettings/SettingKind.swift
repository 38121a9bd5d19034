import Authorization
import Foundation
import SecurityOps

/// How a setting's text becomes its value (or the "expected …" problem), and how a value is written back as
/// text (for the default shown in `--help` and README). The kinds settings share are here; a setting with rules
/// of its own builds one with `init(parse:show:)`.
public struct SettingKind<Value: Sendable>: Sendable {
    let parse: @Sendable (String) throws(SettingProblem) -> Value
    let show: @Sendable (Value) -> String?

    public init(
        parse: @escaping @Sendable (String) throws(SettingProblem) -> Value,
        show: @escaping @Sendable (Value) -> String?
    ) {
        self.parse = parse
        self.show = show
    }

    /// The same kind for a setting that may be unset (nil, shown as nothing).
    var optional: SettingKind<Value?> {
        let parse = self.parse
        let show = self.show
        return SettingKind<Value?>(
            parse: { text throws(SettingProblem) in try parse(text) }, show: { $0.flatMap(show) })
    }

    /// The value `text` gives the setting (or value) named `name`; a problem becomes a `ConfigError` naming it.
    func parse(_ text: String, as name: String) throws(ConfigError) -> Value {
        do throws(SettingProblem) {
            return try parse(text)
        } catch {
            throw ConfigError(name, error.text)
        }
    }
}

extension SettingKind where Value == String {
    /// Any text, as given.
    public static var text: SettingKind { SettingKind(parse: { $0 }, show: { $0 }) }

    /// Text that `isValid` accepts; anything else is refused with `problem`.
    public static func text(
        where isValid: @escaping @Sendable (String) -> Bool, else problem: String
    ) -> SettingKind {
        SettingKind(
            parse: { text throws(SettingProblem) in
                guard isValid(text) else { throw SettingProblem(problem) }
                return text
            }, show: { $0 })
    }

    /// The path of a file this process can read (checked when the settings are read).
    public static var readableFile: SettingKind {
        text(where: { FileManager.default.isReadableFile(atPath: $0) }, else: "expected a readable PEM file")
    }
}

extension SettingKind where Value == Bool {
    /// 1/0, true/false, yes/no or on/off; shown as 1 or 0.
    public static var bool: SettingKind {
        SettingKind(
            parse: { text throws(SettingProblem) in
                switch text.lowercased() {
                case "1", "true", "yes", "on": return true
                case "0", "false", "no", "off": return false
                default: throw SettingProblem("expected 1 or 0 (true/false)")
                }
            }, show: { $0 ? "1" : "0" })
    }
}

extension SettingKind where Value == Int {
    /// A whole number of `unit` in `range`.
    public static func wholeNumber(in range: ClosedRange<Int>, of unit: String) -> SettingKind {
        integer(
            in: range, problem: "expected a whole number of \(unit) from \(range.lowerBound) to \(range.upperBound)")
    }

    /// A number of days in `range`.
    public static func days(in range: ClosedRange<Int>) -> SettingKind { wholeNumber(in: range, of: "days") }

    /// A TCP port number in `range`.
    public static func port(in range: ClosedRange<Int>) -> SettingKind {
        integer(in: range, problem: "expected a port number from \(range.lowerBound) to \(range.upperBound)")
    }

    private static func integer(in range: ClosedRange<Int>, problem: String) -> SettingKind {
        SettingKind(
            parse: { text throws(SettingProblem) in
                guard let number = Int(text), range.contains(number) else { throw SettingProblem(problem) }
                return number
            }, show: { String($0) })
    }
}

extension SettingKind where Value == [String] {
    /// Comma-separated entries, each trimmed, empty ones dropped; shown joined by commas.
    public static var list: SettingKind {
        SettingKind(parse: { GraphGateConfig.parseList($0) }, show: { $0.joined(separator: ",") })
    }

    /// A list whose every entry (lowercased first when `lowercased`) `isValid` accepts; otherwise `problem`.
    public static func list(
        lowercased: Bool = false, each isValid: @escaping @Sendable (String) -> Bool, else problem: String
    ) -> SettingKind {
        SettingKind(
            parse: { text throws(SettingProblem) in
                let entries = GraphGateConfig.parseList(text).map { lowercased ? $0.lowercased() : $0 }
                guard entries.allSatisfy(isValid) else { throw SettingProblem(problem) }
                return entries
            }, show: { $0.joined(separator: ",") })
    }
}

extension SettingKind where Value == Duration {
    /// A duration such as `10s`, `2m` or `1h` (`IncidentResponder.parseDuration`) of at most `limit`; shown in
    /// seconds.
    public static func duration(atMost limit: Duration) -> SettingKind {
        SettingKind(
            parse: { text throws(SettingProblem) in
                guard let value = try? IncidentResponder.parseDuration(text), value <= limit else {
                    throw SettingProblem("expected a duration such as 10s or 2m (at most \(limit.compactSettingText))")
                }
                return value
            }, show: { "\($0.components.seconds)s" })
    }
}

extension Duration {
    /// In its largest whole unit (`1h`, `5m`, `90s`), as settings write durations.
    var compactSettingText: String {
        let seconds = components.seconds
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

extension SettingKind where Value == URL {
    /// An absolute http(s) URL; plain `http` only for loopback hosts, so tokens never cross a network in clear.
    /// Without `allowPath`, a base URL (no path).
    public static func url(allowPath: Bool) -> SettingKind {
        SettingKind(
            parse: { text throws(SettingProblem) in
                guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
                    let host = components.host, !host.isEmpty, components.user == nil, components.query == nil,
                    components.fragment == nil, let url = components.url
                else {
                    throw SettingProblem("expected an absolute URL like https://host[:port]")
                }
                guard scheme == "https" || (scheme == "http" && RedirectURIPolicy.isLoopback(host)) else {
                    throw SettingProblem("expected https (http is accepted only for loopback hosts)")
                }
                if !allowPath && !(components.path.isEmpty || components.path == "/") {
                    throw SettingProblem("expected a base URL without a path")
                }
                return url
            }, show: { $0.absoluteString })
    }
}
