import Foundation
import Logging
import SecurityOps

/// How graphgate's processes log: JSON lines (or plain text on a terminal), redacted, at `GRAPHGATE_LOG_LEVEL`.
///
/// The command-line tool bootstraps swift-log with `makeHandler`; every handler is wrapped in the security
/// module's `RedactingLogHandler`, so a token that slips into a message or metadata value is masked. Every handler
/// adds the id of the request being served (`RequestLogContext`).
public enum GraphGateLogging {
    public enum Format: String, Sendable {
        case json
        case text
        /// Text when stderr is a terminal, JSON lines otherwise.
        case auto
    }

    /// The environment variables logging is set by, and their defaults: read here, before the command line is
    /// parsed; declared with the other settings (`OperationsConfig.logLevel`, `.logFormat`), which check them.
    public static let levelVariable = "GRAPHGATE_LOG_LEVEL"
    public static let formatVariable = "GRAPHGATE_LOG_FORMAT"
    public static let defaultLevel = Logger.Level.info
    public static let defaultFormat = Format.auto

    public static func level(_ text: String) -> Logger.Level? { Logger.Level(rawValue: text.lowercased()) }

    /// The format actually used for `requested` (resolving `auto` by asking whether stderr is a terminal).
    public static func resolve(_ requested: Format) -> Format {
        guard requested == .auto else { return requested }
        return isatty(STDERR_FILENO) == 1 ? .text : .json
    }

    /// The handler for `label`, from `GRAPHGATE_LOG_FORMAT` and `GRAPHGATE_LOG_LEVEL` in `environment`.
    /// `write` receives JSON lines (stderr by default; tests capture them).
    public static func makeHandler(
        label: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        write: @escaping @Sendable (String) -> Void = JSONLogHandler.writeToStandardError
    ) -> any LogHandler {
        let format = resolve(
            environment[formatVariable].flatMap { Format(rawValue: $0.lowercased()) } ?? defaultFormat)
        var inner: any LogHandler =
            format == .json
            ? JSONLogHandler(label: label, metadataProvider: RequestLogContext.metadataProvider, write: write)
            : StreamLogHandler.standardError(label: label, metadataProvider: RequestLogContext.metadataProvider)
        inner.logLevel = environment[levelVariable].flatMap(level) ?? defaultLevel
        return RedactingLogHandler(wrapping: inner)
    }
}
