import ArgumentParser
import Foundation
import GraphGateApp
import GraphGateSettings
import Storage

/// `graphgate keys`: the keyring that encrypts Microsoft's tokens at rest.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the keyring that encrypts Microsoft tokens at rest.",
        discussion: """
            Rotation: `keys rotate` (new primary), restart every instance, `keys rewrap` (re-encrypt stored tokens \
            under the primary), then `keys disable ID` for the old key. `keys status` shows what still uses each key.
            """,
        subcommands: [Init.self, Rotate.self, Rewrap.self, Disable.self, Enable.self, Status.self, Bench.self])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a keyring file (mode 0600) with one primary key. Never overwrites.")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print a new keyring in \(GraphGateConfig.keyringKey.name) form instead of writing a file.")
        var env = false

        func run() async throws {
            if env {
                print(KeysAdmin.generateEnvironmentValue())
                return
            }
            let config = try options.load()
            do {
                print(try KeysAdmin.initialize(path: KeysAdmin.keyringPath(config)))
            } catch {
                fail(String(describing: error))
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new primary key; the old primary stays for decryption.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            if config.keyringKey != nil {
                fail("the keyring comes from \(GraphGateConfig.keyringKey.name): prepend a new ID:KEY there")
            }
            do {
                let id = try await KeysAdmin.rotate(config: config, logger: CLILogging.logger())
                print("key \(id) is now primary; restart graphgate, then run `graphgate keys rewrap`")
            } catch {
                fail(String(describing: error))
            }
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every stored token under the primary key, in batches (safe to re-run).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Tokens per batch.") var batchSize = 500

        func run() async throws {
            let config = try options.load()
            do {
                let report = try await KeysAdmin.rewrap(
                    config: config, batchSize: max(1, batchSize), logger: CLILogging.logger()
                ) { progress in
                    print("batch \(progress.batches): \(progress.rewrapped) rewrapped, \(progress.failed) failed")
                }
                print(report.description)
                if report.failed > 0 { fail("\(report.failed) token(s) could not be decrypted (see the audit log)") }
            } catch {
                fail(String(describing: error))
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a key: tokens still under it fail closed. Refuses while tokens use it.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Key id (see `graphgate keys status`).") var id: UInt32
        @Flag(help: "Disable even though stored tokens still use the key (their users must sign in again).")
        var force = false

        func run() async throws {
            let config = try options.load()
            if config.keyringKey != nil {
                fail("the keyring comes from \(GraphGateConfig.keyringKey.name): remove the key there")
            }
            do {
                let affected = try await KeysAdmin.disable(
                    config: config, id: id, force: force, logger: CLILogging.logger())
                print("key \(id) disabled\(affected > 0 ? "; \(affected) stored token(s) now fail closed" : "")")
            } catch {
                fail(String(describing: error))
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Undo `disable`: the key decrypts again (decrypt-only). Restart graphgate afterwards.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Key id (see `graphgate keys status`).") var id: UInt32

        func run() async throws {
            let config = try options.load()
            if config.keyringKey != nil {
                fail("the keyring comes from \(GraphGateConfig.keyringKey.name): change the key there")
            }
            do {
                try await KeysAdmin.enable(config: config, id: id, logger: CLILogging.logger())
                print("key \(id) enabled (decrypt-only); restart graphgate")
            } catch {
                fail(String(describing: error))
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys, their status and what uses them.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            do {
                let lines = try await KeysAdmin.status(config: config, logger: CLILogging.logger())
                print("id  status        tokens  pending_sign_ins")
                for line in lines {
                    print(
                        "\(String(line.id).padding(toLength: 4, withPad: " ", startingAt: 0))"
                            + "\(line.status.padding(toLength: 14, withPad: " ", startingAt: 0))"
                            + "\(String(line.tokens).padding(toLength: 8, withPad: " ", startingAt: 0))\(line.pendingSignIns)"
                    )
                }
            } catch {
                fail(String(describing: error))
            }
        }
    }

    /// `scripts/bench-vault`: prints envelope and token-path costs (not part of the test run).
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmark the token vault (envelope, cached, cold and refresh paths).", shouldDisplay: false)
        @Option(help: "Envelope and cached-path operations.") var operations = 100_000
        @Option(help: "Refresh-path runs.") var refreshes = 200
        @Option(help: "postgres://… to measure on PostgreSQL (default: a temporary SQLite file).") var databaseURL:
            String?

        func run() async throws {
            do {
                let location = try databaseURL.map { try DatabaseLocation(parsing: $0) }
                for line in try await VaultBenchmark.run(
                    operations: operations, refreshes: refreshes, database: location, logger: CLILogging.logger())
                {
                    print(line)
                }
            } catch {
                fail(String(describing: error))
            }
        }
    }
}
