import GraphGateSettings

/// Reads the setting flags (`--port 9000`, `--port=9000`) off the command line of the commands that take the
/// server's settings, so that every setting is declared once, in `GraphGateConfig.variables`, and not again as an
/// ArgumentParser option. What remains is parsed by ArgumentParser as usual.
enum SettingFlags {
    /// The subcommands whose `ConfigOptions` read the settings (others, like `sandbox --port`, have flags of
    /// their own with the same names).
    static let commands: Set<String> = ["serve", "migrate", "backup", "audit", "admin", "keys"]

    struct Split: Sendable {
        var flags: [String: String] = [:]
        var remaining: [String] = []
        /// A setting flag without a value, e.g. `--port` at the end.
        var missingValue: String?
    }

    /// The values a true/false flag takes as its next argument (`--read-only 0`).
    static let switchWords: Set<String> = ["1", "0", "true", "false", "yes", "no", "on", "off"]

    /// This process's command line, split once.
    static let commandLine = split(Array(CommandLine.arguments.dropFirst()))

    static func split(_ arguments: [String]) -> Split {
        var result = Split()
        guard let command = arguments.first(where: { !$0.hasPrefix("-") }), commands.contains(command) else {
            result.remaining = arguments
            return result
        }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                result.remaining += arguments[(index - 1)...]
                break
            }
            guard argument.hasPrefix("--") else {
                result.remaining.append(argument)
                continue
            }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            guard let variable = GraphGateConfig.variable(flag: name) else {
                result.remaining.append(argument)
                continue
            }
            if body.count > name.count {
                result.flags[variable.name] = String(body.dropFirst(name.count + 1))
            } else if variable.isSwitch,
                index == arguments.count || !Self.switchWords.contains(arguments[index].lowercased())
            {
                result.flags[variable.name] = "1"  // `--read-only` alone, or before another argument
            } else if index < arguments.count {
                result.flags[variable.name] = arguments[index]
                index += 1
            } else {
                result.missingValue = argument
            }
        }
        return result
    }
}
