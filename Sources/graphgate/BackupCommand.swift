import ArgumentParser
import GraphGateApp
import GraphGateSettings

/// `graphgate backup PATH`: an online, consistent copy of the SQLite store (safe while `serve` runs). For
/// PostgreSQL it prints the pg_dump/pg_restore commands instead. The keyring is not part of the backup.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the SQLite database to PATH (PostgreSQL: prints pg_dump guidance).",
        discussion: """
            The copy holds users, grants, hashed tokens, encrypted Microsoft tokens and the audit log, never mail \
            content. The keyring (\(GraphGateConfig.keyring.name)) is NOT in it: back the keyring up separately and keep the \
            two apart, so a stolen database backup is only ciphertext. Restore: stop graphgate, put the copy \
            where \(GraphGateConfig.databaseURL.name) points (or point it at the copy), start graphgate with the same keyring.
            """)

    @Argument(help: "The file to create (must not exist).")
    var path: String

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let logger = CLILogging.logger()
        do {
            switch try await DatabaseBackup.run(config: config, path: path, logger: logger) {
            case .written(let written, let bytes):
                print("backup written: \(written) (\(bytes) bytes)")
                print("the keyring is not in this file: back it up separately (see docs/deployment.md)")
            case .usePostgresTools(let guidance):
                fail(guidance)
            }
        } catch {
            fail(error.description)
        }
    }
}
