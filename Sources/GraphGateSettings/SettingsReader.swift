/// Reads settings once, at start: a command-line flag (keyed by the setting's variable name) wins over the
/// environment (where an empty value counts as unset), which wins over the setting's default.
public final class SettingsReader {
    let flags: [String: String]
    let environment: [String: String]
    /// Every setting read so far, in the order read, with the default it fell back to written as text (nil when
    /// a value was given: given values, secrets among them, are not kept). Tests compare it with the table.
    package private(set) var reads: [(name: String, defaultUsed: String?)] = []

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
        guard let text = text(setting) else {
            reads.append((setting.name, setting.show(setting.defaultValue)))
            return setting.defaultValue
        }
        reads.append((setting.name, nil))
        return try setting.parse(text)
    }
}
