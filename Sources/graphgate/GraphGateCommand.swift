import ArgumentParser
import GraphGateApp

/// `graphgate`: the command tree. Only argument parsing lives in this target; the work is in GraphGateApp.
@main
struct GraphGateCommand: AsyncParsableCommand {
    /// Setting flags are taken off the command line first (``SettingFlags``); ArgumentParser parses the rest.
    static func main() async {
        let split = SettingFlags.commandLine
        if let flag = split.missingValue {
            fail("\(flag) needs a value (see `graphgate serve --help`)")
        }
        await main(split.remaining)
    }

    static let configuration = CommandConfiguration(
        commandName: "graphgate",
        abstract: "An MCP server that lets AI assistants work in your own Microsoft 365 mail, calendar and contacts.",
        discussion: """
            Start with `graphgate serve`: with no Microsoft app configured it runs against an emulated \
            Microsoft 365 tenant (sandbox mode) and an SQLite file, so it works offline on day one.
            """,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, SandboxCommand.self, BackupCommand.self, AuditCommand.self,
            AdminCommand.self,
            KeysCommand.self, LoginCommand.self, LogoutCommand.self, StdioCommand.self,
        ]
    )
}
