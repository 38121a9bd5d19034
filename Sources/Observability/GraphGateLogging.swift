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
        let format = resolve(environment["GRAPHGATE_LOG_FORMAT"].flatMap { Format(rawValue: $0.lowercased()) } ?? .auto)
        var inner: any LogHandler =
            format == .json
            ? JSONLogHandler(label: label, metadataProvider: RequestLogContext.metadataProvider, write: write)
            : StreamLogHandler.standardError(label: label, metadataProvider: RequestLogContext.metadataProvider)
        inner.logLevel = environment["GRAPHGATE_LOG_LEVEL"].flatMap(level) ?? .info
        return RedactingLogHandler(wrapping: inner)
    }
}
