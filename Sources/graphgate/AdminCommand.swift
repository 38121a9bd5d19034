import ArgumentParser
import Foundation
import GraphGateApp
import SecurityOps
import Storage

/// `graphgate admin block|unblock|revoke|sessions USER`: incident response from the command line.
/// USER is a user id, Microsoft object id or username. Every action is audited with the acting operator.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Incident response: block, unblock or revoke a user, list a user's sessions.",
        subcommands: [Block.self, Unblock.self, Revoke.self, Sessions.self, BenchRateLimit.self])

    /// Who is acting, for the audit log: `--actor`, else the login name.
    static func actor(_ given: String?) -> String {
        given ?? "cli:"
            + (ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"]
                ?? "operator")
    }

    struct Block: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Block a user on every path (403) and from signing in.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "User id, object id or username.") var user: String
        @Option(name: .customLong("for"), help: "How long, e.g. 30m, 12h, 7d (default: until unblocked).")
        var duration: String?
        @Option(help: "Why (recorded in the audit log).") var reason = "blocked by an administrator"
        @Option(help: "Who is acting (default: cli:$USER).") var actor: String?

        func run() async throws {
            let config = try options.load()
            let span: Duration?
            do { span = try duration.map(IncidentResponder.parseDuration) } catch { fail(error.description) }
            let (user, reason, actor) = (user, reason, AdminCommand.actor(actor))
            do {
                let line = try await SecurityAdmin.withIncidents(config: config, logger: CLILogging.logger()) {
                    responder in
                    let found = try await responder.resolve(user)
                    let block = try await responder.block(userId: found.id, for: span, reason: reason, actor: actor)
                    let until =
                        block.blockedUntil.map { "until \(Timestamp.date($0).formatted(.iso8601))" }
                        ?? "until unblocked"
                    return "blocked \(found.username) (\(found.id)) \(until)"
                }
                print(line)
            } catch {
                fail(String(describing: error))
            }
        }
    }

    struct Unblock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a block on a user.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "User id, object id or username.") var user: String
        @Option(help: "Who is acting (default: cli:$USER).") var actor: String?

        func run() async throws {
            let config = try options.load()
            let (user, actor) = (user, AdminCommand.actor(actor))
            do {
                let line = try await SecurityAdmin.withIncidents(config: config, logger: CLILogging.logger()) {
                    responder in
                    let found = try await responder.resolve(user)
                    let removed = try await responder.unblock(userId: found.id, actor: actor)
                    return removed ? "unblocked \(found.username) (\(found.id))" : "\(found.username) was not blocked"
                }
                print(line)
            } catch {
                fail(String(describing: error))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke everything of a user: Microsoft tokens, our tokens and grants, browser and MCP sessions.",
            discussion: """
                Takes effect on every instance at the next request: bearer checks find no live grant, and no \
                Microsoft token is left to call Graph with. Combine with `admin block` to keep the user out.
                """)
        @OptionGroup var options: ConfigOptions
        @Argument(help: "User id, object id or username.") var user: String
        @Option(help: "Why (recorded in the audit log).") var reason = "revoked by an administrator"
        @Option(help: "Who is acting (default: cli:$USER).") var actor: String?

        func run() async throws {
            let config = try options.load()
            let (user, reason, actor) = (user, reason, AdminCommand.actor(actor))
            do {
                let line = try await SecurityAdmin.withIncidents(config: config, logger: CLILogging.logger()) {
                    responder in
                    let found = try await responder.resolve(user)
                    let report = try await responder.revoke(userId: found.id, reason: reason, actor: actor)
                    var text =
                        "revoked \(found.username) (\(found.id)): \(report.grantsRevoked) grant(s), "
                        + "Microsoft tokens of \(report.accountsErased) account(s) deleted"
                    if !report.failures.isEmpty { text += "; FAILED: " + report.failures.joined(separator: "; ") }
                    return text
                }
                print(line)
            } catch {
                fail(String(describing: error))
            }
        }
    }

    struct Sessions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's active grants and block status.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "User id, object id or username.") var user: String
        @Option(help: "Who is acting (default: cli:$USER).") var actor: String?

        func run() async throws {
            let config = try options.load()
            let (user, actor) = (user, AdminCommand.actor(actor))
            do {
                let lines = try await SecurityAdmin.withIncidents(config: config, logger: CLILogging.logger()) {
                    responder in
                    let found = try await responder.resolve(user)
                    var lines = ["\(found.username) (\(found.id))"]
                    if let block = await responder.activeBlock(subject: Storage.Block.userSubject(found.id)) {
                        lines.append("  BLOCKED: \(block.reason)")
                    }
                    let sessions = try await responder.sessions(userId: found.id, actor: actor)
                    if sessions.isEmpty { lines.append("  no active grants") }
                    for session in sessions {
                        let created = session.createdAt.map { Timestamp.date($0).formatted(.iso8601) } ?? "-"
                        lines.append(
                            "  \(session.kind) \(session.id) client=\(session.clientId ?? "-") since \(created)")
                    }
                    return lines
                }
                lines.forEach { print($0) }
            } catch {
                fail(String(describing: error))
            }
        }
    }
}

extension AdminCommand {
    /// `admin bench-rate-limit`: cost and accuracy of shared vs per-instance buckets (scripts/bench-ratelimit).
    struct BenchRateLimit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-rate-limit",
            abstract: "Measure rate-limit cost and accuracy across two limiter instances (prints numbers).",
            shouldDisplay: false)

        @Option(help: "Requests to send.") var requests: Int = 20_000
        @Option(help: "The bucket's budget.") var budget: Int = 1_000
        @Option(help: "Database (default: a scratch SQLite file).") var databaseURL: String?
        @Option(help: "Instead: distinct client addresses for the limiter memory benchmark.") var addresses: Int?

        func run() async throws {
            if let addresses {
                for point in SecurityAdmin.benchmarkLimiterMemory(addresses: addresses) {
                    print(
                        String(
                            format: "in-memory limiter: %7d distinct addresses, %6d buckets held, +%.1f MiB resident, "
                                + "%.0f ns/request", point.addresses, point.buckets, point.residentMiB,
                            point.nanosPerRequest))
                }
                return
            }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gg-rl-\(UUID().uuidString).sqlite"
            ).path
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            let location: DatabaseLocation
            do { location = try DatabaseLocation(parsing: databaseURL ?? "sqlite:\(path)") } catch {
                fail(error.description)
            }
            let results = try await SecurityAdmin.benchmarkRateLimit(
                database: location, requests: requests, budget: budget, logger: CLILogging.logger())
            for result in results {
                print(
                    String(
                        format: "%@: %.1f us/request, allowed %d of %d requests with a budget of %d (two instances)",
                        result.name, result.microsPerRequest, result.allowed, result.requests, result.budget))
            }
        }
    }
}
