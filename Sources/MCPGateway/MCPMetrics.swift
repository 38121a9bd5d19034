import Metrics
import SecurityOps

/// The MCP layer's metrics. The labels are defined here, the lowest module that records them; the app's
/// `MetricName` refers to these constants (`docs/operations.md` lists every metric).
public enum MCPMetrics {
    /// Counter, dimensions `tool` (a tool graphgate has, or `unknown`), `outcome` (``ToolOutcome``).
    public static let toolCalls = "graphgate_tool_calls_total"
    /// Meter (a gauge that goes up and down), no dimensions: MCP sessions currently open in this process.
    public static let sessionsOpen = "graphgate_mcp_sessions_open"

    /// How a tool call ended, as counted in ``toolCalls``.
    public enum ToolOutcome: String, Sendable {
        /// The tool ran and answered.
        case ok
        /// The tool answered with an error (bad arguments, Graph failure, account unusable, unknown tool).
        case error
        /// A policy refused it: read-only mode, send policy, a blocked user.
        case denied
        /// Refused by the per-user or per-client tool-call budget before it reached the tool.
        case rateLimited = "rate_limited"

        /// The outcome of a call that reached the tool, from its `tool.call` audit outcome.
        init(_ audited: AuditEvent.Outcome) {
            switch audited {
            case .success: self = .ok
            case .failure: self = .error
            case .denied: self = .denied
            }
        }
    }

    /// Every tool name graphgate defines: the only values the `tool` dimension takes besides `unknown`, so a
    /// client cannot grow the label set by calling made-up tools.
    static let knownTools: Set<String> = Set(ToolCatalogue.allDefinitions.map(\.name))

    /// Counts one call of the tool named `name` (as the client sent it).
    public static func toolCall(_ name: String, _ outcome: ToolOutcome) {
        let tool = knownTools.contains(name) ? name : "unknown"
        Counter(label: toolCalls, dimensions: [("tool", tool), ("outcome", outcome.rawValue)]).increment()
    }

    static func sessionOpened() { Meter(label: sessionsOpen).increment() }
    static func sessionClosed() { Meter(label: sessionsOpen).decrement() }
}
