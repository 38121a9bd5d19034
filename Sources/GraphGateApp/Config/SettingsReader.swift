/// Reads settings once, at start: a command-line flag (keyed by the setting's variable name) wins over the
/// environment (where an empty value counts as unset), which wins over the setting's default.
public final class SettingsReader {
    let flags: [String: String]
    let environment: [String: String]
    /// Every setting read so far, with its value as text (nil: unset), in the order read. Tests compare it with
    /// the settings table.
    package private(set) var reads: [(name: String, value: String?)] = []

    public init(flags: [String: String] = [:], environment: [String: String]) {
        self.flags = flags
        self.environment = environment
    }

    /// The text the flag or the variable gives `setting`, or nil when neither does.
    public func text<Value>(_ setting: Setting<Value>) -> String? {
        if let flag = flags[setting.name] { return flag }
        if let value = environment[setting.name], !value.isEmpty { return value }
        return nil
    }

    /// `setting`'s value: the flag's or variable's text parsed, else the setting's default. A text that cannot be
    /// used fails with a `ConfigError` naming the setting.
    public func read<Value>(_ setting: Setting<Value>) throws(ConfigError) -> Value {
        let value: Value
        if let text = text(setting) {
            value = try setting.parse(text)
        } else {
            value = setting.defaultValue
        }
        reads.append((setting.name, setting.show(value)))
        return value
    }
}
