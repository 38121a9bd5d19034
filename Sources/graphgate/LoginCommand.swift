import ArgumentParser
import GraphGateDesktop
import GraphGateSettings

/// `graphgate login`: signs the person at this computer in to Microsoft for `graphgate stdio`.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in to Microsoft 365 on this computer, for `graphgate stdio` (desktop MCP clients).",
        discussion: """
            Uses the device code flow: open the printed URL on any device and enter the code. With --browser, \
            signs in in this computer's browser instead (authorization code + PKCE, redirect to 127.0.0.1 on a \
            random port). Tokens are encrypted with a keyring in the data directory (0700). Run again with \
            --account LABEL to add another account (work + personal). Try it offline: `graphgate sandbox` in one \
            terminal, `graphgate login --sandbox` in another.
            """)

    @OptionGroup var desktop: DesktopCommandOptions
    @Option(help: "Label of this account, for the tools' `account` argument. [default: default]")
    var account: String?
    @Flag(help: "Show who is signed in and with which scopes, and do nothing else.")
    var status = false
    @Flag(help: "Sign in with this computer's browser (loopback redirect) instead of a device code.")
    var browser = false
    @Flag(help: "With --browser: print the URL but do not open a browser.")
    var noOpen = false
    @Flag(help: "Ask only for read permissions (for `graphgate stdio --read-only`).")
    var readOnly = false
    @Option(
        help: "Client id of your Entra app (public client flows allowed). \(GraphGateConfig.msClientId.fallbackHint)")
    var clientId: String?
    @Option(help: "Tenant id, common, organizations or consumers. \(GraphGateConfig.msTenant.fallbackHintWithDefault)")
    var tenant: String?
    @Option(help: "Identity platform authority. \(GraphGateConfig.msAuthority.fallbackHintWithDefault)")
    var authority: String?
    @Option(help: "Microsoft Graph base URL. \(GraphGateConfig.graphURL.fallbackHintWithDefault)")
    var graphURL: String?

    func run() async throws {
        let options = desktop.desktop(clientId: clientId, tenant: tenant, authority: authority, graphURL: graphURL)
        let logger = DesktopCommandOptions.logger(defaultLevel: .warning)
        do {
            if status {
                say(try await DesktopCommands.status(options: options, logger: logger))
                return
            }
            let summary = try await DesktopCommands.login(
                options: options, label: account, readOnly: readOnly, browser: browser, openBrowser: !noOpen,
                logger: logger, say: { say($0) })
            say(summary)
        } catch {
            fail(error.description)
        }
    }
}
