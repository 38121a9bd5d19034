import ArgumentParser
import GraphGateDesktop
import GraphGateSettings

/// `graphgate stdio`: MCP over stdin/stdout for a desktop client, as the person who ran `graphgate login`.
struct StdioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stdio",
        abstract: "Serve MCP over stdin/stdout for Claude Desktop, VS Code, Cursor (after `graphgate login`).",
        discussion: """
            stdout carries only JSON-RPC; logs go to stderr (\(OperationsConfig.logLevel.name), \(OperationsConfig.logFormat.name)). Tools \
            take an optional `account` argument to pick one of several signed-in accounts. Audit events are \
            written to the local store.
            """)

    @OptionGroup var desktop: DesktopCommandOptions
    @Flag(help: "Expose only read tools. \(GraphGateConfig.readOnly.fallbackHint)")
    var readOnly = false
    @Option(help: "Tool names or globs to expose, comma-separated. \(GraphGateConfig.tools.fallbackHint)")
    var tools: String?
    @Option(
        help: "Recipient domains mail may go to, comma-separated. \(GraphGateConfig.sendAllowedDomains.fallbackHint)")
    var sendAllowedDomains: String?
    @Option(help: "Sends per hour. \(GraphGateConfig.sendCap.fallbackHintWithDefault)")
    var sendCap: String?
    @Flag(help: "Confirm each send with the user (MCP elicitation). \(GraphGateConfig.confirmSends.fallbackHint)")
    var confirmSends = false

    func run() async throws {
        let logger = DesktopCommandOptions.logger(defaultLevel: .info)
        let options = desktop.desktop()
        do {
            let policy = try options.toolPolicy(
                readOnly: readOnly, tools: tools, sendAllowedDomains: sendAllowedDomains, sendCap: sendCap,
                confirmSends: confirmSends)
            try await DesktopStdio.run(options: options, policy: policy, logger: logger)
        } catch {
            fail(error.description)
        }
    }
}
