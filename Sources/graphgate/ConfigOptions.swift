import ArgumentParser
import Foundation
import GraphGateSettings
import Logging
import Observability

/// The settings of every server-side command: each `GRAPHGATE_*` variable of the one settings table
/// (`GraphGateConfig.variables`) is also a flag (`--port 9000` or `--port=9000`), which wins over the variable.
/// ``SettingFlags`` takes them off the command line before the rest is parsed; `serve --help` lists them.
struct ConfigOptions: ParsableArguments {
    /// The flags given, keyed by the environment variable they override.
    var flags: [String: String] { SettingFlags.commandLine.flags }

    /// Reads the configuration or fails with one line naming the variable (exit code 1, no usage text: the
    /// command line was fine, a value was not).
    func load() throws -> GraphGateConfig {
        do {
            return try GraphGateConfig.load(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            fail("configuration error: \(error.description)")
        }
    }
}

extension Setting {
    /// `[GRAPHGATE_TOOLS]`: the server setting a desktop command's flag falls back to, for the flag's help.
    var fallbackHint: String { "[\(name)]" }
    /// `[GRAPHGATE_SEND_CAP, default 30]`: the same with the setting's default.
    var fallbackHintWithDefault: String { "[\(name), default \(shownDefault)]" }
}

/// Logs go to stderr (stdout belongs to JSON-RPC in stdio mode and to machine-readable output elsewhere):
/// JSON lines, or plain text on a terminal (`GRAPHGATE_LOG_FORMAT`), redacted, at `GRAPHGATE_LOG_LEVEL`.
enum CLILogging {
    static let bootstrap: Void = {
        LoggingSystem.bootstrap { label in GraphGateLogging.makeHandler(label: label) }
    }()

    static func logger(_ label: String = "graphgate") -> Logger {
        _ = bootstrap
        return Logger(label: label)
    }
}

/// Prints one line to stderr and exits 1: how every command reports an error it understands.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("graphgate: \(message)\n".utf8))
    exit(1)
}
