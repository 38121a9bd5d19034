import ArgumentParser
import GraphGateApp

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations and exit (serve also does this at start).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let logger = CLILogging.logger()
        do {
            let applied = try await GraphGateServer.migrate(config: config, logger: logger)
            print(
                applied.isEmpty
                    ? "schema is current (\(config.database))"
                    : "applied \(applied.count) migration(s) to \(config.database): \(applied.joined(separator: ", "))")
        } catch {
            fail(String(describing: error))
        }
    }
}
