import ArgumentParser
import Foundation
import GraphGateApp
import SecurityOps
import Storage

/// `graphgate audit verify|export|sign-head`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify or export the tamper-evident audit log.",
        subcommands: [Verify.self, Export.self, SignHead.self, Bench.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Walk the hash chain and report the first broken row (exit 2 when broken, 3 when intact but some signed heads were signed with another audit key).",
            discussion: """
                Checks every row's hash, that no row is missing, that the chain reaches the recorded head and \
                every signed head (HMAC with the audit key), and any heads given with --expect-head (files written \
                by `audit sign-head`, kept outside the database).
                """)

        @OptionGroup var options: ConfigOptions
        @Option(name: .customLong("expect-head"), help: "A head file from `audit sign-head` (repeatable).")
        var expectHeads: [String] = []
        @Flag(help: "Print the result as JSON.") var json = false

        func run() async throws {
            let config = try options.load()
            var heads: [AuditSignedHead] = []
            for path in expectHeads {
                guard let data = FileManager.default.contents(atPath: path),
                    let head = try? JSONDecoder().decode(AuditSignedHead.self, from: data)
                else { fail("cannot read a signed head from \(path)") }
                heads.append(head)
            }
            let result: AuditVerification
            do {
                result = try await SecurityAdmin.verifyAudit(
                    config: config, logger: CLILogging.logger(), expectedHeads: heads)
            } catch {
                fail(String(describing: error))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print(result.description)
            }
            if !result.isIntact { throw ExitCode(2) }
            // Intact, but some signed heads could not be checked (their key is not the one given).
            if result.signedHeadsUnchecked > 0 { throw ExitCode(3) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write audit rows as JSON lines (for a SIEM), oldest first.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "Only rows after this sequence number.") var after: Int64 = 0
        @Option(name: .shortAndLong, help: "Write to this file instead of stdout.") var output: String?

        func run() async throws {
            let config = try options.load()
            let handle: FileHandle
            if let output {
                // Audit rows name users and addresses: the file is the owner's alone (0600), and an existing
                // file is never overwritten (a typo must not destroy an earlier export).
                guard !FileManager.default.fileExists(atPath: output) else {
                    fail("\(output) exists; choose another file (exports are never overwritten)")
                }
                guard
                    FileManager.default.createFile(
                        atPath: output, contents: nil, attributes: [.posixPermissions: 0o600])
                else {
                    fail("cannot create \(output)")
                }
                handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            } else {
                handle = FileHandle.standardOutput
            }
            let writer = LineWriter(handle: handle)
            do {
                let count = try await SecurityAdmin.exportAudit(
                    config: config, logger: CLILogging.logger(), after: after
                ) { try writer.write($0) }
                try writer.flush()
                if output != nil { print("exported \(count) audit rows to \(output!)") }
            } catch {
                fail(String(describing: error))
            }
        }
    }

    struct SignHead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-head",
            abstract: "Sign the current chain head now and print it (JSON) to keep outside the database.")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            do {
                let head = try await SecurityAdmin.signAuditHead(config: config, logger: CLILogging.logger())
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(head), as: UTF8.self))
            } catch {
                fail(String(describing: error))
            }
        }
    }
}

extension AuditCommand {
    /// `audit bench`: measures append cost and verify time on a scratch SQLite file (used by scripts/bench-audit).
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure audit append cost and verify time on a scratch database (prints numbers).",
            shouldDisplay: false)

        @Option(help: "Rows in the chain when verify is timed.") var rows: Int64 = 1_000_000
        @Option(help: "Appends one at a time through the recorder.") var single: Int = 5_000
        @Option(help: "Appends from 32 concurrent callers.") var concurrent: Int = 20_000
        @Option(help: "Scratch database (default: a new SQLite file in the temp directory).") var databaseURL: String?

        func run() async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gg-bench-\(UUID().uuidString).sqlite"
            ).path
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            let location: DatabaseLocation
            do { location = try DatabaseLocation(parsing: databaseURL ?? "sqlite:\(path)") } catch {
                fail(error.description)
            }
            let result = try await SecurityAdmin.benchmarkAudit(
                database: location, rows: rows, single: single, concurrent: concurrent, logger: CLILogging.logger())
            print("backend: \(location.backendName)")
            print(
                String(
                    format: "append (one caller, %d events): %.1f us/event", result.singleAppends,
                    result.singleAppendMicros))
            print(
                String(
                    format: "append (32 callers, %d events, group commit): %.1f us/event", result.concurrentAppends,
                    result.concurrentAppendMicros))
            print(String(format: "batch fill to %lld rows: %.1f s", result.totalRows, result.fillSeconds))
            print(
                String(
                    format: "audit verify of %lld rows: %.2f s (%.0f rows/s)", result.totalRows, result.verifySeconds,
                    Double(result.totalRows) / max(result.verifySeconds, 1e-9)))
            print("verify result: \(result.verification)")
        }
    }
}

/// Buffers output lines and writes them in 1 MiB chunks (exports can be millions of lines).
final class LineWriter: @unchecked Sendable {
    private let handle: FileHandle
    private var buffer = Data()
    private let lock = NSLock()

    init(handle: FileHandle) { self.handle = handle }

    func write(_ text: String) throws {
        try lock.withLock {
            buffer.append(contentsOf: text.utf8)
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    func flush() throws {
        try lock.withLock {
            try handle.write(contentsOf: buffer)
            buffer.removeAll()
        }
    }
}
