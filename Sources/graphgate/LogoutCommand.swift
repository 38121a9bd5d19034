import ArgumentParser
import GraphGateApp
import GraphGateDesktop

/// `graphgate logout`: deletes this computer's Microsoft tokens (all of them, or one account's).
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Sign out on this computer: delete the tokens, keyring and local store.",
        discussion: """
            Without --account everything graphgate keeps in the data directory is deleted (with --sandbox: only \
            the emulated tenant's sign-ins). A running `graphgate stdio` answers "run graphgate login" from its \
            next tool call.
            """)

    @OptionGroup var desktop: DesktopCommandOptions
    @Option(help: "Sign out of this account only.")
    var account: String?

    func run() async throws {
        let logger = DesktopCommandOptions.logger(defaultLevel: .warning)
        do {
            say(try await DesktopCommands.logout(options: desktop.desktop(), label: account, logger: logger))
        } catch {
            fail(error.description)
        }
    }
}
