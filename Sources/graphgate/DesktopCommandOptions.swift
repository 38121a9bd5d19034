import ArgumentParser
import Foundation
import GraphGateDesktop
import GraphGateSettings
import Logging

/// Flags shared by `login`, `logout` and `stdio`: where the local store is and which tenant it signs in to.
struct DesktopCommandOptions: ParsableArguments {
    @Flag(help: "Use the emulated Microsoft 365 tenant (run `graphgate sandbox` first); no Microsoft app needed.")
    var sandbox = false
    @Option(
        help:
            "URL of the emulated tenant (implies --sandbox). [default: the URL login used, else http://127.0.0.1:8081]")
    var sandboxURL: String?
    @Option(help: "Data directory. [default: $XDG_DATA_HOME/graphgate, else ~/.local/share/graphgate]")
    var dataDir: String?

    func desktop(
        clientId: String? = nil, tenant: String? = nil, authority: String? = nil, graphURL: String? = nil
    ) -> DesktopOptions {
        DesktopOptions(
            dataDirectory: dataDir, sandbox: sandbox, sandboxURL: sandboxURL, clientId: clientId, tenant: tenant,
            authority: authority, graphURL: graphURL)
    }

    /// stderr logger; quiet (warnings) for interactive commands unless GRAPHGATE_LOG_LEVEL says otherwise.
    static func logger(defaultLevel: Logger.Level) -> Logger {
        var logger = CLILogging.logger("graphgate.desktop")
        if ProcessInfo.processInfo.environment[OperationsConfig.logLevel.name] == nil { logger.logLevel = defaultLevel }
        return logger
    }
}

/// Prints one line to stdout at once (the terminal, or a test reading the pipe, sees it before the wait starts).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
