/// Why a setting's text cannot be used: the "expected …" part of the `ConfigError` that names the setting.
public struct SettingProblem: Error, Sendable {
    public var text: String

    public init(_ text: String) { self.text = text }
}

/// One setting, declared once: its environment variable, its command-line flag, its typed default, how that
/// default reads in `--help` and README, what it means, and how its text is read (``SettingKind``).
///
/// Loaders read a setting through a ``SettingsReader`` (`try settings.read(GraphGateConfig.rateLimit)`), which
/// gives the parsed flag or variable, else `defaultValue`. An optional setting (`Setting<String?>`) defaults to
/// nil; where its default is computed from other settings (the public URL from host and port), the loader does
/// that and `shownDefault` describes it.
public struct Setting<Value: Sendable>: Sendable {
    /// The environment variable (`GRAPHGATE_PORT`), also the key of command-line flags given to the loader.
    public let name: String
    /// The command-line flag without its dashes (`port`).
    public let flag: String
    /// What the setting is when neither the flag nor the variable gives it.
    public let defaultValue: Value
    /// The default as `--help` and README show it.
    public let shownDefault: String
    /// Whether `shownDefault` is `defaultValue` written out (setting it gives the default), not a description
    /// such as "(none)".
    public let defaultIsLiteral: Bool
    public let help: String
    /// Never shown or logged (passwords, tokens, keys).
    public let secret: Bool
    /// Read before the command line is parsed (logging), so it has no flag.
    public let environmentOnly: Bool
    let kind: SettingKind<Value>

    /// A setting whose default is a value, shown in help as the kind writes it.
    public init(
        _ name: String, flag: String, default defaultValue: Value, help: String, secret: Bool = false,
        environmentOnly: Bool = false, kind: SettingKind<Value>
    ) {
        self.init(
            name, flag: flag, defaultValue: defaultValue, shown: kind.show(defaultValue) ?? "", literal: true,
            help: help,
            secret: secret, environmentOnly: environmentOnly, kind: kind)
    }

    /// A setting whose default is described rather than written out (`"(built-in)"`, `"(all)"`).
    public init(
        _ name: String, flag: String, default defaultValue: Value, shown: String, help: String,
        secret: Bool = false, environmentOnly: Bool = false, kind: SettingKind<Value>
    ) {
        self.init(
            name, flag: flag, defaultValue: defaultValue, shown: shown, literal: false, help: help, secret: secret,
            environmentOnly: environmentOnly, kind: kind)
    }

    /// An optional setting: nil unless given (or computed by its loader, as `shown` describes).
    public init<Wrapped>(
        _ name: String, flag: String, shown: String, help: String, secret: Bool = false,
        environmentOnly: Bool = false, kind: SettingKind<Wrapped>
    ) where Value == Wrapped? {
        self.init(
            name, flag: flag, defaultValue: nil, shown: shown, literal: false, help: help, secret: secret,
            environmentOnly: environmentOnly, kind: kind.optional)
    }

    private init(
        _ name: String, flag: String, defaultValue: Value, shown: String, literal: Bool, help: String,
        secret: Bool, environmentOnly: Bool, kind: SettingKind<Value>
    ) {
        self.name = name
        self.flag = flag
        self.defaultValue = defaultValue
        self.shownDefault = shown
        self.defaultIsLiteral = literal
        self.help = help
        self.secret = secret
        self.environmentOnly = environmentOnly
        self.kind = kind
    }

    /// The value `text` gives this setting; the error names the setting and says what was expected.
    public func parse(_ text: String) throws(ConfigError) -> Value { try kind.parse(text, as: name) }

    /// `value` written as this setting's text (nil for an unset optional setting).
    public func show(_ value: Value) -> String? { kind.show(value) }

    /// Its row of the settings table (flags, `--help`, README).
    public var variable: GraphGateConfig.Variable {
        GraphGateConfig.Variable(
            name: name, flag: flag, defaultValue: shownDefault, help: help, secret: secret,
            environmentOnly: environmentOnly, defaultIsLiteral: defaultIsLiteral, isSwitch: Value.self == Bool.self,
            canonical: { [kind, name] text throws(ConfigError) in kind.show(try kind.parse(text, as: name)) })
    }
}
